"""payments and answers remember their chat message, so an edit corrects instead of repeating

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("insurer_payment") as batch:
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint(
            "uq_insurer_payment_case_id_message_id", ["case_id", "message_id"]
        )
    op.create_table(
        "message_input",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("party_label", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["accident_case.id"]),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    op.create_index("ix_message_input_case_id", "message_input", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_message_input_case_id", table_name="message_input")
    op.drop_table("message_input")
    with op.batch_alter_table("insurer_payment") as batch:
        batch.drop_constraint("uq_insurer_payment_case_id_message_id", type_="unique")
        batch.drop_column("message_id")
