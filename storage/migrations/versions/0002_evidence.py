"""evidence and scene: photo checks, checklist slots, fraud flags, case position

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", _STR(), nullable=False, server_default="photo"))
        batch_op.add_column(sa.Column("file_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mime_type", _STR(), nullable=True))
        batch_op.add_column(sa.Column("slot", _STR(), nullable=True))
        # Photos from before this revision were never fetched: they are fetched now.
        batch_op.add_column(sa.Column("status", _STR(), nullable=False, server_default="pending"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", _STR(), nullable=True))
        batch_op.add_column(sa.Column("sha256", _STR(), nullable=True))
        batch_op.add_column(sa.Column("phash", _STR(), nullable=True))
        batch_op.add_column(sa.Column("image_format", _STR(), nullable=True))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("has_metadata", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("taken_offset", _STR(), nullable=True))
        batch_op.add_column(sa.Column("gps_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gps_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_photo_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_phash"), ["phash"], unique=False)

    with op.batch_alter_table("accident_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scenario", _STR(), nullable=False, server_default="default"))
        batch_op.add_column(sa.Column("scene_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("scene_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("scene_source", _STR(), nullable=True))
        batch_op.add_column(sa.Column("scene_title", _STR(), nullable=True))
        batch_op.add_column(sa.Column("scene_address", _STR(), nullable=True))
        batch_op.add_column(sa.Column("scene_set_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("scene_set_by", sa.BigInteger(), nullable=True))

    op.create_table(
        "photo_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["accident_case.id"]),
        sa.ForeignKeyConstraint(["other_case_id"], ["accident_case.id"]),
        sa.ForeignKeyConstraint(["photo_id"], ["photo.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("photo_id", "kind"),
    )
    with op.batch_alter_table("photo_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_flag_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_flag_photo_id"), ["photo_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photo_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_flag_photo_id"))
        batch_op.drop_index(batch_op.f("ix_photo_flag_case_id"))
    op.drop_table("photo_flag")

    with op.batch_alter_table("accident_case", schema=None) as batch_op:
        for name in (
            "scene_set_by",
            "scene_set_at",
            "scene_address",
            "scene_title",
            "scene_source",
            "scene_lon",
            "scene_lat",
            "scenario",
        ):
            batch_op.drop_column(name)

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_phash"))
        batch_op.drop_index(batch_op.f("ix_photo_sha256"))
        batch_op.drop_index(batch_op.f("ix_photo_status"))
        for name in (
            "stored_at",
            "gps_lon",
            "gps_lat",
            "taken_offset",
            "taken_at",
            "has_metadata",
            "height",
            "width",
            "image_format",
            "phash",
            "sha256",
            "last_error",
            "next_attempt_at",
            "attempts",
            "status",
            "slot",
            "mime_type",
            "file_size",
            "kind",
        ):
            batch_op.drop_column(name)
