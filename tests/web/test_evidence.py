"""How a hit's evidence reads on the review pages (``describe_evidence``)."""

from __future__ import annotations

from typing import Any

from jejak.web.triage import describe_evidence


def test_corners_in_place_read_as_a_near_pdq_and_the_corners() -> None:
    hit: dict[str, Any] = {
        "stage": "robust",
        "algorithm": "pdq+aligned",
        "distance": None,
        "evidence": {
            "score": 79,
            "aligned": 79,
            "corners": 320,
            "pdq_distance": 44,
            "rotation_deg": 0.0,
            "scale": 1.0,
            "mirrored": False,
        },
    }
    assert describe_evidence(hit) == ["PDQ at 44 bits; 79 of the reference's 320 corners in the same place"]
    assert hit["evidence"]["aligned"] == 79  # the hit itself is left as it was


def test_a_corroborated_verification_reads_as_inliers_and_pdq() -> None:
    hit: dict[str, Any] = {
        "stage": "robust",
        "algorithm": "orb+pdq",
        "distance": None,
        "evidence": {
            "score": 9,
            "inliers": 11,
            "matches": 60,
            "rotation_deg": 0.5,
            "scale": 1.0,
            "tx": 1.0,
            "ty": 2.0,
            "mirrored": False,
            "enlarged": False,
            "pdq_distance": 40,
        },
    }
    assert describe_evidence(hit) == [
        "11 verified inliers of 60 matches, score 9.00",
        "corroborated by PDQ at 40 bits",
        "transform from the reference: rotation 0.5°, scale 1.00",
    ]
