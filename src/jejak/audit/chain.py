"""The audit trail's hash chain, pure: how an entry is hashed, and how a sequence of entries is verified.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the entry's own fields
(seq included, so a reordered entry no longer verifies). seq runs from 1 without gaps, so a deleted entry
is named by the gap; the head (last seq and hash, kept apart) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
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


def verify(entries: Iterable[Entry], head_seq: int, head_hash: str) -> tuple[int, list[Problem]]:
    """Check entries (in seq order) against the chain and the head. Returns (entries checked, problems);
    the first problem names the earliest place the trail was touched."""
    problems: list[Problem] = []
    expected_seq, prev, count = 1, GENESIS, 0
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            if e.seq > expected_seq:
                gap = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}..{e.seq - 1}"
                problems.append(Problem(expected_seq, "missing", f"entries {gap} are missing (deleted)"))
            else:
                problems.append(
                    Problem(e.seq, "reordered", f"entry {e.seq} appears after {expected_seq - 1}")
                )
        fields = {k: getattr(e, k) for k in FIELDS}
        if entry_hash(e.prev, fields) != e.hash:
            problems.append(Problem(e.seq, "edited", f"entry {e.seq} was edited: its hash does not match"))
        elif e.prev != prev:
            problems.append(
                Problem(e.seq, "reordered", f"entry {e.seq} does not follow the entry before it in the chain")
            )
        prev, expected_seq = e.hash, max(expected_seq, e.seq) + 1
    if head_seq != expected_seq - 1 or head_hash != prev:
        if head_seq > expected_seq - 1:
            msg = f"entries {expected_seq}..{head_seq} are missing at the end (deleted)"
        else:
            msg = f"the trail's head (entry {head_seq}) does not match its last entry ({expected_seq - 1})"
        problems.append(Problem(expected_seq, "head", msg))
    return count, problems
