"""The CTI adapter wired into the server: `cti_adapter` knows nothing of the gateway, this package joins them.

`http` serves the built-in CRM's customers and cases and the panel's click-to-dial over the gateway's web
edge; `importer_cli` is `helpline import-customers`, the CSV importer run against the gateway's database.
"""

from __future__ import annotations

__all__: list[str] = []
