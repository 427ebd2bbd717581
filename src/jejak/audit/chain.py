"""The audit trail's hash chain, pure: how an entry is hashed, and how a sequence of entries is verified.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the entry's own fields
(seq included, so a reordered entry no longer verifies). seq runs from 1 without gaps, so a deleted entry
is named by the gap; the head (last seq and hash, kept apart) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "agency", "action", "case_name", "target", "detail")


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str  # ISO 8601 UTC with microseconds
    actor: str
    agency: str | None
    action: str
    case_name: str | None
    target: str | None
    detail: str | None  # canonical JSON, as stored
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "agency": self.agency,
            "action": self.action,
            "case": self.case_name,
            "target": self.target,
            "detail": json.loads(self.detail) if self.detail else None,
            "prev": self.prev,
            "hash": self.hash,
        }


def canonical(detail: dict[str, Any] | None) -> str | None:
    """The stored (and hashed) form of an entry's detail: sorted keys, no spaces, UTF-8."""
    if not detail:
        return None
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev: str, fields: dict[str, Any]) -> str:
    body = json.dumps([fields[k] for k in FIELDS], separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return hashlib.sha256((prev + "\n" + body).encode("utf-8")).hexdigest()


def seal(
    seq: int,
    prev: str,
    *,
    at: str,
    actor: str,
    agency: str | None,
    action: str,
    case_name: str | None,
    target: str | None,
    detail: str | None,
) -> Entry:
    fields: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "agency": agency,
        "action": action,
        "case_name": case_name,
        "target": target,
        "detail": detail,
    }
    digest = entry_hash(prev, fields)
    return Entry(seq, at, actor, agency, action, case_name, target, detail, prev, digest)


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # edited, missing, reordered, head
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


WINDOW = 4096  # how far apart (in entries) a moved entry and its place can be recognised as a move


def verify(entries: Iterable[Entry], head_seq: int, head_hash: str) -> tuple[int, list[Problem]]:
    """Check entries (in seq order) against the chain and the head. Returns (entries checked, problems
    sorted by seq, the earliest place the trail was touched first).

    Each problem names one seq and a kind: ``edited`` (the entry's content no longer gives its hash, or it
    was rewritten with a new hash so that the next entry no longer names it), ``missing`` (a gap in seq:
    deleted entries), ``reordered`` (an intact entry stored under another seq than the one it was written
    with: its hash verifies with its original seq, found from the entry it names as its predecessor),
    ``head`` (the head row and the last entry disagree: a deleted or added tail, or an edited head).
    Memory is bounded: only the last ``WINDOW`` hashes are kept to recognise moves."""
    problems: list[Problem] = []
    known: OrderedDict[str, int] = OrderedDict()  # stored hash -> the seq its entry was written with
    pending: dict[str, list[Entry]] = {}  # entries not verifying at their seq, by the predecessor they name
    arrived: deque[Entry] = deque()  # the pending entries in arrival order (some resolved since)
    n_pending = 0
    awaiting: dict[str, int] = {}  # intact entries whose predecessor is not seen yet: prev -> seq
    expected, count, last_seq = 1, 0, 0

    def written_seq(h: str) -> int | None:
        return 0 if h == GENESIS else known.get(h)

    def resolve(e: Entry, original: int | None) -> int:
        """Report an entry whose hash does not verify at its seq; the seq it was written with."""
        if original is not None and original != e.seq:
            moved = {k: getattr(e, k) for k in FIELDS} | {"seq": original}
            if entry_hash(e.prev, moved) == e.hash:
                problems.append(
                    Problem(e.seq, "reordered", f"entry {original} was moved to seq {e.seq} (seq changed)")
                )
                return original
        problems.append(Problem(e.seq, "edited", f"entry {e.seq} was edited: its hash does not match"))
        return e.seq

    def remember(h: str, seq: int) -> None:
        nonlocal n_pending
        todo = [(h, seq)]
        while todo:  # a loop, not recursion: resolving one entry can resolve the next one waiting on it
            h, seq = todo.pop()
            known[h] = seq
            if len(known) > WINDOW:
                known.popitem(last=False)
            successor = awaiting.pop(h, None)
            if successor is not None and successor != seq + 1:
                problems.append(
                    Problem(successor, "reordered", f"entry {successor} names entry {seq} as its predecessor")
                )
            for p in pending.pop(h, []):
                n_pending -= 1
                todo.append((p.hash, resolve(p, seq + 1)))

    for e in entries:
        count += 1
        after_gap = False
        if e.seq != expected:
            if e.seq > expected:
                gap = (
                    f"entry {expected} is"
                    if e.seq == expected + 1
                    else f"entries {expected}..{e.seq - 1} are"
                )
                problems.append(Problem(expected, "missing", f"{gap} missing (deleted)"))
                after_gap = True
            else:
                problems.append(Problem(e.seq, "reordered", f"entry {e.seq} appears after {expected - 1}"))
        expected, last_seq = max(expected, e.seq + 1), max(last_seq, e.seq)
        intact = entry_hash(e.prev, {k: getattr(e, k) for k in FIELDS}) == e.hash
        before = written_seq(e.prev)
        if not intact:
            if before is None:  # its predecessor may come later (moved): decide when it does, or at the end
                pending.setdefault(e.prev, []).append(e)
                arrived.append(e)
                n_pending += 1
                while n_pending > WINDOW:  # waited too long: its predecessor is not coming
                    oldest = arrived.popleft()
                    waiting = pending.get(oldest.prev, [])
                    if any(p is oldest for p in waiting):
                        waiting[:] = [p for p in waiting if p is not oldest]
                        if not waiting:
                            del pending[oldest.prev]
                        n_pending -= 1
                        remember(oldest.hash, resolve(oldest, None))
            else:
                remember(e.hash, resolve(e, before + 1))
            continue
        if before is None:
            if not after_gap:  # the predecessor is deleted (gap reported), moved later, or rewritten
                awaiting[e.prev] = e.seq
        elif before != e.seq - 1:
            problems.append(
                Problem(e.seq, "reordered", f"entry {e.seq} names entry {before} as its predecessor")
            )
        remember(e.hash, e.seq)
    for p in sorted((p for ps in pending.values() for p in ps), key=lambda p: p.seq):
        resolve(p, None)
    for seq in awaiting.values():
        problems.append(
            Problem(
                seq - 1,
                "edited",
                f"entry {seq - 1} was rewritten: entry {seq} names a predecessor that is not in the trail",
            )
        )
    if head_seq > last_seq:
        what = (
            f"entry {head_seq} is" if head_seq == last_seq + 1 else f"entries {last_seq + 1}..{head_seq} are"
        )
        problems.append(Problem(last_seq + 1, "head", f"{what} missing at the end (deleted)"))
    elif head_seq < last_seq:
        problems.append(
            Problem(head_seq + 1, "head", f"entries {head_seq + 1}..{last_seq} follow the head (added)")
        )
    elif written_seq(head_hash) != head_seq:
        problems.append(
            Problem(head_seq, "head", f"the head's hash does not match entry {head_seq} (rewritten)")
        )
    problems.sort(key=lambda p: p.seq)
    return count, problems
