"""The CTI bridge tests use the CTI adapter's fixtures (a migrated database with the built-in CRM)."""

from tests.unit.cti_adapter.conftest import blockbuster, crm, database, database_url  # noqa: F401
