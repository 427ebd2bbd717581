"""The audit trail's hash chain on SQLite and PostgreSQL: concurrent appends chain in turn, and tampering
with the database directly (an edited detail, a deleted middle or last entry, two entries' seq swapped) is
found by 'jejak audit verify' (exit 10) naming the seq and the kind."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from jejak.audit.chain import GENESIS, Entry, seal, verify
from jejak.errors import AuditBroken
from jejak.services.accounts import Principal
from jejak.services.audit import record, verify_trail
from jejak.store.sql import Store
from tests.conftest import Cli

THREADS = 6
EACH = 15


@pytest.fixture
def store(backend_url: str) -> Iterator[Store]:
    s = Store.open(backend_url)
    yield s
    s.close()


def test_concurrent_appends_chain_in_turn(store: Store) -> None:
    who = Principal.local()
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                record(store, who, "match", case=f"T-{n}", detail={"thread": n, "i": i})
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    report = verify_trail(store)
    assert report["ok"], report["problems"]
    assert report["entries"] == THREADS * EACH and report["head"]["seq"] == THREADS * EACH
    entries = list(store.audit.entries())
    assert [e.seq for e in entries] == list(range(1, THREADS * EACH + 1))
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    for n in range(THREADS):  # each thread's entries are all there, in the order it wrote them
        mine = [e for e in entries if e.case_name == f"T-{n}"]
        assert [e.as_dict()["detail"]["i"] for e in mine] == list(range(EACH))


def _trail(store: Store, n: int = 8) -> None:
    who = Principal.local()
    for i in range(1, n + 1):
        record(store, who, "list_import", target=f"list-{i}", detail={"n": i})


def _edit_detail(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_entry SET detail = :d WHERE seq = 3"), {"d": '{"n":99}'})


def _delete_middle(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_entry WHERE seq = 5"))


def _delete_last(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_entry WHERE seq = 8"))


def _swap(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_entry SET seq = -1 WHERE seq = 4"))
    conn.execute(text("UPDATE audit_entry SET seq = 4 WHERE seq = 6"))
    conn.execute(text("UPDATE audit_entry SET seq = 6 WHERE seq = -1"))


TAMPERING: dict[str, tuple[Callable[[Connection], None], list[tuple[int, str]]]] = {
    "edited": (_edit_detail, [(3, "edited")]),
    "deleted-middle": (_delete_middle, [(5, "missing")]),
    "deleted-last": (_delete_last, [(8, "head")]),
    "reordered": (_swap, [(4, "reordered"), (6, "reordered")]),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_found(backend_url: str, store: Store, tmp_path: Path, how: str) -> None:
    tamper, expected = TAMPERING[how]
    _trail(store)
    cli = Cli(backend_url, tmp_path)
    ok = cli("audit", "verify")
    assert ok.out.startswith("OK: 8 entries, head seq 8 hash ")
    assert ok.out.strip().endswith(store.audit.head()[1])
    with store.engine.begin() as conn:
        tamper(conn)

    report = verify_trail(store)
    assert not report["ok"]
    assert [(p["seq"], p["kind"]) for p in report["problems"]] == expected

    broken = cli("audit", "verify", check=False)
    assert broken.code == AuditBroken.exit_code == 10
    lines = broken.out.splitlines()
    assert [line.split(": ")[:2] for line in lines] == [[f"seq {s}", k] for s, k in expected]
    assert "does not verify" in broken.err
    as_json = cli("audit", "verify", "--json", check=False)
    assert as_json.code == 10
    assert [(p["seq"], p["kind"]) for p in as_json.json()["problems"]] == expected


def test_entries_appended_behind_the_head_are_found(store: Store) -> None:
    _trail(store, 3)
    last = list(store.audit.entries())[-1]
    with store.engine.begin() as conn:  # a forged entry that does not move the head
        conn.execute(
            text(
                "INSERT INTO audit_entry (seq, at, actor, action, prev, hash) "
                "VALUES (4, :at, 'someone', 'match', :prev, :hash)"
            ),
            {"at": last.at, "prev": last.hash, "hash": "f" * 64},
        )
    report = verify_trail(store)
    assert [(p["seq"], p["kind"]) for p in report["problems"]] == [(4, "head")]


def test_verify_while_appending(store: Store) -> None:
    """A live server appends while an auditor verifies: new entries are not taken for forged ones."""
    _trail(store, 5)
    stop = threading.Event()
    failures: list[BaseException] = []

    def append() -> None:
        try:
            while not stop.is_set():
                record(store, Principal.local(), "case_view", case="NL-1")
        except BaseException as exc:
            failures.append(exc)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        reports = [verify_trail(store) for _ in range(10)]
    finally:
        stop.set()
        writer.join()
    assert not failures
    assert all(r["ok"] for r in reports), [r["problems"] for r in reports if not r["ok"]]
    assert verify_trail(store)["ok"]


def _pure(n: int = 10) -> list[Entry]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        e = seal(i, prev, at=f"2026-01-01T00:00:{i:02d}.000000Z", actor="a", agency=None, action="match",
                 case_name=None, target=str(i), detail=None)  # fmt: skip
        out.append(e)
        prev = e.hash
    return out


def _swapped(entries: list[Entry], a: int, b: int) -> list[Entry]:
    moved = [replace(e, seq=b if e.seq == a else a if e.seq == b else e.seq) for e in entries]
    return sorted(moved, key=lambda e: e.seq)


def _rehashed(entries: list[Entry], seq: int) -> list[Entry]:
    """Entry ``seq`` rewritten by someone who recomputed its own hash (but not the entries after it)."""
    e = entries[seq - 1]
    forged = seal(seq, e.prev, at=e.at, actor="someone else", agency=None, action=e.action,
                  case_name=None, target=e.target, detail=None)  # fmt: skip
    return [forged if x.seq == seq else x for x in entries]


Tamper = Callable[[list[Entry]], list[Entry]]
PURE: dict[str, tuple[Tamper, list[tuple[int, str]]]] = {
    "intact": (lambda es: es, []),
    "swap first two": (lambda es: _swapped(es, 1, 2), [(1, "reordered"), (2, "reordered")]),
    "swap far apart": (lambda es: _swapped(es, 2, 9), [(2, "reordered"), (9, "reordered")]),
    "swap last two": (lambda es: _swapped(es, 9, 10), [(9, "reordered"), (10, "reordered")]),
    "two gaps": (lambda es: [e for e in es if e.seq not in (3, 4, 7)], [(3, "missing"), (7, "missing")]),
    "rewritten with a new hash": (lambda es: _rehashed(es, 5), [(5, "edited")]),
    "tail of three deleted": (lambda es: es[:7], [(8, "head")]),
}


@pytest.mark.parametrize("case", list(PURE))
def test_verify_names_seq_and_kind(case: str) -> None:
    tamper, expected = PURE[case]
    entries = _pure()
    kept = tamper(entries)
    count, problems = verify(kept, 10, entries[-1].hash)
    assert [(p.seq, p.kind) for p in problems] == expected
    assert count == len(kept)


def test_verify_head_and_empty() -> None:
    entries = _pure()
    assert [(p.seq, p.kind) for p in verify(entries, 10, "f" * 64)[1]] == [(10, "head")]
    assert verify([], 0, GENESIS) == (0, [])
    assert [(p.seq, p.kind) for p in verify([], 2, "f" * 64)[1]] == [(1, "head")]
