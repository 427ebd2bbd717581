"""A shared deployment refuses placeholder secrets; local mode serves loopback only."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from jejak.config import Settings, check_deployment
from jejak.errors import ConfigError
from tests.conftest import Cli

GOOD = "q3V9x-" + "k" * 40


@pytest.mark.parametrize(
    ("settings", "host", "refused"),
    [
        (Settings(), "127.0.0.1", None),
        (Settings(), "0.0.0.0", "JEJAK_DEPLOYMENT=server"),
        (Settings(deployment="server"), "0.0.0.0", "JEJAK_SECRET_KEY"),
        (Settings(deployment="server", secret_key=SecretStr("secret")), "127.0.0.1", "JEJAK_SECRET_KEY"),
        (Settings(deployment="server", secret_key=SecretStr("short-but-random-1")), "0.0.0.0", "32"),
        (
            Settings(
                deployment="server",
                secret_key=SecretStr(GOOD),
                db="postgresql+psycopg://jejak:postgres@db/jejak",
            ),
            "0.0.0.0",
            "database password",
        ),
        (
            Settings(
                deployment="server", secret_key=SecretStr(GOOD), db="postgresql+psycopg://j:Xk29aQ7@db/j"
            ),
            "0.0.0.0",
            None,
        ),
    ],
)
def test_check_deployment(settings: Settings, host: str, refused: str | None) -> None:
    if refused is None:
        check_deployment(settings, host)
        return
    with pytest.raises(ConfigError, match=refused):
        check_deployment(settings, host)


def test_serve_refuses_before_listening(cli: Cli) -> None:
    r = cli("serve", "--host", "0.0.0.0", "--port", "1", check=False)
    assert r.code == 2 and "JEJAK_DEPLOYMENT=server" in r.err
    r = cli("serve", "--port", "1", env={"JEJAK_DEPLOYMENT": "server"}, check=False)
    assert r.code == 2 and "JEJAK_SECRET_KEY" in r.err
    r = cli("settings", "--format", "jsonl", env={"JEJAK_SECRET_KEY": GOOD})
    (row,) = [x for x in r.jsonl() if x["setting"] == "secret_key"]
    assert GOOD not in r.out and row["value"] == "**********"
