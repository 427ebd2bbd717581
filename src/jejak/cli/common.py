"""What every command shares: the --db option's state, settings, the store, and the output formats."""

from __future__ import annotations

from typing import Any

from jejak.config import Settings, load_settings
from jejak.errors import ConfigError
from jejak.store.sql import Store


class State:
    db: str | None = None


state = State()


def settings(**overrides: Any) -> Settings:
    return load_settings(db=state.db, **overrides)


def open_store(s: Settings | None = None) -> Store:
    return Store.open((s or settings()).db)


FORMATS = ("jsonl", "csv", "table")


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
