"""insurer loop: one claim per paying insurer of a case, and its payments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "insurer_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("insurer_code", _STR(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", _STR(), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("requested_fen", sa.BigInteger(), nullable=False),
        sa.Column("approved_fen", sa.BigInteger(), nullable=True),
        sa.Column("claim_no", _STR(), nullable=True),
        sa.Column("assessed_fen", sa.BigInteger(), nullable=True),
        sa.Column("survey_fen", sa.BigInteger(), nullable=True),
        sa.Column("recognized_claim_id", sa.Integer(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("ping_message_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", _STR(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", _STR(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["accident_case.id"]),
        sa.ForeignKeyConstraint(["insurer_code"], ["insurer.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_insurer_claim_case_id", "insurer_claim", ["case_id"])
    op.create_index("ix_insurer_claim_status", "insurer_claim", ["status"])
    op.create_table(
        "insurer_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", _STR(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.BigInteger(), nullable=False),
        sa.Column("by_name", _STR(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["accident_case.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["insurer_claim.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_insurer_payment_case_id", "insurer_payment", ["case_id"])
    op.create_index("ix_insurer_payment_claim_id", "insurer_payment", ["claim_id"])


def downgrade() -> None:
    op.drop_index("ix_insurer_payment_claim_id", table_name="insurer_payment")
    op.drop_index("ix_insurer_payment_case_id", table_name="insurer_payment")
    op.drop_table("insurer_payment")
    op.drop_index("ix_insurer_claim_status", table_name="insurer_claim")
    op.drop_index("ix_insurer_claim_case_id", table_name="insurer_claim")
    op.drop_table("insurer_claim")
