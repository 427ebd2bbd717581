"""Bulk inserts: a million list entries in seconds, inside the caller's transaction.

Rows are positional tuples (no per-row dicts through SQLAlchemy's compiler), sent in chunks: SQLite gets
``executemany`` on the DB-API cursor, PostgreSQL gets ``COPY ... FROM STDIN``. JSON columns are given as
JSON text.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.sql.schema import Table

if TYPE_CHECKING:
    from jejak.store.sql import Store


class BulkWriter:
    def __init__(
        self, store: Store, conn: Connection, table: Table, columns: Sequence[str], chunk: int = 10_000
    ) -> None:
        self.postgres = store.dialect == "postgresql"
        self.dbapi = conn.connection.driver_connection
        self.columns = tuple(columns)
        self.chunk = chunk
        self.rows: list[tuple[Any, ...]] = []
        names = ", ".join(self.columns)
        if self.postgres:
            self.sql = f"COPY {table.name} ({names}) FROM STDIN"
        else:
            self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(self.columns))})"

    def __enter__(self) -> BulkWriter:
        return self

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        assert self.dbapi is not None
        if self.postgres:
            with self.dbapi.cursor() as cur, cur.copy(self.sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            cur = self.dbapi.cursor()
            try:
                cur.executemany(self.sql, self.rows)
            finally:
                cur.close()
        self.rows = []

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.flush()
