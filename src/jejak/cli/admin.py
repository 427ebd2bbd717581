"""``jejak admin``: agencies, users and API tokens; ``jejak case share/unshare``. Every change is written to
the audit trail as the local operator (``Principal.local()``)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from jejak.cli.common import check_format, open_store, settings
from jejak.cli.output import emit, err
from jejak.errors import ConfigError, NotFound
from jejak.services import accounts
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.store.accounts import TokenRow

admin_app = typer.Typer(no_args_is_help=True, help="Agencies, users and API tokens (audited).")


def _read_password(password_stdin: bool, no_password: bool) -> str | None:
    """The new user's password: never an argument (it would stay in the shell history and the process
    list). From stdin (its first line) with --password-stdin, else typed twice at a prompt."""
    if no_password:
        if password_stdin:
            raise ConfigError("--no-password and --password-stdin exclude each other")
        return None
    if password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise ConfigError("--password-stdin read an empty password")
    else:
        password = str(typer.prompt("password", hide_input=True, confirmation_prompt=True, err=True))
    if len(password) < accounts.MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {accounts.MIN_PASSWORD} characters")
    return password


@admin_app.command("create-agency")
def create_agency(
    name: Annotated[str, typer.Argument(help="the agency's name, e.g. 'Politie NL'")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an agency: it owns cases, users and tokens."""
    store = open_store()
    row = store.accounts.create_agency(name)
    record(store, Principal.local(), "admin_agency", target=row.name, detail={"op": "create"})
    if as_json:
        print(json.dumps({"agency": row.name, "created_at": row.created_at.isoformat()}))
    else:
        err.print(f"agency [bold]{row.name}[/] created")


