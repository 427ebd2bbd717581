"""md5sum / sha1sum / sha256sum (GNU, BSD, bare) and hashdeep lists."""

from __future__ import annotations

from pathlib import Path

from jejak.model.lists import ListEntry
from jejak.model.records import HashValue
from tests.lists.conftest import assert_same, read_all, round_trip, write_bytes


def test_gnu_checksum_lines_with_all_their_forms(data: Path) -> None:
    header, entries, reader = read_all(data / "md5sum.txt")
    assert header.format == "md5sum"
    assert [(e.key, e.name) for e in entries] == [
        ("md5:552cc9661dc69d9b8b5376e9d79f3c96", "photos/a.jpg"),
        ("md5:1b9fb163abb6a98ca34946ddefe1a04f", "photos/b c.jpg"),  # binary mode '*'
        ("md5:a984f93250a189ded0bb083037e28822", "weird\\name\nwith newline.jpg"),  # escaped name
        ("sha1:f1365b4310ed5187530bbd1273ea4f349fab0c21", "sha1 line.jpg"),
        ("sha256:e0280c2105cd0d1b5944bc5fd8a09caca8137e8c847c9ce12416c4d89ef8cbb7", "sha256.bin"),
        ("md5:9671f887cada977659148e34b0c1ddd4", None),  # a bare hash
    ]
    assert reader.count_skipped == 2
    assert reader.problems == [
        "line 6: not a checksum line; skipped",
        "line 7: a 5-character hash is not md5, sha1 or sha256; skipped",
    ]
    assert header.extra["style"] == "gnu" and header.extra["algorithms"] == ["md5", "sha1", "sha256"]


def test_bsd_tags_and_bare_sha256(data: Path) -> None:
    _h, entries, reader = read_all(data / "bsd_tags.txt")
    assert [(str(e.key)[:12], e.name) for e in entries] == [
        ("md5:552cc966", "photos/a.jpg"),
        ("sha256:bffd2", "photos/b (1).jpg"),
        ("sha1:4d64937", "x"),
    ]
    assert reader.count_bad == 0
    _h, entries, _r = read_all(data / "sha256_bare.txt")
    assert [e.hashes[0].algorithm for e in entries] == ["sha256", "sha256"]  # 64 hex without a hint: SHA-256


def test_sum_writers_round_trip(data: Path, tmp_path: Path) -> None:
    header, entries, _r = read_all(data / "md5sum.txt")
    _h, again, reader = round_trip(tmp_path, entries, "md5sum", header)
    assert_same(entries, again)
    assert reader.count_bad == 0
    text = write_bytes(entries, "md5sum").decode()
    assert "\\a984f93250a189ded0bb083037e28822  weird\\\\name\\nwith newline.jpg\n" in text
    assert text.endswith("9671f887cada977659148e34b0c1ddd4\n")


def test_sha1sum_and_sha256sum_write_exactly_that_digest(tmp_path: Path) -> None:
    both = ListEntry(
        hashes=(HashValue("md5", "a" * 32), HashValue("sha1", "b" * 40), HashValue("sha256", "c" * 64)),
        name="f",
    )
    md5_only = ListEntry(hashes=(HashValue("md5", "d" * 32),))
    assert write_bytes([both, md5_only], "sha1sum") == b"b" * 40 + b"  f\n"
    assert write_bytes([both, md5_only], "sha256sum") == b"c" * 64 + b"  f\n"
    assert write_bytes([both, md5_only], "md5sum") == b"a" * 32 + b"  f\n" + b"d" * 32 + b"\n"
    _h, again, _r = round_trip(tmp_path, [both], "sha256sum")
    assert again == [ListEntry(hashes=(HashValue("sha256", "c" * 64),), name="f")]


def test_hashdeep_any_columns_and_bad_rows(data: Path) -> None:
    header, entries, reader = read_all(data / "hashdeep.txt")
    assert header.extra["columns"] == ["size", "md5", "sha256", "filename"]
    assert header.extra["comments"] == ["## Invoked from: /evidence", "## $ hashdeep -r /evidence", "##"]
    assert [(e.name, e.size, len(e.hashes)) for e in entries] == [
        ("/evidence/photos/a.jpg", 2835, 2),
        ("/evidence/read me, first.txt", 17, 2),  # a comma in the last column
        ("/evidence/bad size.jpg", None, 2),
    ]
    assert entries[2].extra == {"size": "x"}
    assert reader.count_skipped == 1 and reader.count_bad == 4
    _h, entries, _r = read_all(data / "hashdeep_sha1.txt")
    assert entries[0].hashes == (HashValue("sha1", "f1365b4310ed5187530bbd1273ea4f349fab0c21"),)
    assert entries[0].extra == {"tiger": "0123456789abcdef0123456789abcdef0123456789abcdef"}


def test_hashdeep_round_trip(data: Path, tmp_path: Path) -> None:
    for name in ("hashdeep.txt", "hashdeep_sha1.txt"):
        header, entries, _r = read_all(data / name)
        header2, again, _r2 = round_trip(tmp_path, entries, "hashdeep", header)
        assert_same(entries, again)
        assert header2.extra == header.extra
    text = write_bytes(
        [ListEntry(hashes=(HashValue("sha1", "b" * 40),), name="n,1", size=3)], "hashdeep"
    ).decode()
    assert text.splitlines()[:2] == ["%%%% HASHDEEP-1.0", "%%%% size,md5,sha1,sha256,filename"]
    assert text.splitlines()[-1] == f"3,,{'b' * 40},,n,1"
