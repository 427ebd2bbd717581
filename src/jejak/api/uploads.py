"""Receiving one uploaded file: a multipart body streamed to a private temporary file with a hard cap
(``TooLarge`` above it, whatever Content-Length says), without keeping the body in memory. Used by the
matching API's ``POST /h/hash`` and ``POST /m/lookup`` with a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from jejak.api.problems import TooLarge
from jejak.errors import ConfigError

FILE_FIELDS = frozenset({"file", "photo", "video", "media", "upload"})
FORM_OVERHEAD = 64 * 1024  # multipart headers and small fields allowed on top of the file itself


class OneFile:
    """Multipart callbacks that write the single file part to a temporary file, with a hard cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.path: Path | None = None
        self.size = 0
        self.other = 0  # bytes of parts that are not the file
        self._file: Any = None
        self._headers: dict[str, str] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._in_file = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, a, b: self._field.extend(d[a:b]),
            "on_header_value": lambda d, a, b: self._value.extend(d[a:b]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers.clear()

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field.clear()
        self._value.clear()

    def _headers_done(self) -> None:
        _disp, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("latin-1")
        self._in_file = b"filename" in params or name in FILE_FIELDS
        if not self._in_file:
            return
        if self.path is not None:
            raise ConfigError("one file per request")
        fd, spooled = tempfile.mkstemp(prefix="jejak-upload-")
        self.path = Path(spooled)
        self._file = os.fdopen(fd, "wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        if not self._in_file:
            self.other += n
            if self.other > FORM_OVERHEAD:
                raise TooLarge("api_max_upload", "form fields beside the file are too large")
            return
        self.size += n
        if self.size > self.cap:
            raise TooLarge("api_max_upload", f"the upload is larger than {self.cap} bytes (api_max_upload)")
        self._file.write(data[start:end])

    def _end(self) -> None:
        if self._in_file and self._file is not None:
            self._file.close()
            self._file = None
        self._in_file = False

    @property
    def complete(self) -> bool:
        return self.path is not None and self._file is None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive(request: Request, cap: int) -> Path:
    """The one file of a multipart body, written to a temporary file the caller removes."""
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise ConfigError('send the file as multipart/form-data (one file part, e.g. name="file")')
    sink = OneFile(cap)
    try:
        parser = MultipartParser(boundary, sink.callbacks())
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap + FORM_OVERHEAD:
                raise TooLarge("api_max_upload", f"the upload is larger than {cap} bytes (api_max_upload)")
            parser.write(chunk)
        parser.finalize()
        if sink.path is None:
            raise ConfigError('the request holds no file part (multipart/form-data, e.g. name="file")')
        if not sink.complete:
            raise ConfigError("the multipart body ends inside the file part")
    except MultipartParseError as exc:
        sink.discard()
        raise ConfigError(f"malformed multipart body: {exc}") from None
    except BaseException:
        sink.discard()
        raise
    return sink.path
