"""case messages carry a reference: the insurer's ping is found by its claim

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_message") as batch:
        batch.add_column(sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.create_index("ix_case_message_ref", ["ref"])
    # Pings sent before this revision: their ids move to the messages table.
    op.execute(
        "UPDATE case_message SET ref = 'claim:' || ("
        "SELECT CAST(c.id AS VARCHAR) FROM insurer_claim c "
        "WHERE c.ping_message_id = case_message.message_id AND c.case_id = case_message.case_id)"
        " WHERE ref IS NULL AND EXISTS (SELECT 1 FROM insurer_claim c "
        "WHERE c.ping_message_id = case_message.message_id AND c.case_id = case_message.case_id)"
    )
    with op.batch_alter_table("insurer_claim") as batch:
        batch.drop_column("ping_message_id")


def downgrade() -> None:
    with op.batch_alter_table("insurer_claim") as batch:
        batch.add_column(sa.Column("ping_message_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("case_message") as batch:
        batch.drop_index("ix_case_message_ref")
        batch.drop_column("ref")
