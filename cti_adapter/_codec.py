"""The contract's values as JSON: the external CRM's wire format, outbox payloads and webhook bodies.

Timestamps are ISO 8601 with an offset, dates ISO 8601; a field that is None is sent as null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from cti_adapter._contract import Activity, Case, CaseStatus, Customer, Entitlement, NewCase
from cti_adapter.errors import CrmRejected

__all__ = [
    "activity_from_json",
    "activity_to_json",
    "case_from_json",
    "case_to_json",
    "customer_from_json",
    "customer_to_json",
    "entitlement_from_json",
    "entitlement_to_json",
    "new_case_from_json",
    "new_case_to_json",
]

Json = dict[str, Any]
T = TypeVar("T")


def customer_to_json(customer: Customer) -> Json:
    return {
        "id": customer.id,
        "name": customer.name,
        "account_id": customer.account_id,
        "account_number": customer.account_number,
        "company": customer.company,
        "phone": customer.phone,
        "email": customer.email,
    }


def customer_from_json(data: Mapping[str, Any]) -> Customer:
    return _read(
        "customer",
        data,
        lambda d: Customer(
            id=str(d["id"]),
            name=str(d["name"]),
            account_id=str(d.get("account_id") or d["id"]),
            account_number=_opt(d.get("account_number")),
            company=_opt(d.get("company")),
            phone=_opt(d.get("phone")),
            email=_opt(d.get("email")),
        ),
    )


def entitlement_to_json(entitlement: Entitlement) -> Json:
    return {
        "id": entitlement.id,
        "account_id": entitlement.account_id,
        "level": entitlement.level,
        "products": list(entitlement.products),
        "starts": entitlement.starts.isoformat(),
        "ends": entitlement.ends.isoformat() if entitlement.ends else None,
    }


def entitlement_from_json(data: Mapping[str, Any]) -> Entitlement:
    return _read(
        "entitlement",
        data,
        lambda d: Entitlement(
            id=str(d["id"]),
            account_id=str(d["account_id"]),
            level=str(d["level"]).lower(),
            starts=date.fromisoformat(d["starts"]),
            ends=date.fromisoformat(d["ends"]) if d.get("ends") else None,
            products=tuple(str(p) for p in d.get("products") or ()),
        ),
    )


def case_to_json(case: Case) -> Json:
    return {
        "id": case.id,
        "account_id": case.account_id,
        "contact_id": case.contact_id,
        "subject": case.subject,
        "status": case.status.value,
        "priority": case.priority,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "interaction_ids": list(case.interaction_ids),
        "disposition": case.disposition,
        "notes": case.notes,
    }


def case_from_json(data: Mapping[str, Any]) -> Case:
    return _read(
        "case",
        data,
        lambda d: Case(
            id=str(d["id"]),
            account_id=str(d["account_id"]),
            subject=str(d["subject"]),
            status=CaseStatus(d["status"]),
            priority=int(d.get("priority") or 0),
            created_at=_aware(d["created_at"]),
            updated_at=_aware(d.get("updated_at") or d["created_at"]),
            contact_id=_opt(d.get("contact_id")),
            interaction_ids=tuple(str(i) for i in d.get("interaction_ids") or ()),
            disposition=_opt(d.get("disposition")),
            notes=_opt(d.get("notes")),
        ),
    )


def new_case_to_json(new: NewCase) -> Json:
    return {
        "customer_id": new.customer_id,
        "subject": new.subject,
        "interaction_id": new.interaction_id,
        "priority": new.priority,
    }


def new_case_from_json(data: Mapping[str, Any]) -> NewCase:
    return NewCase(
        customer_id=str(data["customer_id"]),
        subject=str(data["subject"]),
        interaction_id=_opt(data.get("interaction_id")),
        priority=int(data.get("priority") or 0),
    )


def activity_to_json(activity: Activity) -> Json:
    return {
        "channel": activity.channel,
        "started_at": activity.started_at.isoformat(),
        "interaction_id": activity.interaction_id,
        "wait_seconds": activity.wait_seconds,
        "talk_seconds": activity.talk_seconds,
        "hold_seconds": activity.hold_seconds,
        "wrap_up_seconds": activity.wrap_up_seconds,
        "queue": activity.queue,
        "agent_id": activity.agent_id,
        "disposition": activity.disposition,
        "notes": activity.notes,
        "recording_url": activity.recording_url,
        "transcript_url": activity.transcript_url,
        "transcript": activity.transcript,
    }


def activity_from_json(data: Mapping[str, Any]) -> Activity:
    return Activity(
        channel=str(data["channel"]),
        started_at=_aware(data["started_at"]),
        interaction_id=_opt(data.get("interaction_id")),
        wait_seconds=float(data.get("wait_seconds") or 0),
        talk_seconds=float(data.get("talk_seconds") or 0),
        hold_seconds=float(data.get("hold_seconds") or 0),
        wrap_up_seconds=float(data.get("wrap_up_seconds") or 0),
        queue=_opt(data.get("queue")),
        agent_id=_opt(data.get("agent_id")),
        disposition=_opt(data.get("disposition")),
        notes=_opt(data.get("notes")),
        recording_url=_opt(data.get("recording_url")),
        transcript_url=_opt(data.get("transcript_url")),
        transcript=_opt(data.get("transcript")),
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return value


def _read(what: str, data: Mapping[str, Any], build: Callable[[Mapping[str, Any]], T]) -> T:
    # A CRM answering with a shape we cannot read is a permanent problem, not an outage.
    try:
        return build(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise CrmRejected(200, f"unreadable {what} from the CRM: {type(exc).__name__}: {exc}") from None
