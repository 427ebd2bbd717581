"""link analysis: identifiers found in contents, people, assertions, graph edges, alerts

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "content_identifier",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_offset", sa.Integer(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_content_identifier_content_id_content")
        ),
        sa.PrimaryKeyConstraint("content_id", "kind", "value", name=op.f("pk_content_identifier")),
    )
    op.create_index("ix_content_identifier_kind_value", "content_identifier", ["kind", "value"], unique=False)
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.Column("external_ids", sa.JSON(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_person_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("key", name=op.f("uq_person_key")),
    )
    op.create_table(
        "assertion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("predicate", sa.String(length=20), nullable=False),
        sa.Column("object", sa.String(length=300), nullable=False),
        sa.Column("negated", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_assertion_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assertion")),
    )
    op.create_index(op.f("ix_assertion_subject"), "assertion", ["subject"], unique=False)
    op.create_index(op.f("ix_assertion_object"), "assertion", ["object"], unique=False)
    op.create_table(
        "graph_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a", sa.String(length=300), nullable=False),
        sa.Column("b", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_edge")),
        sa.UniqueConstraint("a", "b", "rule", name="uq_graph_edge_a_b_rule"),
    )
    op.create_index(op.f("ix_graph_edge_b"), "graph_edge", ["b"], unique=False)
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("via", sa.String(length=300), nullable=False),
        sa.Column("victim_identified", sa.Boolean(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_alert_case_id_cases")),
        sa.ForeignKeyConstraint(["other_case_id"], ["cases.id"], name=op.f("fk_alert_other_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("case_id", "other_case_id", "rule", "subject", "via", name="uq_alert_key"),
    )
    op.create_index(op.f("ix_alert_case_id"), "alert", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_case_id"), table_name="alert")
    op.drop_table("alert")
    op.drop_index(op.f("ix_graph_edge_b"), table_name="graph_edge")
    op.drop_table("graph_edge")
    op.drop_index(op.f("ix_assertion_object"), table_name="assertion")
    op.drop_index(op.f("ix_assertion_subject"), table_name="assertion")
    op.drop_table("assertion")
    op.drop_table("person")
    op.drop_index("ix_content_identifier_kind_value", table_name="content_identifier")
    op.drop_table("content_identifier")
