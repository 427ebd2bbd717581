"""A user's blur preference: softer previews (still greyscale and blurred, far from sharp), refused where the
server is set up for shared screens (``ui_allow_soft_blur`` false)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.services import accounts
from tests.api.conftest import World
from tests.web.conftest import SignIn, UiServer, colourfulness, sharpness

pytestmark = pytest.mark.browser


def _an_image(world: World) -> str:
    return world.sha("NL-1", "IMG_0002.jpg")


def test_soft_blur_is_softer_never_sharp(sign_in: SignIn, ui: UiServer, ui_world: World) -> None:
    sha = _an_image(ui_world)
    url = ui.url(f"/cases/NL-1/files/{sha}/preview")
    page = sign_in("nl-reviewer")
    try:
        default = page.request.get(url).body()
        page.goto(ui.url("/ui/preferences"))
        assert page.locator("input[name=blur][value=default]").is_checked()
        page.check("input[name=blur][value=soft]")
        page.click("main button[type=submit]")
        page.wait_for_selector("text=Saved.")
        assert page.locator("input[name=blur][value=soft]").is_checked()
        soft = page.request.get(url).body()
        sharp = page.request.get(url + "?reveal=true").body()
        assert sharpness(default) < sharpness(soft) < sharpness(sharp) / 2
        assert colourfulness(soft) < 1.0 and colourfulness(default) < 1.0
        # the same user through a server set up for shared screens: the default blur whatever the preference
        shared = ui_world.settings.model_copy(update={"ui_allow_soft_blur": False})
        token, _ = accounts.create_token(ui_world.store, "nl-reviewer", None)
        with TestClient(create_app(shared, ui_world.store, roles=["api"])) as client:
            r = client.get(f"/cases/NL-1/files/{sha}/preview", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
            assert sharpness(r.content) == pytest.approx(sharpness(default), rel=0.02)
    finally:
        who = accounts.authenticate(
            ui_world.store, accounts.create_token(ui_world.store, "nl-reviewer", None)[0]
        )
        accounts.set_preference(ui_world.store, who, "blur", "default")


def test_preference_form_needs_its_csrf_token(sign_in: SignIn, ui: UiServer) -> None:
    page = sign_in("nl-reviewer")
    r = page.request.post(ui.url("/ui/preferences"), form={"blur": "soft", "csrf": "forged"})
    assert r.status == 403
    r = page.request.post(ui.url("/ui/preferences"), form={"blur": "sharp", "csrf": ""})
    assert r.status == 403
