"""Settings are one documented table: the CLI shows them and docs/settings.md lists every one."""

from __future__ import annotations

from jejak.config import Settings
from tests.conftest import REPO, Cli


def test_settings_command_shows_environment_overrides(cli: Cli) -> None:
    rows = cli("settings", "--format", "jsonl", env={"JEJAK_MAX_DEPTH": "3"}).jsonl()
    values = {r["setting"]: r["value"] for r in rows}
    assert values["max_depth"] == 3 and values["db"] == cli.db_url
    assert set(values) == set(Settings.model_fields)


def test_docs_list_every_setting() -> None:
    text = (REPO / "docs" / "settings.md").read_text()
    missing = [name for name in Settings.model_fields if f"`JEJAK_{name.upper()}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"
