"""GET /cases/{case}/files/{sha256}/preview: a still's thumbnail or a video's contact sheet, greyscale and
blurred unless revealed; a reveal needs `review` and is audited before the picture is sent.

Uses the session world read-only: the only thing these tests add to it is audit entries."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.api.conftest import World

UNKNOWN = "ab" * 32


def url(case: str, sha: str, reveal: bool = False) -> str:
    return f"/cases/{case}/files/{sha}/preview" + ("?reveal=true" if reveal else "")


def picture(body: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(body))
    img.load()
    return img


def sharpness(img: Image.Image) -> float:
    """Variance of the Laplacian of the luma: high for sharp pictures, low for blurred ones."""
    return float(cv2.Laplacian(np.asarray(img.convert("L"), np.float32), cv2.CV_32F).var())


def reveals(world: World) -> list[tuple[str, str | None, str | None]]:
    return [(e.actor, e.case_name, e.target) for e in world.store.audit.entries(action="media_reveal")]


def test_a_still_is_blurred_and_grey_unless_revealed(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    before = world.store.audit.last_seq()
    r = world.client.get(url("NL-1", sha), headers=world.auth("nl", "reviewer"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    assert world.store.audit.last_seq() == before  # blurred previews are not audited
    gentle = picture(r.content)
    assert gentle.format == "JPEG" and gentle.mode == "L"

    r = world.client.get(url("NL-1", sha, reveal=True), headers=world.auth("nl", "reviewer"))
    assert r.status_code == 200, r.text
    sharp = picture(r.content)
    assert sharp.mode == "RGB" and sharp.size == gentle.size and max(sharp.size) == 320
    assert r.content == world.store.media.preview(sha, "thumbnail")  # as stored
    # Much less sharp, measured on the pixels (the luma of the revealed one against the blurred one).
    assert sharpness(gentle) < 0.2 * sharpness(sharp)
    high = np.asarray(sharp, np.float32)
    assert np.abs(high[..., 0] - high[..., 1]).mean() > 1.0  # the reveal is in colour


def test_every_preview_is_kept_out_of_caches_and_not_sniffed(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    for reveal in (False, True):
        r = world.client.get(url("NL-1", sha, reveal), headers=world.auth("nl", "investigator"))
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store, private"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"] == "inline"


def test_a_reveal_is_audited_with_case_target_and_caller(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    before = reveals(world)
    r = world.client.get(url("NL-1", sha, reveal=True), headers=world.auth("nl", "investigator"))
    assert r.status_code == 200
    after = reveals(world)
    assert after[len(before) :] == [("nl-investigator", "NL-1", sha)]
    [entry] = list(world.store.audit.entries(action="media_reveal", after=world.store.audit.last_seq() - 1))
    assert entry.agency == "Politie NL"


def test_the_reveal_is_not_sent_when_the_audit_cannot_be_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is written before the picture leaves: no entry, no picture."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr("jejak.api.media.audit.record", broken)
    sha = world.sha("NL-1", "IMG_0001.jpg")
    try:
        r = world.client.get(url("NL-1", sha, reveal=True), headers=world.auth("nl", "reviewer"))
    except RuntimeError:
        return  # the test client re-raises the server's error: nothing was sent
    assert r.status_code == 500 and r.headers["content-type"] != "image/jpeg"


@pytest.mark.parametrize(
    ("agency", "role", "status"),
    [
        ("nl", "reviewer", 200),
        ("nl", "investigator", 200),
        ("nl", "admin", 403),  # reads the case, but `review` is not an admin's
        ("nl", "auditor", 403),
        ("nl", "platform", 403),
        ("id", "reviewer", 404),  # another agency: the case "does not exist"
        ("id", "investigator", 404),
    ],
)
def test_who_may_reveal(world: World, agency: str, role: str, status: int) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    before = len(reveals(world))
    r = world.client.get(url("NL-1", sha, reveal=True), headers=world.auth(agency, role))
    assert r.status_code == status, r.text
    assert len(reveals(world)) == before + (status == 200)
    if status != 200:
        assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("agency", "role", "status"), [("nl", "admin", 200), ("nl", "auditor", 403)])
def test_who_may_see_the_blurred_preview(world: World, agency: str, role: str, status: int) -> None:
    r = world.client.get(url("NL-1", world.sha("NL-1", "IMG_0001.jpg")), headers=world.auth(agency, role))
    assert r.status_code == status, r.text


def test_no_token_is_401(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    for reveal in (False, True):
        assert world.client.get(url("NL-1", sha, reveal)).status_code == 401


def test_another_agencys_case_is_not_found_as_a_missing_case(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    hidden = world.client.get(url("NL-1", sha), headers=world.auth("id", "reviewer"))
    missing = world.client.get(url("NL-404", sha), headers=world.auth("id", "reviewer"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace("NL-404", "NL-1")


def test_a_content_the_case_does_not_hold_is_not_found_as_an_unknown_one(world: World) -> None:
    other = world.sha("ID-7", "foto_a.jpg")  # Polri ID's, stored, but not in NL-1
    held_elsewhere = world.client.get(url("NL-1", other, True), headers=world.auth("nl", "reviewer"))
    unknown = world.client.get(url("NL-1", UNKNOWN, True), headers=world.auth("nl", "reviewer"))
    assert held_elsewhere.status_code == unknown.status_code == 404
    assert held_elsewhere.json()["detail"].replace(other, UNKNOWN) == unknown.json()["detail"]
    bad = world.client.get(url("NL-1", "not-a-sha"), headers=world.auth("nl", "reviewer"))
    assert bad.status_code == 404


def test_a_content_without_a_preview_is_not_found(world: World) -> None:
    sha = world.sha("NL-1", "WhatsApp Chat with Dewi.txt")
    before = len(reveals(world))
    r = world.client.get(url("NL-1", sha, True), headers=world.auth("nl", "reviewer"))
    assert r.status_code == 404 and "no preview" in r.json()["detail"]
    assert len(reveals(world)) == before  # nothing was revealed, nothing is audited


def test_a_videos_preview_is_its_contact_sheet(world: World) -> None:
    sha = world.sha("NL-1", "VID_0003.mp4")
    sheet = world.store.media.preview(sha, "contact_sheet")
    r = world.client.get(url("NL-1", sha, True), headers=world.auth("nl", "reviewer"))
    assert r.status_code == 200 and r.content == sheet
    g = world.client.get(url("NL-1", sha), headers=world.auth("nl", "reviewer"))
    gentle, sharp = picture(g.content), picture(sheet)
    assert gentle.mode == "L" and gentle.size == sharp.size
    assert sharpness(gentle) < 0.2 * sharpness(sharp)
