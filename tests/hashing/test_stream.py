from __future__ import annotations

import hashlib
import io
import os

from jejak.hashing.stream import hash_and_keep


def test_three_digests_in_one_pass_match_hashlib() -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    kept = hash_and_keep(io.BytesIO(data), cap=None, spool_memory=1024 * 1024)
    assert kept.digests.md5 == hashlib.md5(data).hexdigest()
    assert kept.digests.sha1 == hashlib.sha1(data).hexdigest()
    assert kept.digests.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.digests.complete and kept.digests.size == len(data)
    assert kept.data.read() == data  # spilled past 1 MiB to an anonymous temp file and still whole


def test_cap_stops_reading_and_says_so() -> None:
    kept = hash_and_keep(io.BytesIO(b"\0" * 5000), cap=1000, spool_memory=10_000)
    assert not kept.digests.complete
    assert kept.error and "limit of 1000" in kept.error
    assert kept.digests.size == 1000


def test_read_error_keeps_what_came_before() -> None:
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            self.calls += 1
            if self.calls > 1:
                raise OSError("bad sector")
            b[:4] = b"abcd"
            return 4

    kept = hash_and_keep(Broken(), cap=None, spool_memory=100)  # type: ignore[arg-type]
    assert not kept.digests.complete and "bad sector" in (kept.error or "")
    assert kept.digests.size == 4


def test_empty_has_the_empty_digests() -> None:
    assert hash_and_keep(io.BytesIO(b""), None, 10).digests.sha256 == hashlib.sha256(b"").hexdigest()
