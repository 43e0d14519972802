"""Recording retention: when a recording's file was purged, and the case activities whose link expired.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("crm_case_activities") as batch:
        batch.add_column(sa.Column("recording_expired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_case_activities") as batch:
        batch.drop_column("recording_expired_at")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("purged_at")
