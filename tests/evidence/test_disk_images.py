"""Raw, split raw and split E01 images of one FAT card give the same files, the deleted one included."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jejak.testing.fatimage import FatFile, build_fat_image
from tests.conftest import Cli

PHOTO = os.urandom(700_000)
GONE = os.urandom(120_000)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("disks")
    raw = build_fat_image(
        [FatFile("DCIM/100CAM/IMG_0001.JPG", PHOTO), FatFile("DCIM/100CAM/IMG_0002.JPG", GONE, deleted=True)],
        size_mb=4,
    )
    (root / "raw").mkdir()
    (root / "raw" / "card.dd").write_bytes(raw)
    (root / "split").mkdir()
    third = len(raw) // 3 + 1
    for i in range(3):
        (root / "split" / f"card.{i + 1:03d}").write_bytes(raw[i * third : (i + 1) * third])
    (root / "ewf").mkdir()
    tool = shutil.which("ewfacquirestream")
    if tool is None:
        pytest.fail("ewfacquirestream is missing: apt-get install ewf-tools (.ci/run installs it)")
    subprocess.run(
        [
            tool,
            "-t",
            str(root / "ewf" / "card"),
            "-S",
            "1048576",
            "-c",
            "none",
            "-C",
            "c",
            "-D",
            "d",
            "-e",
            "e",
            "-E",
            "1",
            "-N",
            "n",
            "-q",
        ],
        input=raw,
        check=True,
        capture_output=True,
    )
    assert len(list((root / "ewf").glob("card.E0*"))) >= 4
    return root


def files_of(cli: Cli, source: Path, case: str) -> dict[str, dict[str, object]]:
    cli("case", "create", case, "--agency", "A")
    cli("ingest", str(source), "--case", case)
    return {
        r["path"].split(" > ", 1)[1]: r for r in cli("files", "--case", case).jsonl() if " > " in r["path"]
    }


def test_raw_split_raw_and_split_e01_agree(cli: Cli, images: Path) -> None:
    raw = files_of(cli, images / "raw" / "card.dd", "RAW")
    split = files_of(cli, images / "split" / "card.001", "SPLIT")
    ewf = files_of(cli, images / "ewf" / "card.E01", "EWF")
    assert set(raw) == set(split) == set(ewf)
    photo = raw["p1 (FAT16) > /DCIM/100CAM/IMG_0001.JPG"]
    assert photo["sha256"] == hashlib.sha256(PHOTO).hexdigest() and photo["deleted"] is False
    [gone] = [r for r in raw.values() if r["deleted"]]
    assert gone["sha256"] == hashlib.sha256(GONE).hexdigest()
    for other in (split, ewf):
        assert {k: (v["sha256"], v["deleted"]) for k, v in other.items()} == {
            k: (v["sha256"], v["deleted"]) for k, v in raw.items()
        }


def test_later_segments_are_hashed_but_not_opened_alone(cli: Cli, images: Path) -> None:
    cli("case", "create", "SEG", "--agency", "A")
    cli("ingest", str(images / "ewf"), "--case", "SEG")
    rows = cli("files", "--case", "SEG").jsonl()
    segments = [r for r in rows if " > " not in r["path"]]
    assert all(r["kind"] == "disk_image" and r["sha256"] for r in segments)
    inside = [r for r in rows if " > " in r["path"]]
    assert {r["path"].split(" > ")[0] for r in inside} == {"ewf/card.E01"}
