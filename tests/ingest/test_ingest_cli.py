"""End to end, as a user runs it: case create, ingest, files, warnings, resume, on real test data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import REPO, Cli


def documented_keys() -> set[str]:
    """The keys of the record table in docs/output.md: the contract, independent of the code."""
    text = (REPO / "docs" / "output.md").read_text()
    table = text.split("| key |", 1)[1].split("\n\n", 1)[0]
    keys: set[str] = set()
    for line in table.splitlines()[2:]:
        keys.update(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    return keys


CONTRACT = documented_keys()


def test_ingest_real_disk_images_and_archives(cli: Cli, testdata: Path) -> None:
    cli("case", "create", "ES-2017-0042", "--agency", "Policia Nacional")
    summary = cli("ingest", str(testdata / "dfvfs"), "--case", "ES-2017-0042", "--json").json()
    assert summary["files"] >= 30 and summary["by_kind"]["disk_image"] == 3
    rows = cli("files", "--case", "ES-2017-0042", "--format", "jsonl").jsonl()
    assert all(set(r) == CONTRACT for r in rows)
    by_path = {r["path"]: r for r in rows}
    # ext2 inside an EnCase image, the same files in a raw image with a non-ASCII name, and an ISO 9660.
    e01 = by_path["dfvfs/ext2.E01 > ext2 > /a_directory/a_file"]
    assert e01["size"] == 53 and e01["deleted"] is False
    assert by_path["dfvfs/ímynd.dd > ext2 > /a_directory/a_file"]["sha256"] == e01["sha256"]
    assert by_path["dfvfs/iso9660.raw > ISO9660 > /A_DIRECTORY/A_FILE"]["sha256"] == e01["sha256"]
    assert [s["type"] for s in e01["pathspec"]] == ["os", "ewf", "vol", "fs"]
    # Absolute member names in ZIP and TAR are names, not places.
    assert any(p.startswith("dfvfs/zip/absolute_paths.zip > /") for p in by_path)
    assert all(r["md5"] is None or (len(r["md5"]) == 32 and r["md5"] == r["md5"].lower()) for r in rows)
    # Deleted names without metadata in ímynd.dd become warnings, never crashes.
    warnings = cli("warnings", "--case", "ES-2017-0042", "--format", "jsonl").jsonl()
    assert any("not recoverable" in w["message"] for w in warnings)


def test_exif_and_pdq_reach_the_jsonl_contract(cli: Cli, testdata: Path) -> None:
    cli("case", "create", "C1", "--agency", "A")
    cli("ingest", str(testdata / "exif-samples" / "jpg" / "gps"), "--case", "C1", "--exhibit", "CAM-1")
    rows = cli("files", "--case", "C1", "--format", "jsonl").jsonl()
    photo = next(r for r in rows if r["name"] == "DSCN0010.jpg")
    assert photo["exhibit"] == "CAM-1" and photo["kind"] == "image"
    assert photo["exif"]["make"] == "NIKON" and photo["exif"]["gps"]["lat"] > 43
    assert len(photo["pdq"]) == 64 and 0 <= photo["pdq_quality"] <= 100
    csv_out = cli("files", "--case", "C1", "--format", "csv").out.splitlines()
    assert csv_out[0].startswith("case,exhibit,path") and len(csv_out) == len(rows) + 1


def test_rerun_adds_nothing_and_new_files_are_picked_up(cli: Cli, testdata: Path, tmp_path: Path) -> None:
    src = tmp_path / "usb-dump"
    shutil.copytree(testdata / "exif-samples" / "jpg" / "orientation", src)
    cli("case", "create", "C2", "--agency", "A")
    first = cli("ingest", str(src), "--case", "C2", "--json").json()
    again = cli("ingest", str(src), "--case", "C2", "--json").json()
    assert again["files"] == 0 and again["runs"][0]["leaves_skipped_as_already_done"] == first["files"]
    (src / "extra.jpg").write_bytes((testdata / "exif-samples" / "jpg" / "Canon_40D.jpg").read_bytes())
    third = cli("ingest", str(src), "--case", "C2", "--json").json()
    assert third["files"] == 1
    rows = cli("files", "--case", "C2").jsonl()
    assert len(rows) == first["files"] + 1 == len({r["path"] for r in rows})


def test_errors_are_clear_and_have_exit_codes(cli: Cli, tmp_path: Path) -> None:
    missing = cli("ingest", str(tmp_path), "--case", "NOPE", check=False)
    assert missing.code == 4 and "no case 'NOPE'" in missing.err
    cli("case", "create", "C3", "--agency", "A")
    dup = cli("case", "create", "C3", "--agency", "A", check=False)
    assert dup.code == 5 and "exists already" in dup.err
    nothing = cli("ingest", str(tmp_path / "absent"), "--case", "C3", check=False)
    assert nothing.code == 6 and "evidence not found" in nothing.err
    badfmt = cli("files", "--case", "C3", "--format", "xml", check=False)
    assert badfmt.code == 2


def test_hash_command_needs_no_database(cli: Cli, testdata: Path, tmp_path: Path) -> None:
    img = testdata / "threatexchange" / "pdq" / "data" / "bridge-mods" / "aaa-orig.jpg"
    out = cli("hash", str(img), "--format", "jsonl").jsonl()
    assert out[0]["pdq"] == "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert out[0]["case"] is None and out[0]["kind"] == "image"
    assert not (tmp_path / "jejak.db").exists()


def test_symlinks_are_not_followed_out_of_the_root(cli: Cli, testdata: Path, tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("inside")
    (root / "loop").symlink_to(root)  # a loop
    (root / "out").symlink_to(testdata / "dfvfs")  # outside the root
    cli("case", "create", "C4", "--agency", "A")
    cli("ingest", str(root), "--case", "C4")
    rows = cli("files", "--case", "C4").jsonl()
    assert [r["path"] for r in rows] == ["ev/sub/a.txt"]
    warnings = cli("warnings", "--case", "C4", "--format", "jsonl").jsonl()
    assert any("outside the evidence root" in w["message"] for w in warnings)


def test_heic_photos_get_pdq_and_exif(cli: Cli, testdata: Path) -> None:
    rows = cli("hash", str(testdata / "exif-samples" / "heic"), "--format", "jsonl").jsonl()
    assert len(rows) >= 4
    for r in rows:
        assert r["kind"] == "image" and r["mime"] in ("image/heic", "image/heif"), r["path"]
        assert r["pdq"] and r["width"], r["path"]
    phones = [r for r in rows if "mobile" in r["path"] or "IMG_5195" in r["path"]]
    assert len(phones) >= 3 and all(r["exif"]["datetime_original"] for r in phones)
