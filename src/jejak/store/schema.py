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
    LargeBinary,
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

# -- known-hash lists (migration 0002) ------------------------------------------------------------
hash_list = Table(
    "hash_list",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("known_good", Boolean, nullable=False),
    Column("scheme", String(20)),  # category scheme of its entries
    Column("pdq_threshold", Integer),  # None: the setting match_pdq_threshold
    Column("description", Text),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(200)),
)

# One import (or build) of a list: who brought which file when, and what changed.
list_version = Table(
    "list_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("hash_list.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("source", Text),
    Column("source_sha256", String(64)),
    Column("format", String(20), nullable=False),
    Column("header", JSON),
    Column("imported_by", String(200)),
    Column("imported_at", DateTime, nullable=False),
    Column("counts", JSON),
    Column("problems", JSON),
    UniqueConstraint("list_id", "number", name="uq_list_version_list_number"),
)

# An entry lives from the version that added it until the version that no longer had it (removed_in).
# Its hashes never change: an item whose hashes change is a different entry (key = all its hashes).
list_entry = Table(
    "list_entry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("hash_list.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(32), nullable=False),  # blake2b-128 of ListEntry.key
    Column("fingerprint", String(32), nullable=False),  # of everything but the hashes: tells an update
    Column("md5", String(32)),
    Column("sha1", String(40)),
    Column("sha256", String(64)),
    Column("pdq", String(64)),
    Column("photodna", Text),
    Column("category_scheme", String(20)),
    Column("category_code", String(8)),
    Column("series", String(500)),
    Column("victim_identified", Boolean),
    Column("offender_identified", Boolean),
    Column("distributed", Boolean),
    Column("baseline", Boolean),
    Column("external_id", String(200)),
    Column("media_type", String(100)),
    Column("name", Text),
    Column("size", BigInteger),
    Column("extra", JSON),
    Column("added_in", Integer, nullable=False),  # list_version.number
    Column("updated_in", Integer, nullable=False),
    Column("removed_in", Integer),
    # (list_id, key) is unique by construction (one import per list at a time diffs by key in memory);
    # an index on it would cost a third of the insert time of a national list for no read.
    Index("ix_list_entry_list_id", "list_id"),
    Index("ix_list_entry_md5", "md5"),
    Index("ix_list_entry_sha1", "sha1"),
    Index("ix_list_entry_sha256", "sha256"),
    # Ids are never reused (SQLite AUTOINCREMENT; PostgreSQL sequences never do): the PDQ index refers to
    # entries by id and only grows, so an id must never come to mean another entry.
    sqlite_autoincrement=True,
)

# A content of the store that matched a list entry: by which algorithm, how far, through which variant.
match_hit = Table(
    "match_hit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_id", Integer, ForeignKey("content.id"), nullable=False),
    Column("entry_id", Integer, ForeignKey("list_entry.id", ondelete="CASCADE"), nullable=False),
    Column("list_id", Integer, ForeignKey("hash_list.id", ondelete="CASCADE"), nullable=False),
    Column("algorithm", String(32), nullable=False),
    Column("distance", Integer, nullable=False),
    Column("variant", String(16)),
    Column("evidence", JSON),  # why a robust-stage hit matched: inliers, score, estimated transform
    Column("matched_at", DateTime, nullable=False),
    UniqueConstraint("content_id", "entry_id", "algorithm", name="uq_match_hit_content_entry_alg"),
    Index("ix_match_hit_entry_id", "entry_id"),
)

