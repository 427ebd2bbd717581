"""The audit trail in the store (``store.audit``): append under the head's row lock, read, read the head."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from jejak.audit.chain import Entry, canonical, now_iso, seal
from jejak.store import schema as t

if TYPE_CHECKING:
    from jejak.store.sql import Store


class AuditStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(
        self,
        actor: str,
        action: str,
        *,
        agency: str | None = None,
        case_name: str | None = None,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> Entry:
        """Append one entry. The head row is updated first: that write takes the lock (SQLite's database
        lock, PostgreSQL's row lock) before the previous hash is read, so concurrent writers chain in turn.
        With ``conn`` the entry commits (or rolls back) with the caller's own change."""
        if conn is not None:
            return self._append(conn, actor, action, agency, case_name, target, detail)
        with self.store.engine.begin() as c:
            return self._append(c, actor, action, agency, case_name, target, detail)

    def _append(
        self,
        conn: Connection,
        actor: str,
        action: str,
        agency: str | None,
        case_name: str | None,
        target: str | None,
        detail: dict[str, Any] | None,
    ) -> Entry:
        h = t.audit_head
        conn.execute(h.update().where(h.c.id == 1).values(seq=h.c.seq + 1))
        seq, prev_seq_hash = conn.execute(select(h.c.seq, h.c.hash).where(h.c.id == 1)).one()
        entry = seal(
            int(seq),
            str(prev_seq_hash),
            at=now_iso(),
            actor=actor,
            agency=agency,
            action=action,
            case_name=case_name,
            target=(target or None) and target[:300],
            detail=canonical(detail),
        )
        conn.execute(
            t.audit_entry.insert().values(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                agency=entry.agency,
                action=entry.action,
                case_name=entry.case_name,
                target=entry.target,
                detail=entry.detail,
                prev=entry.prev,
                hash=entry.hash,
            )
        )
        conn.execute(h.update().where(h.c.id == 1).values(hash=entry.hash))
        return entry

    def head(self) -> tuple[int, str]:
        with self.store.engine.connect() as conn:
            seq, hash_ = conn.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        return int(seq), str(hash_)

    def last_seq(self) -> int:
        """The highest seq stored (0 for none): entries beyond the head were not appended by jejak."""
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.max(t.audit_entry.c.seq))).scalar() or 0)

    def entries(
        self,
        *,
        case_names: list[str] | None = None,
        agency: str | None = None,
        action: str | None = None,
        after: int = 0,
        until: int | None = None,
        limit: int | None = None,
        actor: str | None = None,
        before: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[Entry]:
        """Entries in seq order (all of them for verification; filtered for reading); ``until``: up to
        and including this seq; ``before``: below this seq; ``newest_first``: in descending seq order (a
        reader's page of the latest entries)."""
        e = t.audit_entry
        q = select(
            e.c.seq,
            e.c.at,
            e.c.actor,
            e.c.agency,
            e.c.action,
            e.c.case_name,
            e.c.target,
            e.c.detail,
            e.c.prev,
            e.c.hash,
        ).where(e.c.seq > after)
        if until is not None:
            q = q.where(e.c.seq <= until)
        if case_names is not None:
            q = q.where(e.c.case_name.in_(case_names))
        if agency is not None:
            q = q.where(e.c.agency == agency)
        if action is not None:
            q = q.where(e.c.action == action)
        if actor is not None:
            q = q.where(e.c.actor == actor)
        if before is not None:
            q = q.where(e.c.seq < before)
        q = q.order_by(e.c.seq.desc() if newest_first else e.c.seq)
        if limit is not None:
            q = q.limit(limit)
        with self.store.engine.connect() as conn:
            for r in conn.execute(q).yield_per(1000):
                yield Entry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
