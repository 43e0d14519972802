"""The CTI adapter (`cti_adapter`, which knows nothing of the gateway) wired into the server: the CRM desk
routed work uses (identification, case, screen pop, activity) and the IVR's `lookup` verb."""

from __future__ import annotations

from gateway.cti._desk import CrmDesk, customer_context
from gateway.cti._lookup import answer_lookup_by, lookup_attributes

__all__ = ["CrmDesk", "answer_lookup_by", "customer_context", "lookup_attributes"]
