"""people and roles: /join requests awaiting a group admin

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "role_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", _STR(), nullable=False),
        sa.Column("role", _STR(), nullable=False),
        sa.Column("insurer_code", _STR(), nullable=True),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_role_request_chat_id", "role_request", ["chat_id"])
    op.create_index("ix_role_request_user_id", "role_request", ["user_id"])
    op.create_index("ix_role_request_status", "role_request", ["status"])


def downgrade() -> None:
    op.drop_index("ix_role_request_status", table_name="role_request")
    op.drop_index("ix_role_request_user_id", table_name="role_request")
    op.drop_index("ix_role_request_chat_id", table_name="role_request")
    op.drop_table("role_request")
