"""Tests for gateway.storage, run on SQLite and (with HELPLINE_TEST_POSTGRES_URL) PostgreSQL."""
