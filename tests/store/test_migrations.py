"""Migrations build exactly the tables schema.py declares, on every backend, and keep data across 0004."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from jejak.errors import StoreError
from jejak.store import schema
from jejak.store.sql import Store


def _alembic() -> Config:
    from jejak.store import sql

    here = os.path.join(os.path.dirname(sql.__file__), "migrations")
    cfg = Config(os.path.join(here, "alembic.ini"))
    cfg.set_main_option("script_location", here)
    return cfg


def test_migrated_database_matches_the_declared_schema(backend_url: str) -> None:
    store = Store.open(backend_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        store.close()
    assert diff == [], f"migrations and schema.py disagree: {diff}"


def test_upgrade_to_0004_keeps_robust_descriptors_and_allows_one_per_algorithm(backend_url: str) -> None:
    engine = create_engine(backend_url)
    cfg = _alembic()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO content (id, sha256, md5, sha1, size, kind) VALUES (1, :s, :m, :h, 10, 'video')"
            ),
            {"s": "a" * 64, "m": "b" * 32, "h": "c" * 40},
        )
        conn.execute(
            text("INSERT INTO content_descriptor (content_id, algorithm, data) VALUES (1, 'orb', :d)"),
            {"d": b"JRB1-old"},
        )
    engine.dispose()
    store = Store.open(backend_url)  # upgrades to head
    try:
        with store.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO content_descriptor (content_id, algorithm, data) VALUES (1, 'vpdq', :d)"),
                {"d": b"0,100,00,0.000\n"},
            )
            rows = conn.execute(
                text("SELECT algorithm, data FROM content_descriptor ORDER BY algorithm")
            ).all()
        assert [(a, bytes(d)) for a, d in rows] == [("orb", b"JRB1-old"), ("vpdq", b"0,100,00,0.000\n")]
        with store.engine.begin() as conn, pytest.raises(IntegrityError):
            conn.execute(
                text("INSERT INTO content_descriptor (content_id, algorithm, data) VALUES (1, 'orb', :d)"),
                {"d": b"again"},
            )
    finally:
        store.close()


def test_a_failed_upgrade_leaves_nothing_half_done(tmp_path: os.PathLike[str]) -> None:
    """A fresh SQLite database whose upgrade fails in its last migration (a table of that name is in the
    way) keeps none of the earlier migrations' tables: the upgrade is one transaction. pysqlite commits
    each CREATE TABLE by itself otherwise, and after a kill -9 during the first open every later open
    failed with 'table agency already exists'."""
    url = f"sqlite:///{tmp_path}/half.db"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE user_preference (x INTEGER)"))  # what 0007 creates
    engine.dispose()
    with pytest.raises(StoreError, match="user_preference"):
        Store.open(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE user_preference"))
    engine.dispose()
    assert tables == {"user_preference"}, tables
    store = Store.open(url)  # nothing in the way now: the whole upgrade runs
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        store.close()
    assert diff == []
