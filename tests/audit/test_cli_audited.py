"""The commands the audit contract names write an entry as the local operator, after they succeed, and
their own output is unchanged: case create, lists import/build/export/rm, match, export, assert media."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import Cli


def _pictures(folder: Path) -> list[Path]:
    """Two benign pictures: seeded noise."""
    folder.mkdir()
    rng = np.random.default_rng(7)
    out = []
    for name in ("a.png", "b.png"):
        path = folder / name
        Image.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)).save(path)
        out.append(path)
    return out


def test_audited_commands(cli: Cli, tmp_path: Path) -> None:
    a, b = _pictures(tmp_path / "seized")
    md5list = tmp_path / "list.md5"
    md5list.write_text(f"{hashlib.md5(b.read_bytes()).hexdigest()}  b.png\n")

    cli("case", "create", "C-1", "--agency", "Politie NL")
    cli("ingest", str(tmp_path / "seized"), "--case", "C-1", "--workers", "0")
    cli("lists", "build", str(a), "--name", "built", "--category", "1")
    cli("lists", "import", str(md5list), "--name", "imported", "--format", "md5sum")
    cli("match", "--case", "C-1")
    cli("export", "--case", "C-1", "-o", str(tmp_path / "case.json"))
    cli("assert", "media", "a.png", "--case", "C-1", "--victim", "V-1")
    exported = cli("lists", "export", "imported", "--format", "md5sum")
    assert exported.out.split() == [hashlib.md5(b.read_bytes()).hexdigest(), "b.png"]  # output unchanged
    cli("lists", "rm", "imported", "--yes")

    entries = cli("audit", "show", "--format", "jsonl").jsonl()
    assert [e["action"] for e in entries] == [
        "case_create",
        "list_import",
        "list_import",
        "match",
        "export",
        "assertion",
        "list_export",
        "list_remove",
    ]
    assert all(e["actor"].startswith("local:") and e["agency"] is None for e in entries)
    assert [e["seq"] for e in entries] == list(range(1, 9))
    by_action = {e["action"]: e for e in entries}
    assert by_action["match"]["detail"]["contents_hit"] == 2
    assert by_action["export"]["case"] == "C-1" and by_action["export"]["detail"]["media"] == 2
    assert by_action["assertion"]["target"] == hashlib.sha256(a.read_bytes()).hexdigest()
    assert by_action["list_export"]["detail"] == {"format": "md5sum", "entries": 1}
    assert entries[2]["target"] == "imported" and entries[2]["detail"]["counts"]["added"] == 1

    about_case = cli("audit", "show", "--case", "C-1", "--format", "jsonl").jsonl()
    assert [e["action"] for e in about_case] == ["case_create", "match", "export", "assertion"]
    assert [
        e["seq"] for e in cli("audit", "show", "--action", "list_import", "--format", "jsonl").jsonl()
    ] == [
        2,
        3,
    ]
    assert len(cli("audit", "show", "--limit", "2", "--format", "jsonl").jsonl()) == 2
    assert cli("audit", "show", "--action", "nonsense", check=False).code == 2
    assert cli("audit", "verify").out.startswith("OK: 8 entries")
