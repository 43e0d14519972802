"""Web-to-case: a pre-chat form sent while the entry point is closed is filed on the customer's case through
the CTI desk, with the message as the activity's notes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from cti_adapter import Activity, CtiService

__all__ = ["CtiOffline"]

logger = logging.getLogger("helpline.chat")


class CtiOffline:
    def __init__(self, service: CtiService) -> None:
        self._service = service

    async def web_to_case(self, entry: str, form: Mapping[str, str], message: str) -> str | None:
        """The case's id, or None when the CRM does not know the customer (nothing to file on)."""
        context = await self._service.identify(
            caller=form.get("phone"), account=None, email=form.get("email")
        )
        interaction_id = f"offline-{uuid.uuid4().hex}"
        subject = form.get("topic") or f"web chat ({entry})"
        case = await self._service.file_case(interaction_id, context, subject)
        if case is None:
            logger.info("offline chat message on %s from an unknown customer: no case filed", entry)
            return None
        activity = Activity(
            channel="chat",
            started_at=datetime.now(UTC),
            interaction_id=interaction_id,
            disposition="offline message",
            notes=message,
        )
        await self._service.log_activity(case, activity)
        return case.case_id
