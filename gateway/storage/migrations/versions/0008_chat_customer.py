"""Web chat: who the customer of a conversation is (CRM customer id, e-mail), for routing a returning
customer to the agent who last served them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_conversations") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("customer_email", sa.String(200), nullable=True))
    op.create_index(op.f("ix_chat_conversations_customer_id"), "chat_conversations", ["customer_id"])
    op.create_index(op.f("ix_chat_conversations_customer_email"), "chat_conversations", ["customer_email"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_conversations_customer_email"), table_name="chat_conversations")
    op.drop_index(op.f("ix_chat_conversations_customer_id"), table_name="chat_conversations")
    with op.batch_alter_table("chat_conversations") as batch:
        batch.drop_column("customer_email")
        batch.drop_column("customer_id")
