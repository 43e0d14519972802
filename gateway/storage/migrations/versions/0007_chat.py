"""Web chat: conversations and their sequenced messages; a chat's transcript text on its case activity.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("crm_case_activities") as batch:
        batch.add_column(sa.Column("transcript", sa.Text(), nullable=True))
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("entry", sa.String(64), nullable=False),
        sa.Column("interaction_id", sa.String(64), nullable=False),
        sa.Column("visitor_name", sa.String(200), nullable=False),
        sa.Column("form", _JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("agent_name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
    )
    op.create_index(op.f("ix_chat_conversations_interaction_id"), "chat_conversations", ["interaction_id"])
    op.create_index(op.f("ix_chat_conversations_state"), "chat_conversations", ["state"])
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(16), server_default="all", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    op.create_index(
        "uq_chat_messages_conversation_id_seq", "chat_messages", ["conversation_id", "seq"], unique=True
    )
    op.create_index(
        "uq_chat_messages_client", "chat_messages", ["conversation_id", "sender", "client_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_chat_messages_client", table_name="chat_messages")
    op.drop_index("uq_chat_messages_conversation_id_seq", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_index(op.f("ix_chat_conversations_state"), table_name="chat_conversations")
    op.drop_index(op.f("ix_chat_conversations_interaction_id"), table_name="chat_conversations")
    op.drop_table("chat_conversations")
    with op.batch_alter_table("crm_case_activities") as batch:
        batch.drop_column("transcript")
