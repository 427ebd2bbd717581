"""Tables. Changed only through a new Alembic migration in store/migrations/versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

agency = Table(
    "agency",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

case = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agency_id", Integer, ForeignKey("agency.id"), nullable=False),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text),
    Column("created_at", DateTime, nullable=False),
)

exhibit = Table(
    "exhibit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("case_id", "name", name="uq_exhibit_case_name"),
)

ingest_run = Table(
    "ingest_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("exhibit_id", Integer, ForeignKey("exhibit.id"), nullable=False),
    Column("sources", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # running, finished, failed
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("counts", JSON),
    Column("settings", JSON),
)

# A leaf (top-level file or file of a top-level disk image) whose records are all committed.
leaf_done = Table(
    "leaf_done",
    metadata,
    Column("exhibit_id", Integer, ForeignKey("exhibit.id"), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("kind", String(20)),
    Column("run_id", Integer, ForeignKey("ingest_run.id"), nullable=False),
)

content = Table(
    "content",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("md5", String(32), nullable=False, index=True),
    Column("sha1", String(40), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("mime", String(200)),
    Column("kind", String(20)),
    Column("width", Integer),
    Column("height", Integer),
)

file_instance = Table(
    "file_instance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("exhibit_id", Integer, ForeignKey("exhibit.id"), nullable=False),
    Column("run_id", Integer, ForeignKey("ingest_run.id"), nullable=False),
    Column("content_id", Integer, ForeignKey("content.id"), index=True),
    Column("pathspec", JSON, nullable=False),
    Column("pathspec_key", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("size", BigInteger),
    Column("deleted", Boolean, nullable=False),
    Column("mime", String(200)),
    Column("kind", String(20)),
    Column("mtime", DateTime),
    Column("atime", DateTime),
    Column("ctime", DateTime),
    Column("crtime", DateTime),
    UniqueConstraint("exhibit_id", "pathspec_key", name="uq_file_instance_exhibit_pathspec"),
)

hash_value = Table(
    "hash_value",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_id", Integer, ForeignKey("content.id"), nullable=False),
    Column("algorithm", String(32), nullable=False),
    Column("value", String(512), nullable=False),
    Column("quality", Integer),
    UniqueConstraint("content_id", "algorithm", "value", name="uq_hash_value_content_alg_value"),
    Index("ix_hash_value_algorithm_value", "algorithm", "value"),
)

media_metadata = Table(
    "media_metadata",
    metadata,
    Column("content_id", Integer, ForeignKey("content.id"), primary_key=True),
    Column("make", String(200)),
    Column("model", String(200)),
    Column("serial", String(200), index=True),
    Column("image_unique_id", String(200), index=True),
    Column("software", String(200)),
    Column("datetime_original", String(40)),
    Column("orientation", Integer),
    Column("gps_lat", Float),
    Column("gps_lon", Float),
    Column("gps_alt", Float),
    Column("extra", JSON),
)

warning = Table(
    "warning",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("exhibit_id", Integer, ForeignKey("exhibit.id"), nullable=False),
    Column("run_id", Integer, ForeignKey("ingest_run.id"), nullable=False),
    Column("file_instance_id", Integer, ForeignKey("file_instance.id"), index=True),
    Column("key", String(64), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("path", Text),
    Column("pathspec", JSON),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("exhibit_id", "key", name="uq_warning_exhibit_key"),
)
