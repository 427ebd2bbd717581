"""The OpenAPI schema and the offline docs page: every route documented, no external asset."""

from __future__ import annotations

import re

from tests.api.conftest import World


def test_openapi_and_offline_docs(world: World) -> None:
    c = world.client
    spec = c.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    page = c.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in text, path
    assert "/status/ready" in spec["paths"]
    # offline: no script, stylesheet or image from anywhere else
    assert "<script" not in text
    assert not re.search(r"""(src|href)=['"]?https?://""", text)
