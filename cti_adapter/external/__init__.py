"""External CRMs: the REST adapter, outbox senders for case writes, and signed webhooks."""

from __future__ import annotations

from cti_adapter.external._rest import RestCrm
from cti_adapter.external._senders import CaseWriteSender, WebhookSender
from cti_adapter.external._signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CaseWriteSender",
    "RestCrm",
    "WebhookSender",
    "sign",
    "verify_signature",
]
