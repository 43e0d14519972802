"""The CRM's tables, on the CRM's own metadata: the gateway adds it to its database schema at its root.

Mirrored by `gateway/storage/migrations/versions/0002_crm.py`. Every name starts with `crm_` so the
built-in CRM never collides with the gateway's own tables, and constraints are named by the same
convention as the gateway's so the migrations stay portable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "DISPOSITION_MAX_LENGTH",
    "CrmAccount",
    "CrmActivity",
    "CrmBase",
    "CrmCase",
    "CrmContact",
    "CrmEntitlement",
    "CrmOutbox",
    "UtcDateTime",
    "column_length",
    "metadata",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, plain JSON text elsewhere.
JsonDict = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; SQLite, which keeps no offset, reads back as UTC too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: the CRM stores timezone-aware timestamps")
        # Normalising to UTC keeps SQLite's text timestamps ordered and comparable.
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CrmBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JsonDict}


metadata = CrmBase.metadata


class CrmAccount(CrmBase):
    """A customer organisation (or a consumer's own account): what entitlements and cases belong to."""

    __tablename__ = "crm_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrmContact(CrmBase):
    """A person who calls; the customer the adapter contract talks about."""

    __tablename__ = "crm_contacts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("crm_accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)  # stored lower-cased
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CrmEntitlement(CrmBase):
    __tablename__ = "crm_entitlements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("crm_accounts.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    products: Mapped[list[Any]] = mapped_column(JsonDict)  # [] means all
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)


class CrmCase(CrmBase):
    __tablename__ = "crm_cases"
    __table_args__ = (
        Index("ix_crm_cases_account_id_status", "account_id", "status"),
        # One unresolved case per account and subject: concurrent attaches converge on it.
        Index(
            "uq_crm_cases_open_subject",
            "account_id",
            "subject_key",
            unique=True,
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("crm_accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200))
    subject_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    interaction_ids: Mapped[list[Any]] = mapped_column(JsonDict)
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class CrmActivity(CrmBase):
    """One call or chat logged on a case, with its timings and links to the recording and transcript."""

    __tablename__ = "crm_case_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("crm_cases.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    wait_seconds: Mapped[float] = mapped_column(Float)
    talk_seconds: Mapped[float] = mapped_column(Float)
    hold_seconds: Mapped[float] = mapped_column(Float)
    wrap_up_seconds: Mapped[float] = mapped_column(Float)
    queue: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(1000))
    transcript_url: Mapped[str | None] = mapped_column(String(1000))
    recording_expired_at: Mapped[datetime | None]  # the recording was purged after its retention period
    transcript_expired_at: Mapped[datetime | None]  # purged with the call's recordings
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class CrmOutbox(CrmBase):
    """Writes bound for an external CRM or webhook receiver, kept until delivered.

    Each lane (`crm`, `webhook`) is delivered in `id` order. `case_key` names an earlier entry whose
    delivery yields the case id this one needs (an activity on a case opened while the CRM was down).
    """

    __tablename__ = "crm_outbox"
    __table_args__ = (Index("ix_crm_outbox_lane_status_id", "lane", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the Idempotency-Key the receiver sees
    lane: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    case_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    result_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


def column_length(attribute: InstrumentedAttribute[Any]) -> int:
    """The characters a String column holds: the REST schemas take their `max_length` from here."""
    length = getattr(attribute.expression.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{attribute}: not a String column with a length")
    return length


DISPOSITION_MAX_LENGTH = min(column_length(CrmCase.disposition), column_length(CrmActivity.disposition))
"""The longest disposition a case and an activity hold: what a host lets agents send."""
