"""Synthetic known-hash lists for benchmarks and tests: random digests, nothing else.

``write_vics_hashset(path, n, seed)`` writes a Project VIC VICS 2.0 ``#Media`` hash set of ``n`` entries the
way exporters do: upper-case MD5 and SHA-1, SHA-256 for every entry and PDQ for every other one in
``AlternativeHashes``, a category for most (US scheme, 0-4; about one in six null), a series for about one in
five, flags, MediaSize and DateUpdated. The digests are random numbers from ``seed``: they describe no file.
It streams (one entry per line), so a million entries take about 0.5 GB of disk and little memory.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
_CATEGORIES = ("null", "0", "1", "1", "2", "3", "4")


@dataclass(frozen=True)
class GeneratedList:
    path: Path
    entries: int
    with_pdq: int
    categorised: int
    size_bytes: int


def write_vics_hashset(path: Path, n: int, seed: int = 0) -> GeneratedList:
    """Write an ``n``-entry VICS 2.0 hash set to ``path`` (deterministic for a seed)."""
    rnd = random.Random(seed)
    bits = rnd.getrandbits
    with_pdq = categorised = 0
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"@odata.context": ' + json.dumps(CONTEXT) + ',\n"value": [')
        for i in range(n):
            category = _CATEGORIES[bits(16) % len(_CATEGORIES)]
            categorised += category != "null"
            alt = f'{{"HashName": "SHA256", "HashValue": "{bits(256):064X}"}}'
            if i % 2:
                alt += f', {{"HashName": "PDQ", "HashValue": "{bits(256):064x}"}}'
                with_pdq += 1
            series = f'"Series {bits(8) % 40:02d}"' if bits(8) % 5 == 0 else "null"
            distributed = "true" if bits(1) else "false"
            updated = f"2026-0{1 + bits(3) % 9}-1{bits(3)}T0{bits(3)}:31:49.83Z"
            f.write(
                ("\n" if i == 0 else ",\n")
                + f'{{"MediaID": {i + 1}, "Category": {category}, "MD5": "{bits(128):032X}", '
                f'"SHA1": "{bits(160):040X}", "MediaSize": {1000 + bits(22)}, '
                f'"IsDistributed": {distributed}, "VictimIdentified": false, "OffenderIdentified": false, '
                f'"Series": {series}, "IsPrecategorized": false, "DateUpdated": "{updated}", '
                f'"AlternativeHashes": [{alt}]}}'
            )
        f.write("\n]}\n")
    return GeneratedList(path, n, with_pdq, categorised, path.stat().st_size)
