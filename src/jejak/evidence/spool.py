"""A seekable buffer of bytes that stays in RAM up to a size and then moves to an anonymous temp file."""

from __future__ import annotations

import io
import tempfile
from typing import BinaryIO


class Spool:
    def __init__(self, memory_limit: int) -> None:
        self.memory_limit = memory_limit
        self._mem: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        if self._mem is not None and self.size + len(data) > self.memory_limit:
            # Unlinked at once (O_TMPFILE where the kernel has it): nothing named is ever on disk.
            self._file = tempfile.TemporaryFile()
            self._file.write(self._mem.getbuffer())
            self._mem = None
        (self._mem if self._mem is not None else self._file).write(data)  # type: ignore[union-attr]
        self.size += len(data)

    def reader(self) -> BinaryIO:
        buf: BinaryIO = self._mem if self._mem is not None else self._file  # type: ignore[assignment]
        buf.seek(0)
        return buf

    def close(self) -> None:
        self.reader().close()
