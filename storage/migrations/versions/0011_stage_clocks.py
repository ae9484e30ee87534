"""stage clocks: one row per stage of a case, indexed by when it is next due

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = ("case_id", "chat_id", "state", "due_at", "breach_at")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "stage_clock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("accident_case.id"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("township_code", text(), nullable=False),
        sa.Column("stage", text(), nullable=False),
        sa.Column("insurer_code", text(), nullable=True),
        sa.Column("state", text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("worked_seconds", sa.Integer(), nullable=True),
        sa.Column("met_target", sa.Boolean(), nullable=True),
        sa.Column("clock", sa.JSON(), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("silenced", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breach_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("step_kind", text(), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_by", sa.BigInteger(), nullable=True),
        sa.Column("ack_by_name", text(), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_until", sa.DateTime(timezone=True), nullable=True),
    )
    for column in _INDEXED:
        op.create_index(f"ix_stage_clock_{column}", "stage_clock", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_stage_clock_{column}", table_name="stage_clock")
    op.drop_table("stage_clock")
