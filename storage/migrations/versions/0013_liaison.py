"""the liaison office: its chats, when cases closed or went to the police, digests sent

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("chat_group") as batch:
        batch.add_column(sa.Column("kind", text(), nullable=False, server_default="township"))
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("show_personal_data", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("accident_case") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("police_at", sa.DateTime(timezone=True), nullable=True))
    # Cases that ended or went to the police before: their times from the audit log, once.
    op.execute(
        "UPDATE accident_case SET closed_at = (SELECT max(at) FROM audit_event e "
        "WHERE e.case_id = accident_case.id AND e.kind IN ('case.closed', 'case.cancelled', "
        "'case.withdrawn')) WHERE status IN ('closed', 'cancelled')"
    )
    op.execute(
        "UPDATE accident_case SET police_at = (SELECT min(at) FROM audit_event e "
        "WHERE e.case_id = accident_case.id AND e.kind = 'case.police')"
    )
    op.create_index("ix_accident_case_opened_at", "accident_case", ["opened_at"])
    op.create_index("ix_accident_case_closed_at", "accident_case", ["closed_at"])
    op.create_index("ix_accident_case_police_at", "accident_case", ["police_at"])
    op.create_index("ix_insurer_claim_created_at", "insurer_claim", ["created_at"])
    op.create_index("ix_stage_clock_stopped_at", "stage_clock", ["stopped_at"])
    op.create_index("ix_photo_flag_created_at", "photo_flag", ["created_at"])
    op.create_table(
        "digest_sent",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("period", text(), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digest_sent")
    op.drop_index("ix_photo_flag_created_at", table_name="photo_flag")
    op.drop_index("ix_stage_clock_stopped_at", table_name="stage_clock")
    op.drop_index("ix_insurer_claim_created_at", table_name="insurer_claim")
    op.drop_index("ix_accident_case_police_at", table_name="accident_case")
    op.drop_index("ix_accident_case_closed_at", table_name="accident_case")
    op.drop_index("ix_accident_case_opened_at", table_name="accident_case")
    with op.batch_alter_table("accident_case") as batch:
        batch.drop_column("police_at")
        batch.drop_column("closed_at")
    with op.batch_alter_table("chat_group") as batch:
        batch.drop_column("show_personal_data")
        batch.drop_column("scope")
        batch.drop_column("kind")
