"""The built-in CRM: accounts, contacts, entitlements, cases and activities in Helpline's own database."""

from __future__ import annotations

from cti_adapter.builtin._crm import DEFAULT_LEVELS, BuiltinCrm
from cti_adapter.builtin._db import EngineSource
from cti_adapter.builtin._values import CaseQuery, CustomerChanges, CustomerQuery, NewCustomer, NewEntitlement

__all__ = [
    "DEFAULT_LEVELS",
    "BuiltinCrm",
    "CaseQuery",
    "CustomerChanges",
    "CustomerQuery",
    "EngineSource",
    "NewCustomer",
    "NewEntitlement",
]
