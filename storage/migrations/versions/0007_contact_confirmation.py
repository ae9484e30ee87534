"""contact confirmation: a driver's answer waits for their shared phone number

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "contact_request",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("token", _STR(), nullable=False),
        sa.Column("agree", sa.Boolean(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_contact_request_party_id", "contact_request", ["party_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_request_party_id", table_name="contact_request")
    op.drop_table("contact_request")
