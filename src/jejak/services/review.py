"""Reviewers categorise media: a content's category in a case, set by an examiner for one content or for
its whole near-duplicate stack, and its history.

A reviewer's category is an assertion (``store.graph``, predicate ``category``, object ``<scheme>:<code>``,
subject ``content:<sha256>``) made in the case: categories are decided per case, append-only, and the
latest one on a content of the case holds. Triage shows it as the content's category (``category_source``
"reviewer"), keeps the lists' category beside it, and flags a disagreement with a list as a conflict;
the VICS export carries it.

Categorising changes the case: it takes the ``review`` permission (reviewers and investigators) and the
case's own agency (an agency the case was shared with reads it, and its categories, but does not change
them). Each call writes one ``category_change`` audit entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from jejak.config import Settings
from jejak.errors import AccessDenied, ConfigError, NotFound
from jejak.model.graph import NodeKind, node_key
from jejak.model.lists import DEFAULT_SCHEME, SCHEMES, Category
from jejak.services.accounts import Perm, Principal, case_for
from jejak.services.audit import record
from jejak.services.media import resolve_content
from jejak.services.triage import triage_case
from jejak.store.graph import CATEGORY
from jejak.store.sql import CaseRow, Store


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def valid_codes(scheme: str) -> str:
    """``0 Non-Pertinent, 1 CAM, ...``: a scheme's codes for messages and help."""
    return ", ".join(f"{code} {label}" for code, label in SCHEMES[scheme].items())


def parse_category(scheme: str, code: str) -> Category:
    """The category ``code`` of ``scheme`` (``2``, ``2.0``, ``a`` read as ``A``), or ConfigError saying
    which codes the scheme has."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown category scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    try:
        cat = Category.parse(scheme, code)
    except ValueError:
        cat = None
    if cat is None:
        raise ConfigError(f"category {code!r} is not in scheme {scheme}; valid codes: {valid_codes(scheme)}")
    return cat


def case_scheme(records: Sequence[dict[str, Any]]) -> str:
    """The scheme a case's categories are given in: the one most of its contents' list and reviewer
    categories use (a tie goes to the default, then by name), the default ``vic-us`` when none has one."""
    counts: Counter[str] = Counter()
    for r in records:
        schemes = {h["entry"]["category"]["scheme"] for h in r["hits"] if h["entry"]["category"]}
        if r["reviewer_category"]:
            schemes.add(r["reviewer_category"]["scheme"])
        counts.update(schemes)
    if not counts:
        return DEFAULT_SCHEME
    return min(counts, key=lambda s: (-counts[s], s != DEFAULT_SCHEME, s))


def _reviewable(store: Store, who: Principal, case: str) -> CaseRow:
    """The case, if ``who`` may categorise its media: it sees the case, has ``review``, and the case is its
    own agency's (categorising changes the case; a shared case is read only)."""
    row = case_for(store, who, case)
    who.require(Perm.review)
    if not who.is_local and row.agency != who.agency:
        raise AccessDenied(
            f"case {case!r} was shared with {who.agency} to read; only {row.agency} categorises its media"
        )
    return row


def _content(store: Store, row: CaseRow, ref: str) -> str:
    """The SHA-256 of ``ref`` (a SHA-256 or a file name of the case), which the case must hold."""
    sha = resolve_content(store, row.name, ref)
    store.media.content_id(sha, row.id)  # NotFound unless the case holds it
    return sha


def _previous(r: dict[str, Any]) -> dict[str, Any]:
    return {"category": r["category"], "source": r["category_source"]}


def categorise(
    store: Store,
    settings: Settings,
    who: Principal,
    case: str,
    ref: str,
    category: str,
    scheme: str | None = None,
    stack: bool = False,
    note: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Give the content ``ref`` (and, with ``stack``, every content of its near-duplicate stack in the
    case) the category ``category`` of ``scheme`` (default: the case's, ``case_scheme``). ``by`` names
    the examiner when the local operator records for someone (default: ``who``). Returns what changed:
    ``{case, sha256, category, scheme, stack, by, at, note, contents: [{sha256, assertion, previous,
    conflict}]}``, the target first."""
    row = _reviewable(store, who, case)
    sha = _content(store, row, ref)
    if note is not None and len(note) > 2000:
        raise ConfigError("a note has at most 2000 characters")
    records = triage_case(store, settings, row.name)
    target = next((r for r in records if r["sha256"] == sha), None)
    if target is None:  # a content the case holds has a triage record; a deletion meanwhile
        raise NotFound(f"no content with SHA-256 {sha} in this case")
    chosen = scheme or case_scheme(records)
    cat = parse_category(chosen, category)
    members = [target]
    if stack:
        members += [r for r in records if r["stack"]["id"] == target["stack"]["id"] and r is not target]
    who_did = by or who.name
    now = _now()
    changed = []
    for r in members:
        aid = store.graph.add_assertion(
            row.id,
            node_key(NodeKind.CONTENT, r["sha256"]),
            CATEGORY,
            f"{cat.scheme}:{cat.code}",
            False,
            note,
            who_did,
            now,
        )
        listed = {
            (h["entry"]["category"]["scheme"], h["entry"]["category"]["code"])
            for h in r["hits"]
            if not h["known_good"] and h["entry"]["category"]
        }
        changed.append(
            {
                "sha256": r["sha256"],
                "assertion": aid,
                "previous": _previous(r),
                "conflict": bool(listed - {(cat.scheme, cat.code)}),
            }
        )
    prev = target["category"]
    record(
        store,
        who,
        "category_change",
        case=row.name,
        target=sha,
        detail={
            "category": cat.code,
            "scheme": cat.scheme,
            "stack": stack,
            "members": len(members),
            "previous": f"{prev['scheme']}:{prev['code']}" if prev else None,
            "previous_source": target["category_source"],
            "by": who_did,
            "note": note,
        },
    )
    return {
        "case": row.name,
        "sha256": sha,
        "category": cat.as_dict(),
        "scheme": cat.scheme,
        "stack": stack,
        "by": who_did,
        "at": now.isoformat(),
        "note": note,
        "contents": changed,
    }


def category_history(store: Store, who: Principal, case: str, ref: str) -> list[dict[str, Any]]:
    """Every category reviewers gave the content in the case, oldest first (the last one holds):
    ``{id, sha256, category: {scheme, code, label}, withdrawn, by, at, note}``. Whoever reads the case
    reads its history."""
    row = case_for(store, who, case)
    sha = _content(store, row, ref)
    out = []
    for a in store.graph.category_assertions(row.id, [node_key(NodeKind.CONTENT, sha)]):
        scheme, _sep, code = a.object.partition(":")
        try:
            cat: dict[str, str] = Category(scheme, code).as_dict()
        except ValueError:  # a code no longer in its scheme: shown as stored
            cat = {"scheme": scheme, "code": code, "label": ""}
        out.append(
            {
                "id": a.id,
                "sha256": sha,
                "category": cat,
                "withdrawn": a.negated,
                "by": a.by,
                "at": a.at.isoformat(),
                "note": a.note,
            }
        )
    return out