@admin_app.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="the user name (letters, digits, . _ @ -)")],
    agency: Annotated[str, typer.Option("--agency", help="the user's agency (it must exist)")],
    role: Annotated[str, typer.Option("--role", help="admin | investigator | reviewer | auditor | platform")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="no password: the user signs in with API tokens only")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a user of an agency with one role. The password is typed at a prompt (twice), or read
    from stdin; never given as an argument."""
    if role not in accounts.Role._value2member_map_:
        raise ConfigError(f"--role must be one of {', '.join(r.value for r in accounts.Role)}, not {role!r}")
    store = open_store()
    store.accounts.agency(agency)  # a missing agency fails before the password is asked for
    password = _read_password(password_stdin, no_password)
    row = accounts.create_user(store, name, agency, role, password)
    record(
        store,
        Principal.local(),
        "admin_user",
        target=row.name,
        detail={"op": "create", "agency": row.agency, "role": row.role, "password": password is not None},
    )
    if as_json:
        print(json.dumps(row.as_dict()))
    else:
        err.print(f"user [bold]{row.name}[/] ({row.role}) created in {row.agency}")


def _token_status(t: TokenRow) -> str:
    if t.revoked_at is not None:
        return "revoked"
    if t.expires_at is not None and t.expires_at <= datetime.now(UTC).replace(tzinfo=None):
        return "expired"
    return "active"


@admin_app.command("create-token")
def create_token(
    user: Annotated[str, typer.Option("--user", help="the user the token acts as")],
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="lifetime: 30d, 12h, 90m, 2w or never (default: api_token_days)"),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="narrow the token to these permissions (repeat); default: the role's"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print id, prefix, expiry, scopes and the token as JSON")
    ] = False,
) -> None:
    """Create an API token. It is shown once, alone on the last line of stdout; only its SHA-256 is kept."""
    s = settings()
    store = open_store(s)
    expires_at = accounts.parse_expiry(expires, s.api_token_days)
    token, row = accounts.create_token(store, user, expires_at, scope or None)
    record(
        store,
        Principal.local(),
        "admin_token",
        target=user,
        detail={
            "op": "create",
            "token_id": row.id,
            "prefix": row.prefix,
            "scopes": row.scopes,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    if as_json:
        print(
            json.dumps(
                {
                    "id": row.id,
                    "user": user,
                    "prefix": row.prefix,
                    "scopes": row.scopes,
                    "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                    "token": token,
                }
            )
        )
        return
    until = f"until {row.expires_at.isoformat(timespec='minutes')} UTC" if row.expires_at else "with no end"
    err.print(
        f"token #{row.id} ({row.prefix}…) for {user}, valid {until}, scopes {' '.join(row.scopes)}; "
        "it is shown once, below: keep it now"
    )
    sys.stdout.write(token + "\n")
    sys.stdout.flush()


@admin_app.command("revoke-token")
def revoke_token(
    ref: Annotated[str, typer.Argument(help="the token's id or the prefix shown when it was created")],
) -> None:
    """Revoke an API token: it stops working at once."""
    store = open_store()
    found = store.accounts.find_tokens(ref)
    if not found:
        raise NotFound(f"no API token with id or prefix {ref!r} (see 'jejak admin tokens --user NAME')")
    if len(found) > 1:
        ids = ", ".join(str(t.id) for t in found)
        raise ConfigError(f"{ref!r} names several tokens ({ids}): give the id")
    (row,) = found
    user = store.accounts.user_by_id(row.user_id)
    if row.revoked_at is not None:
        err.print(f"token #{row.id} ({row.prefix}…) of {user.name} was revoked already, at {row.revoked_at}")
        return
    store.accounts.revoke_token(row.id)
    record(
        store,
        Principal.local(),
        "admin_revoke",
        target=user.name,
        detail={"token_id": row.id, "prefix": row.prefix},
    )
    err.print(f"token #{row.id} ({row.prefix}…) of {user.name} revoked")


@admin_app.command("users")
def users_cmd(
    agency: Annotated[str | None, typer.Option("--agency", help="only this agency's users")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """Users with their agency, role, and whether they are disabled."""
    check_format(fmt)
    store = open_store()
    agency_id = store.accounts.agency(agency).id if agency is not None else None
    rows = [u.as_dict() for u in store.accounts.users(agency_id)]
    emit(rows, fmt, ["name", "agency", "role", "created_at", "disabled"])


@admin_app.command("tokens")
def tokens_cmd(
    user: Annotated[str, typer.Option("--user", help="whose tokens")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl | csv | table")] = "table",
) -> None:
    """A user's API tokens: id, prefix, scopes, expiry, revocation, last use. Never the token itself."""
    check_format(fmt)
    store = open_store()
    u = store.accounts.user(user)
    rows: list[dict[str, Any]] = []
    for t in store.accounts.tokens(u.id):
        d = t.as_dict()
        rows.append({**d, "user": u.name, "status": _token_status(t), "scopes": " ".join(t.scopes)})
    cols = ["id", "prefix", "status", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    emit(rows, fmt, cols, ["user", *cols])


@admin_app.command("disable-user")
def disable_user(name: Annotated[str, typer.Argument(help="the user to disable")]) -> None:
    """Disable a user: their password and every token of theirs stop working (kept for the record)."""
    store = open_store()
    u = store.accounts.user(name)
    if u.disabled_at is not None:
        err.print(f"user {u.name} was disabled already, at {u.disabled_at}")
        return
    store.accounts.disable_user(u.id)
    record(store, Principal.local(), "admin_user", target=u.name, detail={"op": "disable"})
    err.print(f"user [bold]{u.name}[/] disabled")


# -- case sharing (registered on the 'case' command group in cli/app.py) -------------------------------
def case_share_cmd(
    case: Annotated[str, typer.Argument(help="the case to share")],
    agency: Annotated[str, typer.Option("--with", help="the agency that may read it")],
) -> None:
    """Let another agency read a case (its data, hits, links); only the owner's agency changes it."""
    store = open_store()
    row = store.get_case(case)
    ag = store.accounts.agency(agency)
    if ag.name == row.agency:
        raise ConfigError(f"case {case!r} belongs to {row.agency}: it is not shared with its own agency")
    who = Principal.local()
    store.accounts.share_case(row.id, ag.id, who.name)
    record(store, who, "case_share", case=row.name, target=ag.name)
    err.print(f"case [bold]{row.name}[/] shared with {ag.name} (read only)")


def case_unshare_cmd(
    case: Annotated[str, typer.Argument(help="the case to stop sharing")],
    agency: Annotated[str, typer.Option("--with", help="the agency that may no longer read it")],
) -> None:
    """Stop sharing a case with an agency."""
    store = open_store()
    row = store.get_case(case)
    ag = store.accounts.agency(agency)
    if ag.name not in store.accounts.shared_with(row.id):
        raise NotFound(f"case {case!r} is not shared with {ag.name}")
    store.accounts.unshare_case(row.id, ag.id)
    record(store, Principal.local(), "case_unshare", case=row.name, target=ag.name)
    err.print(f"case [bold]{row.name}[/] no longer shared with {ag.name}")
