"""Exact Hamming range search over 256-bit PDQ hashes.

``PdqIndex`` (multi-index hashing, ``pdq``) answers "every reference within r bits of this query" exactly and
fast at tens of millions of references; ``BruteForceIndex`` (``brute``) is its linear-scan twin with the same
API and results. Codes are ``uint8`` arrays of shape (n, 32), the bytes of the 64-hex PDQ string in order
(``pdq_hex_to_codes`` / ``codes_to_hex``). Both save to and load from a single pickle-free ``.npz``
(``storage``), carrying a caller's JSON ``meta``.
"""

from jejak.index.brute import BruteForceIndex
from jejak.index.codes import SearchResult, codes_to_hex, pdq_hex_to_codes
from jejak.index.pdq import PdqIndex

__all__ = ["BruteForceIndex", "PdqIndex", "SearchResult", "codes_to_hex", "pdq_hex_to_codes"]