# -- robust matching (migration 0003), video and audio (0004) ------------------------------------------
# Descriptors of a content (seized media) and of a list entry built from media, one per algorithm: an
# opaque, versioned blob (jejak.hashing.robust "orb"; vPDQ text "vpdq"; jejak.hashing.audio "chromaprint"),
# never pickled. 0003 keyed them by content/entry alone; 0004 by (content/entry, algorithm).
content_descriptor = Table(
    "content_descriptor",
    metadata,
    Column("content_id", Integer, ForeignKey("content.id"), primary_key=True),
    Column("algorithm", String(32), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

entry_descriptor = Table(
    "entry_descriptor",
    metadata,
    Column("entry_id", Integer, ForeignKey("list_entry.id", ondelete="CASCADE"), primary_key=True),
    Column("algorithm", String(32), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# -- video and audio (migration 0004) ---------------------------------------------------------------------
# A review aid stored at ingest: the contact sheet of a video's sampled frames (JPEG), blurred at display.
content_preview = Table(
    "content_preview",
    metadata,
    Column("content_id", Integer, ForeignKey("content.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),  # "contact_sheet" (videos), "thumbnail" (stills)
    Column("mime", String(50), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# A categorised time range of a video (VICS "Segment"), asserted by an examiner.
media_segment = Table(
    "media_segment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_id", Integer, ForeignKey("content.id"), nullable=False, index=True),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("category_scheme", String(20)),
    Column("category_code", String(8)),
    Column("note", Text),
    Column("by", String(200)),
    Column("created_at", DateTime, nullable=False),
)

# Two contents of the store found to share media: a video clip (vPDQ frames) or an audio segment
# (Chromaprint), with the evidence (shares, time ranges, offsets). content_a < content_b; a fact about
# contents, like match_hit, so every case that holds both sees it.
media_link = Table(
    "media_link",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_a", Integer, ForeignKey("content.id"), nullable=False),
    Column("content_b", Integer, ForeignKey("content.id"), nullable=False, index=True),
    Column("algorithm", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON),
    Column("found_at", DateTime, nullable=False),
    UniqueConstraint("content_a", "content_b", "algorithm", name="uq_media_link_a_b_alg"),
)

# -- link analysis (migration 0005) -----------------------------------------------------------------------
# Identifiers found in a content's text (a text file, a chat export, an EXIF comment): a fact about the
# bytes, like a hash. value is the normalised form (jejak.graph.identifiers), raw the first spelling seen.
content_identifier = Table(
    "content_identifier",
    metadata,
    Column("content_id", Integer, ForeignKey("content.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),  # url, invite, email, phone, username, onion, account
    Column("value", String(500), primary_key=True),
    Column("source", String(20), nullable=False),  # text, chat, exif
    Column("count", Integer, nullable=False),
    Column("first_offset", Integer),
    Column("raw", Text),
    Index("ix_content_identifier_kind_value", "kind", "value"),
)

# People asserted by investigators: a victim or an offender, identified or not, with aliases and external
# ids (an ICSE series or image id...). key is the investigators' own label ("V-12").
person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # victim, offender
    Column("identified", Boolean, nullable=False),
    Column("aliases", JSON),
    Column("external_ids", JSON),
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("created_by", String(200)),
    Column("created_at", DateTime, nullable=False),
)

# What investigators assert, append-only: subject and object are graph node keys ("content:<sha256>",
# "person:V-12", "series:Blue room"); predicate victim, offender, series, same; negated rejects it (a
# "not the same" or "not this victim"). The latest assertion on a (subject, predicate, object) holds.
# Predicate note (a note alone about a content): the content as subject and object, never a link.
# Predicate category (object "<scheme>:<code>", per case): a reviewer's category of a content, the latest
# in the case holds; kept apart from the link graph's assertions (store.graph.category_assertions).
assertion = Table(
    "assertion",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("subject", String(300), nullable=False, index=True),
    Column("predicate", String(20), nullable=False),
    Column("object", String(300), nullable=False, index=True),
    Column("negated", Boolean, nullable=False),
    Column("note", Text),
    Column("by", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
)

# Links found by the rules of jejak.graph between node keys (a < b), with the rule, a score in [0, 1] and
# the evidence. Facts about contents and the entities they show, like media_link (which holds the links
# between two contents found by the video and audio stages).
graph_edge = Table(
    "graph_edge",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("a", String(300), nullable=False),
    Column("b", String(300), nullable=False, index=True),
    Column("rule", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON),
    Column("found_at", DateTime, nullable=False),
    UniqueConstraint("a", "b", "rule", name="uq_graph_edge_a_b_rule"),
)

# A link from a case into another case: what links (subject in this case, via the shared node), how
# strongly, whether the other side's victim is identified. One row per receiving case.
alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("other_case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("subject", String(300), nullable=False),
    Column("via", String(300), nullable=False),
    Column("victim_identified", Boolean),
    Column("evidence", JSON),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("case_id", "other_case_id", "rule", "subject", "via", name="uq_alert_key"),
)

# -- the multi-agency server: accounts, tokens, sharing, audit, server-side jobs -------------------------

# A person who signs in (or whose token a program uses): one agency, one role (admin, investigator,
# reviewer, auditor, platform). The password is an argon2 hash, never the password.
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("agency_id", Integer, ForeignKey("agency.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),
)

# A user's preference for the review UI (e.g. ``blur``: how gently previews are shown), one row per key.
user_preference = Table(
    "user_preference",
    metadata,
    Column("user_id", Integer, ForeignKey("app_user.id"), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# An API token: random, shown once; only its SHA-256 is stored (a 256-bit random secret needs no slow hash).
api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime),
    Column("revoked_at", DateTime),
    Column("last_used_at", DateTime),
)

# A case an agency shares with another agency, explicitly (the owner's agency always sees its cases).
case_share = Table(
    "case_share",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("agency_id", Integer, ForeignKey("agency.id"), primary_key=True),
    Column("by", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
)

# The audit trail, append-only and hash-chained: hash = SHA-256(prev + canonical JSON of the entry).
# seq is contiguous from 1; audit_head (one row) holds the last seq and hash, written in the same
# transaction, so that a deleted last entry is detected too.
audit_entry = Table(
    "audit_entry",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC, microseconds: part of the hashed form
    Column("actor", String(100), nullable=False),
    Column("agency", String(200)),
    Column("action", String(40), nullable=False),
    Column("case_name", String(200), index=True),
    Column("target", String(300)),
    Column("detail", Text),  # canonical JSON, hashed as stored
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
)

# A server-side ingest job, recorded before it is accepted (202) so that a restart loses none: queued ->
# running -> finished | failed; a job found "running" at start-up is run again (ingest resumes).
server_job = Table(
    "server_job",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # ingest
    Column("params", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("submitted_by", String(100), nullable=False),
    Column("submitted_at", DateTime, nullable=False),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    Column("result", JSON),
    Column("error", Text),
)
