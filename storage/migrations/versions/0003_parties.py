"""parties, eligibility, liability, estimates, confirmations, pending questions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("vehicle_type", _STR(), nullable=True))
        batch.add_column(sa.Column("policy_number", _STR(), nullable=True))
        batch.add_column(
            sa.Column("other_property_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("situations", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("grade", _STR(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_via", _STR(), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirm_token", _STR(), nullable=True))
        batch.create_unique_constraint("uq_party_confirm_token", ["confirm_token"])
    with op.batch_alter_table("party") as batch:
        batch.alter_column("other_property_fen", server_default=None)
        batch.alter_column("situations", server_default=None)
    with op.batch_alter_table("accident_case") as batch:
        batch.add_column(sa.Column("eligibility", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("liability_source", _STR(), nullable=True))
        batch.add_column(sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("accident_case") as batch:
        batch.alter_column("eligibility", server_default=None)
    op.create_table(
        "pending_input",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("question", _STR(), nullable=False),
        sa.Column("party_label", _STR(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["accident_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id"),
    )
    op.create_index("ix_pending_input_case_id", "pending_input", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_pending_input_case_id", table_name="pending_input")
    op.drop_table("pending_input")
    with op.batch_alter_table("accident_case") as batch:
        batch.drop_column("ready_at")
        batch.drop_column("liability_source")
        batch.drop_column("eligibility")
    with op.batch_alter_table("party") as batch:
        batch.drop_constraint("uq_party_confirm_token", type_="unique")
        for name in ("confirm_token", "refused_at", "confirmed_by", "confirmed_via",
                     "confirmed_at", "grade", "situations", "other_property_fen",
                     "policy_number", "vehicle_type"):
            batch.drop_column(name)
