"""The audit trail's use cases: record what a principal did, verify the chain, show a case's entries."""

from __future__ import annotations

from typing import Any

from jejak.audit.chain import Entry, Problem, verify
from jejak.services.accounts import Perm, Principal
from jejak.store.sql import Store

# What is recorded (the action names are part of the audit contract, docs/audit.md).
ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "case_create",
    "case_view",
    "case_share",
    "case_unshare",
    "media_reveal",
    "category_change",
    "assertion",
    "list_import",
    "list_export",
    "list_remove",
    "match",
    "export",
    "ingest_job",
    "admin_agency",
    "admin_user",
    "admin_token",
    "admin_revoke",
    "audit_view",
    "preserve",
)


def record(
    store: Store,
    who: Principal,
    action: str,
    *,
    case: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Entry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return store.audit.append(
        who.name, action, agency=who.agency, case_name=case, target=target, detail=detail
    )


def verify_trail(store: Store) -> dict[str, Any]:
    """Walk the whole trail; {"ok", "entries", "head", "problems": [{seq, kind, message}]}.

    The entries up to the head read first are verified, so that entries appended meanwhile (a live server)
    are not taken for entries added behind jejak's back; those are looked for afterwards: stored entries
    beyond the head as it is now."""
    head_seq, head_hash = store.audit.head()
    count, problems = verify(store.audit.entries(until=head_seq), head_seq, head_hash)
    last = store.audit.last_seq()
    if last > head_seq and last > store.audit.head()[0]:  # appends commit the entry and the head together
        problems.append(
            Problem(head_seq + 1, "head", f"entries {head_seq + 1}..{last} follow the head (added)")
        )
    return {
        "ok": not problems,
        "entries": count,
        "head": {"seq": head_seq, "hash": head_hash},
        "problems": [p.as_dict() for p in problems],
    }


def show(
    store: Store,
    who: Principal,
    *,
    case: str | None = None,
    action: str | None = None,
    after: int = 0,
    limit: int | None = None,
    actor: str | None = None,
    before: int | None = None,
    newest_first: bool = False,
) -> list[Entry]:
    """Entries an auditor may read: the local operator all of them; an agency's auditor or admin those
    written by its own people or about its own cases. ``actor`` keeps one actor's entries, ``before`` those
    below a seq, ``newest_first`` reads from the latest down (the review UI's pages)."""
    who.require(Perm.audit_read)
    if who.is_local:
        return list(
            store.audit.entries(
                case_names=[case] if case else None,
                action=action,
                after=after,
                limit=limit,
                actor=actor,
                before=before,
                newest_first=newest_first,
            )
        )
    own_cases = [c.name for c in store.list_cases() if c.agency == who.agency]
    if case is not None:
        own_cases = [c for c in own_cases if c == case]
    out: list[Entry] = []
    found = store.audit.entries(
        action=action, after=after, actor=actor, before=before, newest_first=newest_first
    )
    for e in found:
        mine = e.agency == who.agency or (e.case_name is not None and e.case_name in own_cases)
        if mine and (case is None or e.case_name == case):
            out.append(e)
            if limit is not None and len(out) >= limit:
                break
    return out
