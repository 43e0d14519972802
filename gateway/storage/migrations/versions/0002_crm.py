"""Built-in CRM: accounts, contacts, entitlements, cases, case activities, and the external-CRM outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "crm_accounts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_accounts")),
        sa.UniqueConstraint("number", name=op.f("uq_crm_accounts_number")),
    )

    op.create_table(
        "crm_contacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone_e164", sa.String(20), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_accounts.id"],
            name=op.f("fk_crm_contacts_account_id_crm_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_contacts")),
    )
    op.create_index(op.f("ix_crm_contacts_account_id"), "crm_contacts", ["account_id"])
    op.create_index(op.f("ix_crm_contacts_phone_e164"), "crm_contacts", ["phone_e164"])
    op.create_index(op.f("ix_crm_contacts_email"), "crm_contacts", ["email"])

    op.create_table(
        "crm_entitlements",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("products", _JSON, nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_accounts.id"],
            name=op.f("fk_crm_entitlements_account_id_crm_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_entitlements")),
    )
    op.create_index(op.f("ix_crm_entitlements_account_id"), "crm_entitlements", ["account_id"])

    op.create_table(
        "crm_cases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("contact_id", sa.String(36), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("subject_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("interaction_ids", _JSON, nullable=False),
        sa.Column("disposition", sa.String(64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_accounts.id"],
            name=op.f("fk_crm_cases_account_id_crm_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_cases_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_cases")),
    )
    op.create_index("ix_crm_cases_account_id_status", "crm_cases", ["account_id", "status"])
    op.create_index(op.f("ix_crm_cases_contact_id"), "crm_cases", ["contact_id"])
    op.create_index(op.f("ix_crm_cases_updated_at"), "crm_cases", ["updated_at"])
    op.create_index(
        "uq_crm_cases_open_subject",
        "crm_cases",
        ["account_id", "subject_key"],
        unique=True,
        sqlite_where=sa.text("status <> 'closed'"),
        postgresql_where=sa.text("status <> 'closed'"),
    )

    op.create_table(
        "crm_case_activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("interaction_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("talk_seconds", sa.Float(), nullable=False),
        sa.Column("hold_seconds", sa.Float(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Float(), nullable=False),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recording_url", sa.String(1000), nullable=True),
        sa.Column("transcript_url", sa.String(1000), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["crm_cases.id"],
            name=op.f("fk_crm_case_activities_case_id_crm_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case_activities")),
    )
    op.create_index(op.f("ix_crm_case_activities_case_id"), "crm_case_activities", ["case_id"])
    op.create_index(op.f("ix_crm_case_activities_interaction_id"), "crm_case_activities", ["interaction_id"])

    op.create_table(
        "crm_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("lane", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("case_key", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result_id", sa.String(128), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_crm_outbox_key")),
    )
    op.create_index("ix_crm_outbox_lane_status_id", "crm_outbox", ["lane", "status", "id"])


def downgrade() -> None:
    op.drop_table("crm_outbox")
    op.drop_table("crm_case_activities")
    op.drop_table("crm_cases")
    op.drop_table("crm_entitlements")
    op.drop_table("crm_contacts")
    op.drop_table("crm_accounts")
