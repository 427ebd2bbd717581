"""The review UI's world: the two-agency scenario of the API tests (tests/api/conftest.py: NL-1 of Politie
NL, ID-7 and ID-9 of Polri ID, every role of each agency with the password ``PASSWORD``) served by a real
``jejak serve --roles ui`` process on loopback, and Debian's Chromium driven by Playwright.

Session-scoped: building the world ingests videos and audio. Tests that change data (categories, reveals,
assertions) change what nobody else asserts on, or make their own world with ``ui_server``."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.api.conftest import PASSWORD, World, make_world
from tests.api.test_restart import free_port, poll

CHROMIUM = os.environ.get("JEJAK_TEST_CHROMIUM", "/usr/bin/chromium")


class UiServer:
    """``jejak serve --roles ui`` on a free loopback port, over a world's database."""

    def __init__(self, world: World, log: Path) -> None:
        self.world = world
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = dict(os.environ)
        env.update(
            {
                "JEJAK_WORKERS": "0",
                "JEJAK_EVIDENCE_ROOTS": str(world.root / "evidence"),
                "JEJAK_SECRET_KEY": "ui-tests-secret-key-0123456789abcdef",
            }
        )
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jejak",
                    "--db",
                    world.settings.db,
                    "serve",
                    "--port",
                    str(self.port),
                    "--roles",
                    "ui",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=world.root,
                start_new_session=True,
            )

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"jejak serve exited:\n{self.log_tail()}")
            try:
                return httpx.get(f"{self.base}/status/ready", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        poll(ready, "the UI server's readiness")

    def url(self, path: str) -> str:
        return self.base + path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def close_world(w: World) -> None:
    w.client.__exit__(None, None, None)
    w.store.close()


@contextmanager
def served(w: World) -> Iterator[UiServer]:
    """``w`` served by ``jejak serve --roles ui`` for the block."""
    server = UiServer(w, w.root / "serve.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ui_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("ui-world"))
    yield w
    close_world(w)


@pytest.fixture(scope="session")
def ui(ui_world: World) -> Iterator[UiServer]:
    with served(ui_world) as server:
        yield server


@pytest.fixture(scope="session")
def playwright_() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        raise AssertionError(f"Chromium is not installed at {CHROMIUM}: scripts/debian-deps installs it")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_: Playwright) -> Iterator[Browser]:
    b = playwright_.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


SignIn = Callable[[str], Page]


@pytest.fixture
def sign_in(context: BrowserContext, ui: UiServer) -> SignIn:
    """A page of a fresh browser context, signed in as ``user`` (e.g. ``nl-investigator``)."""

    def go(user: str) -> Page:
        return signed_in(context, ui, user)

    return go


def signed_in(context: BrowserContext, server: UiServer, user: str) -> Page:
    """A new page of ``context``, signed in to ``server`` as ``user`` (password ``PASSWORD``)."""
    page = context.new_page()
    page.goto(server.url("/ui/sign-in"))
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(server.url("/ui/")) and "/ui/sign-in" not in url)
    return page


def sharpness(png: bytes) -> float:
    """How much fine detail a screenshot (PNG bytes) holds: the mean absolute Laplacian of its grey pixels
    (a blurred picture has little, a sharp one much)."""
    img = Image.open(io.BytesIO(png)).convert("L")
    edges = np.asarray(img.filter(ImageFilter.FIND_EDGES), dtype=np.float32)[1:-1, 1:-1]
    return float(edges.mean())


def colourfulness(png: bytes) -> float:
    """The mean spread between a screenshot's colour channels (0 for greyscale)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)
    return float((rgb.max(axis=2) - rgb.min(axis=2)).mean())


def audit_entries(world: World, action: str, **match: Any) -> list[dict[str, Any]]:
    """The audit trail's entries of ``action`` (as ``Entry.as_dict``) whose fields include ``match``."""
    rows = [e.as_dict() for e in world.store.audit.entries(action=action)]
    return [e for e in rows if all(e.get(k) == v for k, v in match.items())]
