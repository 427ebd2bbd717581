"""Settings: the one table of defaults, each overridable by a JEJAK_-prefixed environment variable."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
GiB = 1024 * MiB


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JEJAK_", extra="ignore")

    db: str = Field("sqlite:///jejak.db", description="SQLAlchemy URL of the store")
    workers: int = Field(
        default_factory=lambda: max(1, len(os.sched_getaffinity(0))),
        description="worker processes for ingest (0 = hash in the main process)",
    )

    # Safety limits: each produces a warning row, never a crash.
    max_depth: int = Field(8, description="container nesting depth (zip in tar in zip... counts 1 each)")
    max_file_size: int = Field(64 * GiB, description="largest file instance read for digests")
    max_member_size: int = Field(4 * GiB, description="largest archive member expanded")
    max_expansion_ratio: float = Field(200.0, description="uncompressed/compressed ratio of a member")
    max_total_expanded: int = Field(64 * GiB, description="bytes expanded from one top-level container")
    max_archive_members: int = Field(1_000_000, description="members read from one archive")
    max_image_pixels: int = Field(200_000_000, description="image width x height decoded")
    max_media_seconds: float = Field(
        600.0, description="time allowed to decode and hash one file's media (a long video included)"
    )
    max_media_duration: float = Field(
        6 * 3600.0, description="seconds of a video or audio track hashed; the rest is left with a warning"
    )
    spool_memory: int = Field(
        64 * MiB,
        description="archive members are buffered in RAM up to this size, then in an anonymous temp file",
    )

    # Hashing.
    pdq_min_side: int = Field(
        1000, description="reduced JPEG decode keeps the short side at least this large (PDQ accuracy)"
    )

    # Matching against known-hash lists.
    match_pdq_threshold: int = Field(
        31, description="PDQ Hamming distance at or below which a hit counts (a list may set its own)"
    )
    match_pdq_quality: int = Field(
        50, description="PDQ quality below which only exact hashes are matched (flat or tiny images)"
    )
    match_dihedral: bool = Field(True, description="also match rotated (90/180/270) and mirrored copies")
    index_dir: str = Field(
        "",
        description="folder of the persisted PDQ list index (empty: beside a SQLite database, "
        "else ~/.cache/jejak/index/<database>)",
    )
    robust_enabled: bool = Field(
        True, description="describe images with local features at ingest and run the robust matching stage"
    )
    robust_features: int = Field(
        768,
        description="ORB features kept per seized image, plus 64 coarse ones (~58 KB stored per image); "
        "list entries keep 256 + 64 (12 KB)",
    )
    robust_max_side: int = Field(512, description="longer side of the image features are detected in")
    robust_enlarge_below: int = Field(
        480,
        description="seized pictures whose longer side is under this many pixels are also described enlarged "
        "to robust_max_side ('orb.enlarged'), which finds much smaller copies (list entries are not); 0 "
        "switches it off",
    )
    robust_min_score: int = Field(
        14, description="verified, geometrically consistent inliers a robust-stage hit needs"
    )
    robust_shortlist: int = Field(16, description="candidates per image that are geometrically verified")
    robust_corroborated_score: int = Field(
        8,
        description="a weaker robust-stage verification (at least this score, under robust_min_score) is a "
        "hit when the pair's PDQ also comes close (robust_corroborated_pdq): algorithm 'orb+pdq'",
    )
    robust_corroborated_pdq: int = Field(
        48,
        description="PDQ distance (closest dihedral variant) that corroborates a weaker robust verification; "
        "also how far a plain PDQ may be for robust_aligned_corners to corroborate it",
    )
    robust_aligned_corners: int = Field(
        16,
        description="a PDQ past match_pdq_threshold (within robust_corroborated_pdq) of a picture to a list "
        "entry built from media is a hit when at least this many of the entry's corners are in the same "
        "place in the picture (jejak.match.robust.aligned): algorithm 'pdq+aligned'; 0 turns it off",
    )
    video_enabled: bool = Field(
        True, description="hash videos at ingest: vPDQ frame hashes, container metadata, contact sheet"
    )
    video_fps: float = Field(1.0, description="video frames hashed per second (vPDQ); 0 hashes every frame")
    video_reference_fps: float = Field(
        0.0,
        description="video frames hashed per second for list entries ('lists build'); 0: every frame, so "
        "that a seized copy sampled at any phase finds its own frame among them",
    )
    vpdq_distance: int = Field(31, description="PDQ distance at which two video frames match (vPDQ)")
    vpdq_quality: int = Field(50, description="video frames below this PDQ quality are not compared")
    vpdq_reference_share: float = Field(
        0.8, description="share of a known video's frames a seized video must contain to match (vPDQ)"
    )
    vpdq_query_share: float = Field(
        0.0,
        description="share of the seized video's own frames that must match (0: a long video holding "
        "a known clip matches)",
    )
    video_keyframes: int = Field(
        32,
        ge=0,
        le=64,
        description="most keyframes of a video described for the robust stage (0: none); a still that is "
        "an edited frame of a known video, and videos with large logos or bars, are found through them",
    )
    video_keyframe_seconds: float = Field(
        10.0, gt=0, description="seconds of video per keyframe (at least 4 keyframes per video)"
    )
    video_reference_keyframe_seconds: float = Field(
        2.0,
        gt=0,
        description="seconds per keyframe of list entries ('lists build', at most 64 keyframes): denser, "
        "so that a still taken from anywhere in a known video is near one",
    )
    contact_sheet_frames: int = Field(
        16, description="frames in a video's stored contact sheet (0: none); blurred when shown"
    )
    thumbnail_size: int = Field(
        320,
        ge=0,
        le=1024,
        description="longest side in pixels of the thumbnail stored for each still image at ingest "
        "(0: none); shown greyscale and blurred unless revealed",
    )
    ui_allow_soft_blur: bool = Field(
        True,
        description="let a user of the review UI soften the blur of previews (still greyscale and blurred); "
        "false for shared screens: everyone sees the default blur",
    )
    audio_enabled: bool = Field(
        True, description="fingerprint the audio of videos and audio files (Chromaprint) at ingest"
    )
    audio_min_segment: float = Field(
        5.0, description="seconds of shared audio that make an audio match or link"
    )
    audio_max_ber: float = Field(
        0.2, description="bit error rate at or below which aligned audio fingerprints agree"
    )
    identifiers_enabled: bool = Field(
        True,
        description="look for online identifiers (URLs, invite links, phone numbers, e-mail, usernames, "
        "chat accounts) in text files, chat exports and EXIF text at ingest",
    )
    identifiers_max_bytes: int = Field(
        8 * MiB, ge=0, description="bytes of a text file read for identifiers (the rest is not scanned)"
    )
    identifiers_region: str = Field(
        "",
        description="country (ISO 3166 alpha-2, e.g. ID, GB) whose national phone numbers are recognised in "
        "text; empty: only numbers written in international form (+62...)",
    )
    scene_enabled: bool = Field(
        False,
        description="experimental: link stills of the same room (scene vectors + multi-plane verification) "
        "within a case and to stills asserted to a person or series; off by default while the scene "
        "benchmark is below its floors",
    )
    scene_case_max: int = Field(
        2000, ge=0, description="a case with more described stills than this is not searched for scenes"
    )
    place_radius_m: float = Field(
        100.0, gt=0, description="GPS positions within this many metres (chained) are one place"
    )
    alert_min_score: float = Field(
        0.5,
        ge=0,
        le=1,
        description="links into other cases at or above this score raise an alert (camera make and model "
        "alone score 0.1, URLs 0.3)",
    )
    stack_pdq_threshold: int = Field(
        31, description="PDQ distance that puts two contents of a case in one near-duplicate stack"
    )

    # The server (jejak serve): deployment, secrets, limits of the API.
    deployment: str = Field(
        "local",
        pattern="^(local|server)$",
        description="local: one examiner's machine, loopback only; server: a shared deployment, which "
        "refuses placeholder secrets and may listen beyond loopback",
    )
    secret_key: SecretStr = Field(
        SecretStr("change-me"),
        description="signs web sessions and CSRF tokens; a deployment=server needs 32+ random characters "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')",
    )
    evidence_roots: str = Field(
        "",
        description="folders (separated by ':') the server may ingest from; a server-side ingest of a path "
        "outside them is refused (empty: server-side ingest is off)",
    )
    agency_evidence_roots: str = Field(
        "",
        description="per agency, the folders its server-side ingests may read, as JSON: "
        '{"Politie NL": ["/evidence/nl"], "Polri ID": ["/evidence/id"]}; an agency named here gets only '
        "its own roots (evidence_roots is then for the agencies not named)",
    )
    api_token_days: int = Field(
        90, ge=0, description="days an API token lives unless --expires says (0: no end)"
    )
    api_auth_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="seconds a token's check is remembered by a server process (0: every request asks the "
        "database); a revocation through the API is immediate, one from the command line takes this long",
    )
    login_attempts_per_minute: int = Field(
        10, ge=1, description="sign-in attempts per user name per minute (a burst of as many), right or wrong"
    )
    api_rate_per_second: float = Field(
        50.0,
        gt=0,
        description="hash lookups per second one token may make, sustained (a perceptual-hash lookup is an "
        "oracle for evasion; a batch counts each hash)",
    )
    api_rate_burst: int = Field(500, ge=1, description="hash lookups one token may make in a burst")
    api_max_upload: int = Field(64 * MiB, ge=1, description="largest upload accepted by /h/hash")
    api_max_batch: int = Field(1000, ge=1, description="hashes in one batch lookup (POST /m/lookup)")
    api_page_max: int = Field(1000, ge=1, description="rows in one page of any API listing")
    api_index_refresh: float = Field(
        5.0, gt=0, description="seconds between the matcher's checks for list entries its PDQ index lacks"
    )
    api_video_seconds: float = Field(
        120.0,
        ge=0,
        description="seconds of an uploaded video hashed by /h/hash (vPDQ at video_fps); 0: digests only",
    )
    api_preserve_dir: str = Field(
        "",
        description="folder where /h/hash?preserve=true keeps uploads (empty: beside the PDQ index folder, "
        "<database>.preserved)",
    )

    # Ingest plumbing.
    batch_files: int = Field(100, description="files per worker task")
    batch_bytes: int = Field(16 * MiB, description="bytes per worker task")
    commit_every: int = Field(500, description="file rows per store transaction")


PLACEHOLDER_SECRETS = {
    "",
    "change-me",
    "changeme",
    "secret",
    "password",
    "jejak",
    "postgres",
    "admin",
    "test",
}


def check_deployment(s: Settings, host: str | None = None) -> None:
    """Refuse what a shared server must not run with: placeholder secrets, a database password from the
    placeholder list, a listening address beyond loopback in local mode."""
    from sqlalchemy.engine import make_url

    from jejak.errors import ConfigError

    loopback = host is None or host in ("127.0.0.1", "::1", "localhost")
    if s.deployment == "local":
        if not loopback:
            raise ConfigError(
                f"listening on {host} needs JEJAK_DEPLOYMENT=server (and a real JEJAK_SECRET_KEY); "
                "local mode serves loopback only"
            )
        return
    key = s.secret_key.get_secret_value()
    if key.lower() in PLACEHOLDER_SECRETS or len(key) < 32:
        raise ConfigError(
            "JEJAK_SECRET_KEY is a placeholder or shorter than 32 characters; a server needs a random one: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    try:
        password = make_url(s.db).password
    except Exception:
        password = None
    if password is not None and str(password).lower() in PLACEHOLDER_SECRETS:
        raise ConfigError("the database password in JEJAK_DB is a placeholder; set a real one")


def evidence_roots(s: Settings, agency: str | None = None) -> list[str]:
    """The folders server-side ingests may read: the agency's own (agency_evidence_roots) when it has
    some, else the server-wide evidence_roots; with no agency, every root of the server."""
    import json

    from jejak.errors import ConfigError

    per_agency: dict[str, list[str]] = {}
    if s.agency_evidence_roots.strip():
        try:
            raw = json.loads(s.agency_evidence_roots)
            per_agency = {str(k): [str(p) for p in v] for k, v in raw.items()}
        except (ValueError, AttributeError, TypeError) as exc:
            raise ConfigError(
                'JEJAK_AGENCY_EVIDENCE_ROOTS must be a JSON object {"agency": ["/folder", ...]}'
            ) from exc
    shared = [p for p in s.evidence_roots.split(":") if p.strip()]
    if agency is None:
        chosen = shared + [p for paths in per_agency.values() for p in paths]
    else:
        chosen = per_agency.get(agency, shared)
    return [os.path.realpath(p) for p in chosen]


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (from CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
