"""The CTI adapter wired into the server: `cti_adapter` knows nothing of the gateway, this package joins them.

`CrmDesk` is the CRM side of routed work (identification once, the case, the screen pop, the activity, all
read from the customer context that travels with the interaction); `answer_lookup_by` answers the IVR's
`lookup` verb; `http` serves the built-in CRM's customers and cases and the panel's click-to-dial over the
gateway's web edge; `importer_cli` is `helpline import-customers`, the CSV importer run against the
gateway's database.
"""

from __future__ import annotations

from gateway.cti._desk import CrmDesk, customer_context
from gateway.cti._lookup import answer_lookup_by, lookup_attributes

__all__ = ["CrmDesk", "answer_lookup_by", "customer_context", "lookup_attributes"]
