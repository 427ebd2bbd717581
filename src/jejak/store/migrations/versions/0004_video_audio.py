"""video and audio: descriptors keyed by algorithm, contact sheets, segments, media links

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def _rekey(table: str, owner: str) -> None:
    """Primary key (owner) -> (owner, algorithm): a content or entry may have one descriptor per algorithm."""
    with op.batch_alter_table(table, recreate="always") as batch_op:
        batch_op.drop_constraint(f"pk_{table}", type_="primary")
        batch_op.create_primary_key(f"pk_{table}", [owner, "algorithm"])


def upgrade() -> None:
    _rekey("content_descriptor", "content_id")
    _rekey("entry_descriptor", "entry_id")
    op.create_table(
        "content_preview",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mime", sa.String(length=50), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_content_preview_content_id_content")
        ),
        sa.PrimaryKeyConstraint("content_id", "kind", name=op.f("pk_content_preview")),
    )
    op.create_table(
        "media_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("category_scheme", sa.String(length=20), nullable=True),
        sa.Column("category_code", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_media_segment_content_id_content")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_segment")),
    )
    op.create_index(op.f("ix_media_segment_content_id"), "media_segment", ["content_id"], unique=False)
    op.create_table(
        "media_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_a", sa.Integer(), nullable=False),
        sa.Column("content_b", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["content_a"], ["content.id"], name=op.f("fk_media_link_content_a_content")),
        sa.ForeignKeyConstraint(["content_b"], ["content.id"], name=op.f("fk_media_link_content_b_content")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_link")),
        sa.UniqueConstraint("content_a", "content_b", "algorithm", name="uq_media_link_a_b_alg"),
    )
    op.create_index(op.f("ix_media_link_content_b"), "media_link", ["content_b"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_media_link_content_b"), table_name="media_link")
    op.drop_table("media_link")
    op.drop_index(op.f("ix_media_segment_content_id"), table_name="media_segment")
    op.drop_table("media_segment")
    op.drop_table("content_preview")
    for table, owner in (("entry_descriptor", "entry_id"), ("content_descriptor", "content_id")):
        op.execute(f"DELETE FROM {table} WHERE algorithm <> 'orb'")  # 0003 held one (robust) per owner
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", [owner])
