"""the review UI: a user's preferences (how gently previews are shown)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "user_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_preference_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_user_preference")),
    )


def downgrade() -> None:
    op.drop_table("user_preference")
