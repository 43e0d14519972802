"""CRM side of Helpline: caller lookup, entitlements, screen pop, cases and activity logs.

`CrmAdapter` is the contract; `BuiltinCrm` (in `cti_adapter.builtin`) keeps customers and cases in Helpline's
database, `RestCrm` (in `cti_adapter.external`) talks to an external CRM. `CtiService` puts an adapter
behind a lookup timeout and, for external CRMs, a durable outbox. `metadata` declares the CRM's tables
(built-in CRM and outbox); the host application creates them in its database (the gateway's migrations do).
"""

from __future__ import annotations

from cti_adapter._context import (
    CallerContext,
    CaseRef,
    NoEntitlementPolicy,
    context_from_json,
    context_to_json,
)
from cti_adapter._contract import (
    DEFAULT_LEVELS,
    Activity,
    Case,
    CaseAttachment,
    CaseStatus,
    CrmAdapter,
    Customer,
    CustomerMatch,
    Entitlement,
    Lookup,
    LookupKind,
    NewCase,
    subject_key,
)
from cti_adapter._delivery import OutboxWorker, Sender
from cti_adapter._outbox import Backoff, EntryStatus, Lane, Outbox, OutboxEntry
from cti_adapter._phone import normalize_phone
from cti_adapter._pop_builder import build_screen_pop
from cti_adapter._runtime import CtiRuntime
from cti_adapter._service import CtiService, Dialer, DialRequest
from cti_adapter._tables import DISPOSITION_MAX_LENGTH, metadata
from cti_adapter.errors import (
    CaseNotFound,
    CrmRejected,
    CrmUnavailable,
    CtiError,
    CustomerNotFound,
    DialUnavailable,
    DuplicateCustomer,
    InvalidCrmData,
    InvalidPhoneNumber,
)

__all__ = [
    "DEFAULT_LEVELS",
    "DISPOSITION_MAX_LENGTH",
    "Activity",
    "Backoff",
    "CallerContext",
    "Case",
    "CaseAttachment",
    "CaseNotFound",
    "CaseRef",
    "CaseStatus",
    "CrmAdapter",
    "CrmRejected",
    "CrmUnavailable",
    "CtiError",
    "CtiRuntime",
    "CtiService",
    "Customer",
    "CustomerMatch",
    "CustomerNotFound",
    "DialRequest",
    "DialUnavailable",
    "Dialer",
    "DuplicateCustomer",
    "Entitlement",
    "EntryStatus",
    "InvalidCrmData",
    "InvalidPhoneNumber",
    "Lane",
    "Lookup",
    "LookupKind",
    "NewCase",
    "NoEntitlementPolicy",
    "Outbox",
    "OutboxEntry",
    "OutboxWorker",
    "Sender",
    "build_screen_pop",
    "context_from_json",
    "context_to_json",
    "metadata",
    "normalize_phone",
    "subject_key",
]
