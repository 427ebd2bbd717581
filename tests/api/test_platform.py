"""The platform matching API (role matcher) over a real SQLite store with real lists built from benign
procedural pictures: HMA-shaped lookups, hashing uploads, access, rate limits, upload limits, readiness."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.api.problems import RateLimited
from jejak.api.ratelimit import TokenBuckets
from jejak.config import Settings
from jejak.match.pdq import ListIndex
from jejak.services import accounts, lookup
from jejak.services.lists import build_list, import_list, remove_list
from jejak.services.lookup import Matcher
from jejak.services.match import ensure_index
from jejak.store.sql import Store
from jejak.testing.images import procedural_image
from jejak.testing.videos import VideoSpec, write_video

AGENCY = "Platform Co"
LISTED = (1, 2, 3)  # seeds of the pictures in list "known"
BENIGN = 5  # seed of the picture in the known-good list
UNRELATED = 11


def jpeg(seed: int, size: tuple[int, int] = (640, 480), quality: int = 92) -> bytes:
    img = procedural_image(seed)
    if size != img.size:
        img = img.resize(size)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass
class Env:
    root: Path
    settings: Settings
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)  # user -> token
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)  # seed -> {md5, pdq} of its entry

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def token(self, role: str, name: str, expires: datetime | None = None) -> str:
        accounts.create_user(self.store, name, AGENCY, role, None)
        token, _row = accounts.create_token(self.store, name, expires)
        self.tokens[name] = token
        return token

    def app(self, **overrides: Any) -> TestClient:
        return TestClient(create_app(self.settings.model_copy(update=overrides), self.store, ["matcher"]))


def wait_ready(client: TestClient) -> None:
    deadline = time.monotonic() + 120
    while client.get("/status/ready").status_code != 200:
        assert time.monotonic() < deadline, client.get("/status/ready").json()
        time.sleep(0.05)


def matcher_of(client: TestClient) -> Matcher:
    m = client.app.state.ctx.state["matcher"]  # type: ignore[attr-defined]
    assert isinstance(m, Matcher)
    return m


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("platform")
    db = f"sqlite:///{root / 'jejak.db'}"
    settings = Settings(
        db=db,
        workers=0,
        robust_enabled=False,
        api_rate_per_second=1000.0,
        api_rate_burst=1000,
        api_index_refresh=3600.0,  # the tests refresh by hand
        api_preserve_dir=str(root / "preserved"),
    )
    store = Store.open(db)
    (root / "known").mkdir()
    for seed in LISTED:
        (root / "known" / f"p{seed}.jpg").write_bytes(jpeg(seed))
    build_list(store, settings, [str(root / "known")], "known", category="1", scheme="vic-us")
    (root / "benign").mkdir()
    (root / "benign" / "b.jpg").write_bytes(jpeg(BENIGN))
    build_list(store, settings, [str(root / "benign")], "benign", known_good=True)
    store.accounts.create_agency(AGENCY)
    e = Env(root, settings, store)
    for role in ("platform", "reviewer", "auditor", "investigator"):
        e.token(role, role)
    known = store.lists.get("known")
    for seed in LISTED:
        md5 = hashlib.md5(jpeg(seed)).hexdigest()
        entry = next(x for x in store.lists.entries(known.id) if x.hashes[0].value == md5)
        pdq = next(h.value for h in entry.hashes if h.algorithm == "pdq")
        e.entries[seed] = {"md5": md5, "pdq": pdq}
    yield e
    store.close()


@pytest.fixture(scope="module")
def client(env: Env) -> Iterator[TestClient]:
    with env.app() as c:
        wait_ready(c)
        yield c


def lookup_pdq(client: TestClient, env: Env, pdq: str, user: str = "platform", **params: Any) -> Any:
    r = client.get(
        "/m/lookup", params={"signal_type": "pdq", "signal": pdq, **params}, headers=env.auth(user)
    )
    assert r.status_code == 200, r.text
    return r.json()


def hash_upload(client: TestClient, env: Env, data: bytes, user: str = "platform", **params: Any) -> Any:
    return client.post("/h/hash", files={"file": ("x", data)}, params=params, headers=env.auth(user))


# -- lookups -------------------------------------------------------------------------------------------------
def test_recompressed_copy_found_by_pdq_with_its_distance(client: TestClient, env: Env) -> None:
    copy = jpeg(2, size=(400, 300), quality=55)
    hashed = hash_upload(client, env, copy).json()
    listed = env.entries[2]["pdq"]
    assert hashed["pdq"] != listed and hashed["media"]["kind"] == "image"
    answer = lookup_pdq(client, env, hashed["pdq"])
    assert list(answer) == ["known"]
    [hit] = answer["known"]
    assert hit["distance"] == str(hamming(hashed["pdq"], listed))
    assert hit["category"] == {"scheme": "vic-us", "code": "1", "label": "CAM"}
    assert isinstance(hit["bank_content_id"], int) and hit["external_id"] is None
    narrowed = lookup_pdq(client, env, hashed["pdq"], max_distance=int(hit["distance"]) - 1)
    assert narrowed == {}


def test_md5_exact_and_video_md5_alias(client: TestClient, env: Env) -> None:
    md5 = env.entries[1]["md5"]
    for kind in ("md5", "video_md5"):
        r = client.get(
            "/m/lookup", params={"signal_type": kind, "signal": md5.upper()}, headers=env.auth("platform")
        )
        assert r.status_code == 200
        [hit] = r.json()["known"]
        assert hit["distance"] == "0"
    other = "0" * 32
    r = client.get("/m/lookup", params={"signal_type": "md5", "signal": other}, headers=env.auth("platform"))
    assert r.json() == {}


def test_unrelated_and_known_good_pictures_are_not_found(client: TestClient, env: Env) -> None:
    unrelated = hash_upload(client, env, jpeg(UNRELATED)).json()["pdq"]
    assert lookup_pdq(client, env, unrelated) == {}
    benign = hash_upload(client, env, jpeg(BENIGN)).json()
    assert lookup_pdq(client, env, benign["pdq"]) == {}  # known-good lists never answer a platform
    r = client.get(
        "/m/lookup", params={"signal_type": "md5", "signal": benign["md5"]}, headers=env.auth("platform")
    )
    assert r.json() == {}


def test_batch_lookup(client: TestClient, env: Env) -> None:
    signals = [
        {"signal_type": "pdq", "signal": env.entries[1]["pdq"]},
        {"signal_type": "md5", "signal": env.entries[3]["md5"]},
        {"signal_type": "pdq", "signal": "f" * 64},
        {"signal_type": "sha256", "signal": "a" * 64},
    ]
    r = client.post("/m/lookup", json={"signals": signals}, headers=env.auth("platform"))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["signal"] for x in results] == [s["signal"] for s in signals]
    assert results[0]["matches"]["known"][0]["distance"] == "0"
    assert results[1]["matches"]["known"][0]["distance"] == "0"
    assert results[2]["matches"] == {} and results[3]["matches"] == {}
    only = client.post(
        "/m/lookup", json={"signals": signals[:1], "banks": ["other"]}, headers=env.auth("platform")
    )
    assert only.json()["results"][0]["matches"] == {}


def test_hma_upload_lookup(client: TestClient, env: Env) -> None:
    r = client.post("/m/lookup", files={"photo": ("p.jpg", jpeg(3))}, headers=env.auth("platform"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"pdq", "md5"}
    assert body["pdq"]["known"][0]["distance"] == "0" and body["md5"]["known"][0]["distance"] == "0"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"signal_type": "pdq", "signal": "xyz"}, 400),
        ({"signal_type": "pdq", "signal": "0" * 63}, 400),
        ({"signal_type": "md5", "signal": "g" * 32}, 400),
        ({"signal_type": "tmk", "signal": "0" * 64}, 400),
        ({"signal_type": "pdq"}, 422),
        ({"signal_type": "pdq", "signal": "0" * 64, "max_distance": "-1"}, 422),
    ],
)
def test_bad_signals(client: TestClient, env: Env, params: dict[str, str], status: int) -> None:
    r = client.get("/m/lookup", params=params, headers=env.auth("platform"))
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"


def test_bad_batches(client: TestClient, env: Env) -> None:
    h = env.auth("platform")
    bad = client.post("/m/lookup", json={"signals": [{"signal_type": "pdq", "signal": "00"}]}, headers=h)
    assert bad.status_code == 400 and "signals[0]" in bad.json()["detail"]
    assert client.post("/m/lookup", json={"nothing": 1}, headers=h).status_code == 422
    assert client.post("/m/lookup", content=b"{not json", headers=h).status_code == 422
    with env.app(api_max_batch=2) as small:
        wait_ready(small)
        many = [{"signal_type": "md5", "signal": "0" * 32}] * 3
        r = small.post("/m/lookup", json={"signals": many}, headers=h)
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


# -- access ----------------------------------------------------------------------------------------------
def test_access(client: TestClient, env: Env) -> None:
    params = {"signal_type": "md5", "signal": env.entries[1]["md5"]}
    assert client.get("/m/lookup", params=params, headers=env.auth("investigator")).status_code == 200
    for role in ("reviewer", "auditor"):
        assert client.get("/m/lookup", params=params, headers=env.auth(role)).status_code == 403
        assert client.post("/h/hash", files={"file": ("x", b"x")}, headers=env.auth(role)).status_code == 403
    none = client.get("/m/lookup", params=params)
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/m/lookup", json={"signals": []}).status_code == 401
    assert client.get("/m/index/status").status_code == 401
    revoked = env.token("platform", "revoked-platform")
    env.store.accounts.revoke_token(
        env.store.accounts.tokens(env.store.accounts.user("revoked-platform").id)[0].id
    )
    expired = env.token(
        "platform", "expired-platform", datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    )
    for token in (revoked, expired, "jjk_not-a-token"):
        r = client.get("/m/lookup", params=params, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_rate_limit_answers_429_with_retry_after(env: Env) -> None:
    env.token("platform", "limited")
    h = env.auth("limited")
    params = {"signal_type": "md5", "signal": env.entries[1]["md5"]}
    with env.app(api_rate_per_second=0.01, api_rate_burst=3) as c:
        wait_ready(c)
        assert c.get("/m/lookup", params=params, headers=h).status_code == 200
        two = [{"signal_type": "md5", "signal": env.entries[1]["md5"]}] * 2
        assert c.post("/m/lookup", json={"signals": two}, headers=h).status_code == 200  # costs 2
        r = c.get("/m/lookup", params=params, headers=h)
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
        other = c.get("/m/lookup", params=params, headers=env.auth("platform"))
        assert other.status_code == 200  # the limit is per token


def test_index_status(client: TestClient, env: Env) -> None:
    r = client.get("/m/index/status", headers=env.auth("platform"))
    pdq = r.json()["pdq"]
    assert pdq["present"] is True and pdq["size"] >= len(LISTED) and pdq["built_to"] > 0


# -- uploads ------------------------------------------------------------------------------------------------
@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder uploads are received into."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_hash_answers_hma_signals_and_media(client: TestClient, env: Env, spool: Path) -> None:
    r = hash_upload(client, env, jpeg(1))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pdq"] == env.entries[1]["pdq"] and body["md5"] == env.entries[1]["md5"]
    assert len(body["sha1"]) == 40 and len(body["sha256"]) == 64
    media = body["media"]
    assert media["kind"] == "image" and media["mime"] == "image/jpeg"
    assert (media["width"], media["height"]) == (640, 480) and media["pdq_quality"] >= 50
    assert media["preserved"] is False
    assert list(spool.iterdir()) == []  # the bytes are gone
    assert not (env.root / "preserved").exists() or not any((env.root / "preserved").rglob("*"))


def test_hash_of_a_video_has_its_md5_and_vpdq_frames(
    client: TestClient, env: Env, spool: Path, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "clip.mp4", VideoSpec(seconds=3.0, seed=4))
    r = hash_upload(client, env, video.read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["video_md5"] == body["md5"] and "pdq" not in body
    frames = body["media"]["vpdq"]
    assert body["media"]["kind"] == "video" and len(frames) >= 3  # one per second (video_fps)
    assert all(len(f["pdq"]) == 64 and 0 <= f["quality"] <= 100 for f in frames)
    assert list(spool.iterdir()) == []


def test_upload_over_the_cap_is_413(env: Env, spool: Path) -> None:
    big = jpeg(2)
    with env.app(api_max_upload=len(big) - 1) as c:
        wait_ready(c)
        r = c.post("/h/hash", files={"file": ("x", big)}, headers=env.auth("platform"))
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        # Content-Length is not trusted: a body that says it is small is still cut at the cap
        body = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'
            + big
            + b"\r\n--b--\r\n"
        )
        headers = env.auth("platform") | {"content-type": "multipart/form-data; boundary=b"}
        r = c.post("/h/hash", content=iter([body[:1000], body[1000:]]), headers=headers)
        assert r.status_code == 413
        ok = c.post("/h/hash", files={"file": ("x", jpeg(2, size=(320, 240)))}, headers=env.auth("platform"))
        assert ok.status_code == 200
    assert list(spool.iterdir()) == []


def test_text_and_zip_uploads_are_415(client: TestClient, env: Env, spool: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("p.jpg", jpeg(1))
    for data in (b"just some words\n" * 20, buf.getvalue()):
        r = hash_upload(client, env, data)
        assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    assert hash_upload(client, env, b"").status_code == 415
    no_file = client.post("/h/hash", data={"note": "x"}, headers=env.auth("platform"))
    assert no_file.status_code in (400, 422)
    two = client.post(
        "/h/hash", files=[("file", ("a", jpeg(1))), ("file", ("b", jpeg(2)))], headers=env.auth("platform")
    )
    assert two.status_code == 400
    assert list(spool.iterdir()) == []


def test_preserved_upload_is_kept_with_sidecar_and_audit(client: TestClient, env: Env, spool: Path) -> None:
    data = jpeg(UNRELATED + 1)
    r = hash_upload(client, env, data, preserve="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["media"]["preserved"] is True
    kept = env.root / "preserved" / body["sha256"][:2] / body["sha256"]
    assert kept.read_bytes() == data
    sidecar = json.loads(kept.with_name(kept.name + ".json").read_text())
    assert sidecar["sha256"] == body["sha256"] and sidecar["requests"][0]["by"] == "platform"
    assert sidecar["requests"][0]["at"]
    entries = [e for e in env.store.audit.entries(action="preserve") if e.target == body["sha256"]]
    assert len(entries) == 1 and entries[0].actor == "platform"
    assert list(spool.iterdir()) == []


# -- readiness and refresh --------------------------------------------------------------------------------
def test_ready_only_once_the_index_is_loaded(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()

    def gated(store: Store, settings: Settings) -> tuple[ListIndex, str]:
        gate.wait(60)
        return ensure_index(store, settings)

    monkeypatch.setattr(lookup, "ensure_index", gated)
    params = {"signal_type": "md5", "signal": env.entries[1]["md5"]}
    with env.app() as c:
        r = c.get("/status/ready")
        assert r.status_code == 503 and r.json()["checks"]["matcher"]["ready"] is False
        assert c.get("/m/lookup", params=params, headers=env.auth("platform")).status_code == 503
        assert c.get("/status/live").status_code == 200
        gate.set()
        wait_ready(c)
        assert c.get("/m/lookup", params=params, headers=env.auth("platform")).status_code == 200


def test_list_imported_after_start_is_found_after_refresh(client: TestClient, env: Env) -> None:
    seed = 21
    hashed = hash_upload(client, env, jpeg(seed)).json()
    csv = env.root / "late.csv"
    csv.write_text(f"id,md5,pdq,category\nEXT-{seed},{hashed['md5']},{hashed['pdq']},2\n")
    assert lookup_pdq(client, env, hashed["pdq"]) == {}
    import_list(env.store, csv, "late", scheme="vic-us")
    r = client.get("/status/ready")
    assert r.status_code == 503  # the index is behind the store
    check = r.json()["checks"]["matcher"]
    assert check["checkpoint"] < check["store_top"]
    assert matcher_of(client).refresh() == "extended"
    assert client.get("/status/ready").status_code == 200
    [hit] = lookup_pdq(client, env, hashed["pdq"])["late"]
    assert hit["external_id"] == f"EXT-{seed}" and hit["distance"] == "0"
    assert hit["category"]["code"] == "2"


def test_removed_entries_are_not_returned(client: TestClient, env: Env) -> None:
    a, b = (hash_upload(client, env, jpeg(s)).json() for s in (31, 32))
    csv = env.root / "release.csv"
    rows = "".join(f"{h['md5']},{h['pdq']}\n" for h in (a, b))
    csv.write_text("md5,pdq\n" + rows)
    import_list(env.store, csv, "releases", scheme="vic-us")
    matcher_of(client).refresh()
    assert "releases" in lookup_pdq(client, env, b["pdq"])
    csv.write_text(f"md5,pdq\n{a['md5']},{a['pdq']}\n")  # the next release no longer lists b
    import_list(env.store, csv, "releases", scheme="vic-us")
    assert "releases" in lookup_pdq(client, env, a["pdq"])
    assert "releases" not in lookup_pdq(client, env, b["pdq"])
    r = client.get(
        "/m/lookup", params={"signal_type": "md5", "signal": b["md5"]}, headers=env.auth("platform")
    )
    assert "releases" not in r.json()
    remove_list(env.store, "releases")  # a deleted list: its entries are gone from the store
    assert "releases" not in lookup_pdq(client, env, a["pdq"])


def test_token_buckets_refill_and_charge_batches_per_hash() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2.0, burst=4, clock=lambda: now[0])
    assert buckets.take("a", 3) == 0.0 and buckets.take("a", 1) == 0.0
    assert buckets.take("a", 1) == pytest.approx(0.5)  # empty: one more in half a second
    assert buckets.take("b", 4) == 0.0  # per key
    now[0] = 0.5
    assert buckets.take("a", 1) == 0.0
    now[0] = 10.0  # refilled up to the burst, not beyond
    assert buckets.take("a", 10) == 0.0  # larger than the burst: admitted on a full bucket...
    assert buckets.take("a", 1) == pytest.approx(3.5)  # ...and leaves it in debt (-6 + 1 needed)
    with pytest.raises(RateLimited) as caught:
        buckets.check("a", 1)
    assert caught.value.retry_after == pytest.approx(3.5)
