"""who stands behind a case towards the insurers; photos that joined a case by time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accident_case") as batch:
        batch.add_column(sa.Column("responsible_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("responsible_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("photo") as batch:
        batch.add_column(
            sa.Column("joined", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("photo") as batch:
        batch.drop_column("joined")
    with op.batch_alter_table("accident_case") as batch:
        batch.drop_column("responsible_name")
        batch.drop_column("responsible_id")
