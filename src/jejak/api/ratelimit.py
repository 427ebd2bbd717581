"""Per-token rate limits: a token bucket per API token, refilled at ``api_rate_per_second`` up to
``api_rate_burst``. A request costs one per hash it looks up. A request costing more than the burst is
admitted once the bucket is full and leaves it in debt, so the sustained rate holds for every batch size."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from jejak.api.problems import RateLimited

# Buckets kept before full (idle) ones are forgotten: a full bucket is the same as no bucket.
_PRUNE_AT = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Thread-safe token buckets by key (the API token's id)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, cost: int = 1) -> float:
        """Spend ``cost`` from ``key``'s bucket: 0.0 when admitted, else the seconds to wait first."""
        now = self._clock()
        need = min(float(cost), self.burst)
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                if len(self._buckets) >= _PRUNE_AT:
                    self._prune(now)
                b = self._buckets[key] = _Bucket(self.burst, now)
            else:
                b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
                b.at = now
            if b.tokens < need:
                return (need - b.tokens) / self.rate
            b.tokens -= cost
            return 0.0

    def check(self, key: Hashable, cost: int = 1) -> None:
        """Spend ``cost``, or raise RateLimited (HTTP 429 with Retry-After)."""
        wait = self.take(key, cost)
        if wait > 0:
            raise RateLimited(wait)

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst]
        for k in full:
            del self._buckets[k]
