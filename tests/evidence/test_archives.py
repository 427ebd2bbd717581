"""Archives are read in place, nested to a limit; hostile names and bombs are refused, never followed."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import py7zr
from PIL import Image

from jejak.config import Settings
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import process_batch
from jejak.model import FileRecord, LeafTask, PathSpec
from jejak.walk.limits import Limits


def jpeg(seed: int) -> bytes:
    img = Image.radial_gradient("L").resize((200, 150)).convert("RGB")
    img = Image.eval(img, lambda v: (v * (seed + 3)) % 256)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def ingest_file(path: Path, **limits: object) -> tuple[list[FileRecord], list[str]]:
    s = Settings(workers=0, **limits)  # type: ignore[arg-type]
    [res] = process_batch(
        [LeafTask(PathSpec.os_path(str(path), str(path)), path.stat().st_size)],
        Limits.from_settings(s),
        HashOptions.from_settings(s),
    )
    return res.records, [w.message for w in res.warnings]


def by_path(records: list[FileRecord]) -> dict[str, FileRecord]:
    return {r.pathspec.readable(): r for r in records}


def test_nested_zip_tar_gz_zip_keeps_the_whole_chain(tmp_path: Path) -> None:
    inner = zip_bytes({"deep/a.jpg": jpeg(1), "deep/b.txt": b"notes"})
    middle = tar_gz_bytes({"inner.zip": inner, "c.jpg": jpeg(2)})
    outer = tmp_path / "export.zip"
    outer.write_bytes(zip_bytes({"backup.tar.gz": middle, "d.jpg": jpeg(3)}))
    records, _ = ingest_file(outer)
    paths = by_path(records)
    deep = paths["export.zip > backup.tar.gz > inner.zip > deep/a.jpg"]
    assert deep.kind == "image" and deep.sha256 and any(h.algorithm == "pdq" for h in deep.hashes)
    assert [s.type for s in deep.pathspec.segments] == ["os", "zip", "gzip", "tar", "zip"]
    assert "export.zip > backup.tar.gz > c.jpg" in paths
    assert "export.zip > d.jpg" in paths
    assert paths["export.zip"].kind == "archive"
    # export.zip, backup.tar.gz, the tar inside the gzip stream, inner.zip, a.jpg, b.txt, c.jpg, d.jpg
    assert len(records) == 8
    assert paths["export.zip > backup.tar.gz > backup.tar"].kind == "archive"


def test_depth_limit_stops_and_warns(tmp_path: Path) -> None:
    data = jpeg(4)
    for i in range(5):
        data = zip_bytes({f"level{i}.zip" if i else "x.jpg": data})
    path = tmp_path / "deep.zip"
    path.write_bytes(data)
    records, _ = ingest_file(path, max_depth=2)
    limited = [r for r in records if any(w.stage == "limit" for w in r.warnings)]
    assert limited and "JEJAK_MAX_DEPTH" in limited[0].warnings[0].message
    assert not any(r.name == "x.jpg" for r in records)


def test_traversal_and_absolute_member_names_write_nothing(tmp_path: Path, testdata: Path) -> None:
    evil = tmp_path / "evidence" / "t.zip"
    evil.parent.mkdir()
    evil.write_bytes(zip_bytes({"../../etc/evil.jpg": jpeg(5), "/abs/photo.jpg": jpeg(6)}))
    before = set(os.listdir(tmp_path))
    records, _ = ingest_file(evil)
    assert {r.pathspec.last.location for r in records[1:]} == {"../../etc/evil.jpg", "/abs/photo.jpg"}
    assert all(r.kind == "image" for r in records[1:])
    assert set(os.listdir(tmp_path)) == before
    for name in ("absolute_paths.zip", "mixed_paths.zip"):
        recs, _ = ingest_file(testdata / "dfvfs" / "zip" / name)
        assert len(recs) > 1 and all(r.sha256 for r in recs)
    for name in ("absolute_paths.tar", "mixed_paths.tar"):
        recs, _ = ingest_file(testdata / "dfvfs" / "tar" / name)
        assert len(recs) > 1 and all(r.sha256 for r in recs)


def test_zip_bomb_member_is_cut_off_by_the_ratio_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as w:
            chunk = b"\0" * (1 << 20)
            for _ in range(1536):  # 1.5 GiB of zeros, ~1.5 MB on disk
                w.write(chunk)
        zf.writestr("ok.jpg", jpeg(7))
    assert bomb.stat().st_size < 5_000_000
    records, _ = ingest_file(bomb)
    paths = by_path(records)
    zeros = paths["bomb.zip > zeros.bin"]
    assert zeros.sha256 is None and zeros.warnings[0].stage == "limit"
    assert paths["bomb.zip > ok.jpg"].kind == "image"


def test_encrypted_7z_is_a_warning_with_the_names(tmp_path: Path) -> None:
    path = tmp_path / "secret.7z"
    with py7zr.SevenZipFile(path, "w", password="demo") as z:
        z.writestr(jpeg(8), "inside.jpg")
    records, _ = ingest_file(path)
    inside = by_path(records)["secret.7z > inside.jpg"]
    assert inside.sha256 is None and "encrypted" in inside.warnings[0].message


def test_plain_7z_and_single_streams(tmp_path: Path) -> None:
    path = tmp_path / "photos.7z"
    with py7zr.SevenZipFile(path, "w") as z:
        z.writestr(jpeg(9), "a/one.jpg")
        z.writestr(b"text", "a/two.txt")
    records, _ = ingest_file(path)
    assert by_path(records)["photos.7z > a/one.jpg"].kind == "image"
    import gzip
    import lzma

    (tmp_path / "single.jpg.gz").write_bytes(gzip.compress(jpeg(10)))
    (tmp_path / "single.jpg.xz").write_bytes(lzma.compress(jpeg(10)))
    for name in ("single.jpg.gz", "single.jpg.xz"):
        recs, _ = ingest_file(tmp_path / name)
        assert recs[1].kind == "image" and recs[1].name == "single.jpg", name


def test_corrupt_archive_is_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    good = zip_bytes({"a.jpg": jpeg(11), "b.jpg": jpeg(12)})
    path = tmp_path / "cut.zip"
    path.write_bytes(good[: len(good) // 2])
    records, _ = ingest_file(path)
    assert records[0].sha256  # the container itself is kept with its digests
    assert records[0].warnings or len(records) >= 1


def test_encrypted_zip_member_is_a_warning_and_its_neighbours_are_read(tmp_path: Path) -> None:
    # zipfile cannot write encryption: set the "encrypted" flag bit (0x1) in the local and central headers.
    data = bytearray(zip_bytes({"locked.jpg": jpeg(13), "open.jpg": jpeg(14)}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    path = tmp_path / "locked.zip"
    path.write_bytes(bytes(data))
    records, _ = ingest_file(path)
    paths = by_path(records)
    locked = paths["locked.zip > locked.jpg"]
    assert locked.sha256 is None and "encrypted ZIP member" in locked.warnings[0].message
    assert paths["locked.zip > open.jpg"].kind == "image"


def test_total_expansion_budget_of_one_container(tmp_path: Path) -> None:
    members = {f"m{i}.bin": bytes([i]) * 400_000 for i in range(5)}  # 2 MB expanded in all
    path = tmp_path / "many.zip"
    path.write_bytes(zip_bytes(members))
    records, _ = ingest_file(path, max_total_expanded=1_000_000)
    warnings = [w for r in records for w in r.warnings]
    assert any(w.stage == "limit" and "JEJAK_MAX_TOTAL_EXPANDED" in w.message for w in warnings)
    assert 1 <= sum(1 for r in records if r.sha256 and r.name.endswith(".bin")) < 5
