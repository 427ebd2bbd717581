"""``jejak admin`` and ``jejak case share`` as a user runs them: agencies, users (the password never an
argument), tokens (printed alone, once; they authenticate until revoked or expired; scopes only narrow),
and every change in the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import text

from jejak.errors import NotAuthenticated
from jejak.services import accounts
from jejak.services.accounts import Perm
from jejak.store.sql import Store
from tests.conftest import Cli, Result

PASSWORD = "correct horse battery staple"


def with_stdin(cli: Cli, stdin: str, *args: str) -> Result:
    """The CLI with text on its stdin (the ``cli`` fixture gives it none)."""
    p = subprocess.run(
        [sys.executable, "-m", "jejak", "--db", cli.db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cli.cwd,
        env=dict(os.environ),
        timeout=600,
        check=False,
    )
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def db(db_url: str) -> Store:
    return Store.open(db_url)


def test_agencies_users_and_passwords(cli: Cli, db: Store) -> None:
    cli("admin", "create-agency", "Politie NL")
    cli("admin", "create-agency", "Polri ID")
    assert cli("admin", "create-agency", "Polri ID", check=False).code == 5  # exists
    made = with_stdin(
        cli, PASSWORD + "\n", "admin", "create-user", "anna", "--agency", "Politie NL", "--role", "admin",
        "--password-stdin", "--json",
    )  # fmt: skip
    assert made.code == 0, made.err
    assert made.json() == {**made.json(), "name": "anna", "agency": "Politie NL", "role": "admin"}
    assert accounts.check_password(db, "anna", PASSWORD).name == "anna"
    with pytest.raises(NotAuthenticated):
        accounts.check_password(db, "anna", PASSWORD + "!")

    # a password given as an argument is impossible: there is no such option
    argued = cli(
        "admin", "create-user", "budi", "--agency", "Polri ID", "--role", "reviewer", "--password", PASSWORD,
        check=False,
    )  # fmt: skip
    assert argued.code == 2 and "No such option" in argued.err and PASSWORD not in argued.err
    short = with_stdin(
        cli, "short\n", "admin", "create-user", "budi", "--agency", "Polri ID", "--role", "reviewer",
        "--password-stdin",
    )  # fmt: skip
    assert short.code == 2 and "12 characters" in short.err
    assert cli("admin", "create-user", "x", "--agency", "Polri ID", "--role", "root", check=False).code == 2
    assert (
        cli("admin", "create-user", "x", "--agency", "Nowhere", "--role", "reviewer", check=False).code == 4
    )
    cli("admin", "create-user", "hma", "--agency", "Polri ID", "--role", "platform", "--no-password")
    with pytest.raises(NotAuthenticated):  # no password: tokens only
        accounts.check_password(db, "hma", PASSWORD)

    rows = cli("admin", "users", "--format", "jsonl").jsonl()
    assert [(r["name"], r["agency"], r["role"]) for r in rows] == [
        ("anna", "Politie NL", "admin"),
        ("hma", "Polri ID", "platform"),
    ]
    assert [
        r["name"] for r in cli("admin", "users", "--agency", "Polri ID", "--format", "jsonl").jsonl()
    ] == ["hma"]
    table = cli("admin", "users", "--format", "csv").out.splitlines()
    assert table[0] == "name,agency,role,created_at,disabled" and len(table) == 3
    assert all("argon2" not in r and PASSWORD not in r for r in (str(x) for x in rows))


def test_tokens(cli: Cli, db: Store) -> None:
    cli("admin", "create-agency", "Politie NL")
    cli("admin", "create-user", "ivan", "--agency", "Politie NL", "--role", "investigator", "--no-password")

    made = cli("admin", "create-token", "--user", "ivan", "--expires", "30d")
    token = made.out.splitlines()[-1]
    assert made.out == token + "\n"  # the token alone on stdout; everything else on stderr
    assert token.startswith("jjk_") and token not in made.err and "shown once" in made.err
    who = accounts.authenticate(db, token)
    assert who.name == "ivan" and who.perms == accounts.ROLE_PERMS[accounts.Role.investigator]
    with db.engine.connect() as conn:
        assert token not in str(conn.execute(text("SELECT * FROM api_token")).all())

    # scopes narrow the role's permissions, never widen them
    narrow = cli("admin", "create-token", "--user", "ivan", "--scope", "cases:read", "--scope", "lists:read")
    assert accounts.authenticate(db, narrow.out.splitlines()[-1]).perms == {Perm.cases_read, Perm.lists_read}
    wider = cli("admin", "create-token", "--user", "ivan", "--scope", "audit:read", check=False)
    assert wider.code == 2 and "audit:read" in wider.err and wider.out == ""
    assert cli("admin", "create-token", "--user", "ivan", "--expires", "soon", check=False).code == 2
    assert cli("admin", "create-token", "--user", "nobody", check=False).code == 4

    # --json: id, prefix, expiry, and the token
    forever = cli("admin", "create-token", "--user", "ivan", "--expires", "never", "--json").json()
    assert forever["expires_at"] is None and forever["token"].startswith(forever["prefix"])
    assert accounts.authenticate(db, forever["token"]).name == "ivan"

    # revocation, by prefix and by id
    cli("admin", "revoke-token", token[:12])
    with pytest.raises(NotAuthenticated, match="revoked"):
        accounts.authenticate(db, token)
    assert "revoked already" in cli("admin", "revoke-token", token[:12]).err
    cli("admin", "revoke-token", str(forever["id"]))
    with pytest.raises(NotAuthenticated, match="revoked"):
        accounts.authenticate(db, forever["token"])
    assert cli("admin", "revoke-token", "jjk_nosuchone", check=False).code == 4

    # expiry: a token of a minute, then its end moved into the past in the database
    short = cli("admin", "create-token", "--user", "ivan", "--expires", "1m", "--json").json()
    assert accounts.authenticate(db, short["token"]).name == "ivan"
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE api_token SET expires_at = :t WHERE id = :i"),
            {"t": datetime(2020, 1, 1), "i": short["id"]},
        )
    with pytest.raises(NotAuthenticated, match="expired"):
        accounts.authenticate(db, short["token"])

    listed = cli("admin", "tokens", "--user", "ivan", "--format", "jsonl")
    assert all(t not in listed.out for t in (token, forever["token"], short["token"]))
    status = {r["id"]: r["status"] for r in listed.jsonl()}
    assert status == {1: "revoked", 2: "active", 3: "revoked", 4: "expired"}
    assert {r["prefix"] for r in listed.jsonl()} >= {token[:12], forever["prefix"]}
    assert "last_used_at" in cli("admin", "tokens", "--user", "ivan").out  # the table

    # a disabled user's tokens stop working
    (live,) = [r for r in listed.jsonl() if r["status"] == "active"]
    cli("admin", "disable-user", "ivan")
    with pytest.raises(NotAuthenticated, match="disabled"):
        accounts.authenticate(db, narrow.out.splitlines()[-1])
    assert cli("admin", "create-token", "--user", "ivan", check=False).code == 2
    assert live["id"] == 2

    trail = cli("audit", "show", "--format", "jsonl").jsonl()
    assert [e["action"] for e in trail] == [
        "admin_agency",
        "admin_user",
        "admin_token",
        "admin_token",
        "admin_token",
        "admin_revoke",
        "admin_revoke",
        "admin_token",
        "admin_user",
    ]
    assert all(e["actor"].startswith("local:") for e in trail)
    assert all(token not in str(e) and forever["token"] not in str(e) for e in trail)
    assert trail[2]["target"] == "ivan" and trail[2]["detail"]["prefix"] == token[:12]
    assert trail[-1]["detail"] == {"op": "disable"}


def test_case_sharing(cli: Cli, db: Store) -> None:
    cli("admin", "create-agency", "Polri ID")
    cli("case", "create", "NL-1", "--agency", "Politie NL")
    nl_1 = db.get_case("NL-1").id
    polri = db.accounts.agency("Polri ID").id
    assert nl_1 not in db.accounts.visible_case_ids(polri)
    cli("case", "share", "NL-1", "--with", "Polri ID")
    assert nl_1 in db.accounts.visible_case_ids(polri)
    assert cli("case", "share", "NL-1", "--with", "Politie NL", check=False).code == 2  # its own agency
    assert cli("case", "share", "NL-1", "--with", "Nowhere", check=False).code == 4
    assert cli("case", "share", "NL-9", "--with", "Polri ID", check=False).code == 4
    cli("case", "unshare", "NL-1", "--with", "Polri ID")
    assert nl_1 not in db.accounts.visible_case_ids(polri)
    assert cli("case", "unshare", "NL-1", "--with", "Polri ID", check=False).code == 4
    trail = cli("audit", "show", "--format", "jsonl").jsonl()
    assert [(e["action"], e["case"], e["target"]) for e in trail] == [
        ("admin_agency", None, "Polri ID"),
        ("case_create", "NL-1", None),
        ("case_share", "NL-1", "Polri ID"),
        ("case_unshare", "NL-1", "Polri ID"),
    ]
    assert cli("audit", "verify").out.startswith("OK: 4 entries")
