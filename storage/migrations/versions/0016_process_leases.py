"""several processes on one database: the inbox's chat, inbox leases, the process registry,
a group's recent send times on its sender lease

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The update kinds that carry a chat, as bot/transport/ingest.py `chat_of` reads them.
_CHAT_PATHS = (
    ("message",),
    ("edited_message",),
    ("channel_post",),
    ("edited_channel_post",),
    ("callback_query", "message"),
    ("my_chat_member",),
    ("chat_member",),
    ("chat_join_request",),
)


def _chat_of(payload: dict) -> int:
    for path in _CHAT_PATHS:
        node: object = payload
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        chat = node.get("chat") if isinstance(node, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return 0


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("inbox_update") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_inbox_update_chat_id", "inbox_update", ["chat_id"])
    # Rows not yet handled need their chat to be picked up by a chat's lease holder.
    bind = op.get_bind()
    inbox = sa.table(
        "inbox_update",
        sa.column("update_id", sa.BigInteger()),
        sa.column("payload", sa.JSON()),
        sa.column("chat_id", sa.BigInteger()),
        sa.column("handled_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(inbox.c.update_id, inbox.c.payload).where(inbox.c.handled_at.is_(None))
    ).all()
    for update_id, payload in rows:
        bind.execute(
            inbox.update()
            .where(inbox.c.update_id == update_id)
            .values(chat_id=_chat_of(payload or {}))
        )
    op.create_table(
        "inbox_lease",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("holder", text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_inbox_lease_holder", "inbox_lease", ["holder"])
    op.create_table(
        "bot_process",
        sa.Column("holder", text(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("chat_lease") as batch:
        batch.add_column(sa.Column("sent", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_lease") as batch:
        batch.drop_column("sent")
    op.drop_table("bot_process")
    op.drop_index("ix_inbox_lease_holder", table_name="inbox_lease")
    op.drop_table("inbox_lease")
    op.drop_index("ix_inbox_update_chat_id", table_name="inbox_update")
    with op.batch_alter_table("inbox_update") as batch:
        batch.drop_column("chat_id")
