"""The API world builds, its tokens authenticate, and status answers."""

from __future__ import annotations

from tests.api.conftest import World


def test_status_and_tokens(world: World) -> None:
    c = world.client
    assert c.get("/status/live").json() == {"status": "live"}
    assert c.get("/status/ready").status_code == 200
    assert {"NL-1", "ID-7", "ID-9"} <= {r.name for r in world.store.list_cases()}
    assert len(world.tokens) == 10
