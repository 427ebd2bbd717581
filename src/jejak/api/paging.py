"""One pagination contract for every API listing: ``?limit=&offset=``, answered as
``{"items": [...], "limit": L, "offset": O, "next_offset": O + L or null}``. ``limit`` is capped by
``api_page_max`` (a larger one is a 400, not silently cut)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Annotated, Any

from fastapi import Query, Request

from jejak.api.context import ctx
from jejak.errors import ConfigError

DEFAULT_LIMIT = 100


class Page:
    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset

    def of(self, rows: Iterable[Any] | Sequence[Any]) -> dict[str, Any]:
        """A page of ``rows`` (an iterable is read only as far as needed, plus one to know if more follow)."""
        taken = list(islice(iter(rows), self.offset, self.offset + self.limit + 1))
        more = len(taken) > self.limit
        return {
            "items": taken[: self.limit],
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.offset + self.limit if more else None,
        }


def page(
    request: Request,
    limit: Annotated[int, Query(ge=1, description="rows per page (at most api_page_max)")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> Page:
    cap = ctx(request).settings.api_page_max
    if limit > cap:
        raise ConfigError(f"limit {limit} is above the page maximum {cap} (api_page_max)")
    return Page(limit, offset)
