"""What every request handler reaches through ``request.app.state.ctx``: settings, the store, the limiter,
and the matcher state loaded off the request path."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from jejak.config import Settings
from jejak.store.sql import Store


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


def ctx(request: Request) -> ServerContext:
    c: ServerContext = request.app.state.ctx
    return c
