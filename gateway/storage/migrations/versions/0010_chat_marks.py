"""Web chat: what each side has read (the customer of the agent's messages, the agent of the customer's)
and the help flag an agent raised for supervisors, kept with the conversation so a reload or a restart
shows them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    zero = sa.text("0")
    with op.batch_alter_table("chat_conversations") as batch:
        batch.add_column(sa.Column("customer_read_seq", sa.Integer(), server_default=zero, nullable=False))
        batch.add_column(sa.Column("agent_read_seq", sa.Integer(), server_default=zero, nullable=False))
        batch.add_column(sa.Column("help", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("chat_conversations") as batch:
        batch.drop_column("help")
        batch.drop_column("agent_read_seq")
        batch.drop_column("customer_read_seq")
