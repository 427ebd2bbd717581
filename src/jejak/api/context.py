"""What every request handler reaches through ``request.app.state.ctx``: settings, the store, the limiter,
and the matcher state loaded off the request path."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from fastapi import Request

from jejak.config import Settings
from jejak.store.sql import Store

_T = TypeVar("_T")


@dataclass
class ServerContext:
    settings: Settings
    store: Store
    roles: frozenset[str]
    started: float = field(default_factory=time.time)
    # Shared, mutable server state (the loaded match index, the rate limiter...), set by the routers
    # that own it at start-up; read through typed accessors in those modules.
    state: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shared(self, key: str, make: Callable[[], _T]) -> _T:
        """The server-wide object under ``key``, made by ``make`` on first use (once, under the lock)."""
        found = self.state.get(key)
        if found is None:
            with self.lock:
                found = self.state.get(key)
                if found is None:
                    found = self.state[key] = make()
        return cast(_T, found)


def ctx(request: Request) -> ServerContext:
    c: ServerContext = request.app.state.ctx
    return c
