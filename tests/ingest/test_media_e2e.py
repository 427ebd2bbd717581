"""Video and audio end to end from the CLI, on generated benign media: a list built from a known clip and
a known song, a seizure holding the clip inside a longer re-encoded video, a frame of it as a still, two
videos with different pictures sharing a soundtrack, and unrelated media that must not match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from jejak.testing.known_media import CLIP_AT, build_known_media
from tests.conftest import Cli


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("media")
    build_known_media(root)
    return {"ref": root / "reference-media", "seized": root / "seizure", "root": root}


def _triage(cli: Cli, case: str) -> dict[str, dict[str, Any]]:
    files = {
        r["sha256"]: Path(r["path"]).name for r in cli("files", "--case", case, "--format", "jsonl").jsonl()
    }
    return {files[r["sha256"]]: r for r in cli("triage", "--case", case, "--format", "jsonl").jsonl()}


def test_video_and_audio_from_list_build_to_triage_links_preview_and_export(
    cli: Cli, media: dict[str, Path], tmp_path: Path
) -> None:
    built = cli(
        "lists", "build", str(media["ref"]), "--name", "known-media", "--category", "1", "--json"
    ).json()
    assert built["counts"]["added"] == 2
    cli("case", "create", "VID-1", "--agency", "Unit")
    summary = cli("ingest", str(media["seized"]), "--case", "VID-1", "--json").json()
    assert summary["warnings"] == 0, cli("warnings", "--case", "VID-1", "--format", "jsonl").out
    m = summary["match"]
    assert m["video_hits"] == 2 and m["frame_hits"] == 1 and m["audio_hits"] == 2
    assert m["keyframe_hits"] == 2 and m["robust"]["reference_videos"] == 1
    # the still that is a frame of the clip is linked to the three videos that show the clip, and the
    # edited frame to the re-shared clip (its keyframe at 4 s)
    assert m["links"] == {"vpdq": 1, "chromaprint": 1, "orb.frames": 0, "orb.frame": 4}

    t = _triage(cli, "VID-1")
    hit = t["VID-20260301-WA0001.mp4"]["hits"][0]
    assert (hit["stage"], hit["algorithm"], hit["list"]) == ("video", "vpdq", "known-media")
    ev = hit["evidence"]
    assert ev["reference_share"] >= 0.8
    (start, end), *_ = ev["query_ranges"]
    assert CLIP_AT - 0.5 <= start <= CLIP_AT + 1.5 and abs(end - (CLIP_AT + 8.0)) <= 1.5
    assert t["VID-20260301-WA0001.mp4"]["category"]["code"] == "1"
    still = t["IMG-20260301-WA0002.png"]["hits"][0]
    assert still["algorithm"] == "vpdq.frame" and abs(still["evidence"]["seconds"] - 3.0) <= 1.0
    assert t["VID-20260303-WA0005.mp4"]["status"] == "new" and t["PTT-20260303-WA0006.ogg"]["status"] == "new"
    for name, at in (("VID-20260302-WA0003.mp4", 5.0), ("VID-20260302-WA0004.mkv", 15.0)):
        audio_hit = t[name]["hits"][0]
        assert (audio_hit["stage"], audio_hit["algorithm"]) == ("audio", "chromaprint")
        seg = audio_hit["evidence"]["segments"][0]
        assert abs(seg["query_start"] - at) <= 1.0 and abs(seg["reference_start"]) <= 1.0
        assert audio_hit["evidence"]["seconds"] >= 10.0

    assert t["VID-20260304-WA0007.mkv"]["hits"][0]["algorithm"] == "vpdq"
    # vPDQ finds none of the re-shared clip's frames (bars, sticker): its keyframes are verified instead
    reshared = t["VID-20260305-WA0008.mp4"]["hits"][0]
    assert (reshared["stage"], reshared["algorithm"]) == ("robust", "orb.frames")
    ev = reshared["evidence"]
    assert ev["matched_keyframes"] >= 2 and ev["reference_keyframes"] == 4 and ev["score"] >= 14
    assert all(abs(f["seconds"] - f["reference_seconds"]) < 0.6 for f in ev["frames"]), ev["frames"]
    assert 1.9 < ev["scale"] < 2.1, ev  # the app doubled the picture
    edited = t["IMG-20260305-WA0009.jpg"]["hits"][0]
    assert (edited["algorithm"], edited["evidence"]["reference_seconds"]) == ("orb.frame", 4.0)
    assert abs(abs(edited["evidence"]["rotation_deg"]) - 4.0) < 1.5, edited["evidence"]

    every = cli(
        "links", "--case", "VID-1", "--rules", "vpdq,chromaprint,orb.frame,orb.frames", "--format", "jsonl"
    ).jsonl()
    links = {x["rule"]: x for x in every}
    assert set(links) == {"vpdq", "chromaprint", "orb.frame"}
    names = {t[n]["sha256"]: n for n in t}
    frame_links = [x for x in every if x["rule"] == "orb.frame"]
    assert {frozenset((names[x["a"]["sha256"]], names[x["b"]["sha256"]])) for x in frame_links} == {
        frozenset(("IMG-20260301-WA0002.png", video))
        for video in ("VID-20260301-WA0001.mp4", "VID-20260304-WA0007.mkv", "VID-20260305-WA0008.mp4")
    } | {frozenset(("IMG-20260305-WA0009.jpg", "VID-20260305-WA0008.mp4"))}
    clip = links["vpdq"]
    assert {names[clip["a"]["sha256"]], names[clip["b"]["sha256"]]} == {
        "VID-20260301-WA0001.mp4",
        "VID-20260304-WA0007.mkv",
    }
    assert clip["score"] >= 0.8
    seg = links["chromaprint"]["evidence"]["segments"][0]
    starts = sorted([seg["query_start"], seg["reference_start"]])
    assert abs(starts[0] - 5.0) <= 1.0 and abs(starts[1] - 15.0) <= 1.0

    # Container metadata reaches the file records.
    files = {Path(r["path"]).name: r for r in cli("files", "--case", "VID-1", "--format", "jsonl").jsonl()}
    vid = files["VID-20260301-WA0001.mp4"]
    exif = vid["exif"]
    assert vid["kind"] == "video" and exif["make"] == "Demophone" and exif["model"] == "DP-7"
    assert exif["gps"] is not None and abs(exif["gps"]["lat"] - 52.3676) < 1e-3

    # The contact sheet: greyscale and blurred unless revealed.
    sha = vid["sha256"]
    gentle, sharp = tmp_path / "gentle.png", tmp_path / "sharp.png"
    cli("preview", sha, "--output", str(gentle))
    cli("preview", sha, "--output", str(sharp), "--reveal")
    g, s = Image.open(gentle), Image.open(sharp)
    assert g.mode == "L" and s.mode == "RGB" and g.size == s.size

    def sharpness(img: Image.Image) -> float:
        return float(cv2.Laplacian(np.asarray(img.convert("L"), np.float32), cv2.CV_32F).var())

    assert sharpness(g) < 0.2 * sharpness(s)

    # A categorised segment travels in the VICS export.
    cli("segment", "add", sha, "--case", "VID-1", "--start", "12", "--end", "20", "--category", "1")
    out = tmp_path / "case.json"
    cli("export", "--case", "VID-1", "--format", "vics", "--output", str(out))
    doc = json.loads(out.read_text())
    media_json = next(x for x in doc["value"][0]["Media"] if x.get("SHA1") and x.get("Segments"))
    assert media_json["Segments"][0]["StartTime"] == 12.0 and media_json["Segments"][0]["Category"] == 1


def test_vpdq_files_import_match_and_export_byte_for_byte(
    cli: Cli, media: dict[str, Path], testdata: Path, tmp_path: Path
) -> None:
    sample = testdata / "threatexchange" / "vpdq" / "sample-hashes" / "chair-19-sd-bar.txt"
    folder = tmp_path / "vpdq-in"
    folder.mkdir()
    shutil.copy(sample, folder / sample.name)
    report = cli("lists", "import", str(folder), "--name", "meta", "--format", "vpdq", "--json").json()
    assert report["counts"]["added"] == 1
    again = cli("lists", "import", str(folder), "--name", "meta", "--format", "vpdq", "--json").json()
    assert again["counts"]["added"] == 0
    out = tmp_path / "vpdq-out"
    cli("lists", "export", "meta", "--format", "vpdq", "--output", str(out))
    assert (out / sample.name).read_bytes() == sample.read_bytes()
    # The real chair video matches its own Meta hashes through the list; the generated seizure does not.
    cli("case", "create", "CHAIR", "--agency", "Unit")
    clip = testdata / "threatexchange" / "tmk" / "sample-videos" / "chair-19-sd-bar.mp4"
    summary = cli("ingest", str(clip), str(media["seized"] / "messenger"), "--case", "CHAIR", "--json").json()
    assert summary["match"]["video_hits"] == 1
    t = _triage(cli, "CHAIR")
    assert t["chair-19-sd-bar.mp4"]["hits"][0]["evidence"]["reference_share"] >= 0.9
    assert t["VID-20260301-WA0001.mp4"]["status"] == "new"


def test_broken_media_become_warnings_and_the_rest_is_hashed(
    cli: Cli, media: dict[str, Path], tmp_path: Path
) -> None:
    good = media["seized"] / "messenger" / "VID-20260302-WA0003.mp4"
    folder = tmp_path / "broken"
    folder.mkdir()
    data = good.read_bytes()
    (folder / "cut.mp4").write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: unreadable
    (folder / "header-only.ogg").write_bytes(b"OggS" + bytes(60))
    shutil.copy(good, folder / "good.mp4")
    cli("case", "create", "BROKEN", "--agency", "Unit")
    summary = cli("ingest", str(folder), "--case", "BROKEN", "--json").json()
    assert summary["files"] == 3 and summary["warnings"] >= 1
    warnings = cli("warnings", "--case", "BROKEN", "--format", "jsonl").jsonl()
    assert {Path(w["path"]).name for w in warnings} <= {"cut.mp4", "header-only.ogg"}
    assert any(Path(w["path"]).name == "cut.mp4" and w["stage"] == "decode" for w in warnings)
    files = {Path(r["path"]).name: r for r in cli("files", "--case", "BROKEN", "--format", "jsonl").jsonl()}
    assert files["cut.mp4"]["sha256"] is not None  # digests are kept whatever the decoder says
    good_row = files["good.mp4"]
    assert good_row["kind"] == "video" and (good_row["width"], good_row["height"]) == (96, 64)
