"""Matching: thresholds and quality gates, the PDQ list index, and triage (known, known-good, new)."""

from jejak.match.pdq import ListIndex, PdqQuery, best_pdq_hits

__all__ = ["ListIndex", "PdqQuery", "best_pdq_hits"]
