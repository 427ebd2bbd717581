"""vPDQ hash files: Meta's sample-hashes read and written back byte for byte; bad lines named by number."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from jejak.errors import ConfigError, NotFound
from jejak.lists.vpdq import VpdqFormatError, format_vpdq, parse_vpdq, read_vpdq, write_vpdq
from jejak.model.video import FrameHash

PDQ = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c"


def sample_files(testdata: Path) -> list[Path]:
    files = sorted((testdata / "threatexchange" / "vpdq" / "sample-hashes").glob("*.txt"))
    assert len(files) == 31
    return files


def test_every_sample_file_round_trips_byte_for_byte(testdata: Path, tmp_path: Path) -> None:
    for path in sample_files(testdata):
        frames = read_vpdq(path)
        assert frames and all(isinstance(f, FrameHash) for f in frames)
        out = tmp_path / path.name
        assert write_vpdq(frames, out) == len(frames)
        assert out.read_bytes() == path.read_bytes(), path.name
        buf = io.BytesIO()
        write_vpdq(frames, buf)
        assert buf.getvalue() == path.read_bytes()
        assert read_vpdq(io.BytesIO(path.read_bytes())) == frames


def test_fields(testdata: Path) -> None:
    frames = read_vpdq(testdata / "threatexchange" / "vpdq" / "sample-hashes" / "chair-19-sd-bar.txt")
    assert frames[0] == FrameHash(0, 100, PDQ, 0.0)
    assert frames[1].seconds == 0.033 and frames[-1].frame == 563 and frames[-1].seconds == 18.767


def test_lenient_about_layout_strict_about_values() -> None:
    text = f" 0 , 100 , {PDQ.upper()} , 0.000 \r\n\r\n1,99,{PDQ},0.033\r\n"
    assert parse_vpdq(text) == [FrameHash(0, 100, PDQ, 0.0), FrameHash(1, 99, PDQ, 0.033)]
    assert format_vpdq(parse_vpdq(text)) == f"0,100,{PDQ},0.000\n1,99,{PDQ},0.033\n"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"0,100,{PDQ}", "expected 4 fields"),
        (f"0,100,{PDQ},0.0,extra", "expected 4 fields"),
        (f"-1,100,{PDQ},0.000", "frame number"),
        (f"x,100,{PDQ},0.000", "frame number"),
        (f"0,101,{PDQ},0.000", "quality"),
        (f"0,high,{PDQ},0.000", "quality"),
        (f"0,100,{PDQ[:-1]},0.000", "PDQ is not 64 hex"),
        (f"0,100,{PDQ[:-1]}g,0.000", "PDQ is not 64 hex"),
        (f"0,100,{PDQ},soon", "seconds is not a number"),
        (f"0,100,{PDQ},-1.000", "seconds is not a finite number"),
        (f"0,100,{PDQ},nan", "seconds is not a finite number"),
    ],
)
def test_a_bad_line_is_named_with_its_number(line: str, reason: str) -> None:
    text = f"0,100,{PDQ},0.000\n1,100,{PDQ},0.033\n{line}\n"
    with pytest.raises(VpdqFormatError, match=rf"^clip\.txt: line 3: {reason}"):
        parse_vpdq(text, "clip.txt")


def test_errors_are_config_and_value_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(f"0,100,{PDQ},0.000\n".encode() + "1,100,caf\u00e9,0.033\n".encode())
    with pytest.raises(ConfigError, match=r"bad\.txt: line 2: not ASCII"):
        read_vpdq(bad)
    with pytest.raises(ValueError, match="line 2"):
        read_vpdq(bad)
    with pytest.raises(NotFound):
        read_vpdq(tmp_path / "missing.txt")
