"""police queue: the officer who claimed a case

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accident_case") as batch:
        batch.add_column(sa.Column("police_claimed_by", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("police_claimed_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch.add_column(sa.Column("police_claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accident_case") as batch:
        batch.drop_column("police_claimed_at")
        batch.drop_column("police_claimed_by_name")
        batch.drop_column("police_claimed_by")
