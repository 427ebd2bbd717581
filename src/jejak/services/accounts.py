"""Accounts, roles and access: who may do what to which case. The CLI, the API and the web UI all ask here.

Roles (one per user): admin (the agency's users, tokens and shares; its cases and audit), investigator
(cases: ingest, match, assert, share; lists), reviewer (cases: read, categorise, reveal), auditor (the
agency's audit trail only), platform (the matching API only). A token carries scopes, at most its
user's permissions. A case is visible to its agency and to the agencies it was shared with (read only);
anything else is "not found", exactly as a case that does not exist.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from jejak.errors import AccessDenied, ConfigError, MissingDependency, NotAuthenticated, NotFound
from jejak.store.accounts import TokenRow, UserRow
from jejak.store.sql import CaseRow, Store


class Role(StrEnum):
    admin = "admin"
    investigator = "investigator"
    reviewer = "reviewer"
    auditor = "auditor"
    platform = "platform"


class Perm(StrEnum):
    cases_read = "cases:read"  # case data: files, triage, hits, links, alerts
    cases_write = "cases:write"  # create, ingest, match, assert, share
    review = "review"  # categorise, reveal media
    lists_read = "lists:read"
    lists_write = "lists:write"
    audit_read = "audit:read"
    admin = "admin"  # the agency's users and tokens
    match = "match"  # the platform matching API (hash, lookup)


ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.admin: frozenset(
        {
            Perm.cases_read,
            Perm.cases_write,
            Perm.lists_read,
            Perm.lists_write,
            Perm.audit_read,
            Perm.admin,
            Perm.match,
        }
    ),
    Role.investigator: frozenset(
        {Perm.cases_read, Perm.cases_write, Perm.review, Perm.lists_read, Perm.lists_write, Perm.match}
    ),
    Role.reviewer: frozenset({Perm.cases_read, Perm.review, Perm.lists_read}),
    Role.auditor: frozenset({Perm.audit_read}),
    Role.platform: frozenset({Perm.match}),
}

TOKEN_PREFIX = "jjk_"


@dataclass(frozen=True)
class Principal:
    """Who is acting. ``agency_id`` None is the local operator (the CLI on the database itself): every
    permission, every case, as the machine's user."""

    name: str
    role: Role | None
    agency_id: int | None
    agency: str | None
    perms: frozenset[Perm]
    user_id: int | None = None
    token_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @staticmethod
    def local() -> Principal:
        try:
            who = getpass.getuser()
        except Exception:
            who = "unknown"
        return Principal(f"local:{who}", None, None, None, frozenset(Perm))

    @property
    def is_local(self) -> bool:
        return self.agency_id is None

    def require(self, perm: Perm) -> None:
        if perm not in self.perms:
            role = self.role.value if self.role else "local"
            raise AccessDenied(
                f"{self.name} ({role}) may not do this: it needs the {perm.value!r} permission"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value if self.role else None,
            "agency": self.agency,
            "permissions": sorted(p.value for p in self.perms),
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- passwords --------------------------------------------------------------------------------------------
def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - the server extra is installed by make install
        raise MissingDependency("argon2", "server") from exc
    return PasswordHasher()


MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    return str(_hasher().hash(password))


def check_password(store: Store, name: str, password: str) -> Principal:
    """A user by name and password (the web UI's sign-in). One answer for every failure."""
    from argon2.exceptions import InvalidHashError, VerificationError

    failure = NotAuthenticated("wrong user name or password")
    try:
        user = store.accounts.user(name)
    except NotFound:
        _hasher().hash("timing-equaliser")  # do the same work for an unknown name
        raise failure from None
    if user.password_hash is None or user.disabled_at is not None:
        raise failure
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    return principal_of(user)


def principal_of(user: UserRow, token: TokenRow | None = None) -> Principal:
    role = Role(user.role)
    perms = ROLE_PERMS[role]
    if token is not None:
        perms = perms & frozenset(Perm(s) for s in token.scopes if s in Perm._value2member_map_)
    return Principal(
        user.name, role, user.agency_id, user.agency, perms, user.id, token.id if token else None
    )


# -- agencies and users ---------------------------------------------------------------------------------
def create_user(store: Store, name: str, agency: str, role: str, password: str | None) -> UserRow:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}", name):
        raise ConfigError(f"a user name is letters, digits and . _ @ - (at most 100), not {name!r}")
    try:
        r = Role(role)
    except ValueError:
        raise ConfigError(f"--role must be one of {', '.join(x.value for x in Role)}, not {role!r}") from None
    ag = store.accounts.agency(agency)
    return store.accounts.create_user(name, ag.id, r.value, hash_password(password) if password else None)


# -- tokens -------------------------------------------------------------------------------------------------
_DURATION = re.compile(r"^(\d+)([mhdw])$")


def parse_expiry(text: str | None, default_days: int) -> datetime | None:
    """'30d', '12h', '90m', '2w', or 'never'; None gives the default."""
    if text is None:
        return _now() + timedelta(days=default_days) if default_days > 0 else None
    if text == "never":
        return None
    m = _DURATION.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ConfigError(f"--expires must look like 30d, 12h, 90m, 2w or 'never', not {text!r}")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
    return _now() + timedelta(**{unit: int(m.group(1))})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    store: Store, user: str, expires_at: datetime | None, scopes: list[str] | None = None
) -> tuple[str, TokenRow]:
    """A new token for a user: (the token, shown once; its row). Scopes default to the role's permissions
    and can only narrow them."""
    u = store.accounts.user(user)
    if u.disabled_at is not None:
        raise ConfigError(f"user {user!r} is disabled")
    allowed = ROLE_PERMS[Role(u.role)]
    if scopes:
        bad = [s for s in scopes if s not in Perm._value2member_map_ or Perm(s) not in allowed]
        if bad:
            raise ConfigError(
                f"scopes {', '.join(bad)} are not among the {u.role} role's: "
                f"{', '.join(sorted(p.value for p in allowed))}"
            )
        chosen = sorted(set(scopes))
    else:
        chosen = sorted(p.value for p in allowed)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = store.accounts.add_token(u.id, token_hash(token), token[:12], chosen, expires_at)
    return token, row


TOUCH_EVERY = timedelta(seconds=60)


def authenticate(store: Store, token: str) -> Principal:
    """The principal of a bearer token, or NotAuthenticated (unknown, revoked, expired, user disabled)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise NotAuthenticated("not a jejak API token")
    found = store.accounts.token_by_hash(token_hash(token))
    if found is None:
        raise NotAuthenticated("unknown API token")
    row, user = found
    now = _now()
    if row.revoked_at is not None:
        raise NotAuthenticated("this API token was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise NotAuthenticated("this API token has expired")
    if user.disabled_at is not None:
        raise NotAuthenticated("the user of this API token is disabled")
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        store.accounts.touch_token(row.id, now)
    who = principal_of(user, row)
    who.extra["expires_at"] = row.expires_at
    return who


# -- cases -------------------------------------------------------------------------------------------------
def can_see(store: Store, who: Principal, case: CaseRow) -> bool:
    if who.is_local:
        return True
    return case.id in store.accounts.visible_case_ids(who.agency_id or 0)


def case_for(store: Store, who: Principal, name: str, write: bool = False) -> CaseRow:
    """The case ``name`` if ``who`` may see it (and change it, with write=True: its own agency only);
    another agency's unshared case is NotFound with the very message of a missing one."""
    who.require(Perm.cases_write if write else Perm.cases_read)
    case = store.get_case(name)
    if not can_see(store, who, case):
        raise NotFound(f"no case {name!r}: create it with 'jejak case create {name} --agency NAME'")
    if write and not who.is_local and case.agency != who.agency:
        raise AccessDenied(
            f"case {name!r} was shared with {who.agency} to read; only {case.agency} changes it"
        )
    return case


def visible_cases(store: Store, who: Principal) -> list[CaseRow]:
    who.require(Perm.cases_read)
    cases = store.list_cases()
    if who.is_local:
        return cases
    ids = store.accounts.visible_case_ids(who.agency_id or 0)
    return [c for c in cases if c.id in ids]


PREFERENCES: dict[str, tuple[str, ...]] = {"blur": ("default", "soft")}
"""A review UI user's preferences and their values, the first the default. ``blur``: how previews are
blurred (``soft``: less, still greyscale and blurred; only where ``ui_allow_soft_blur``)."""


def preferences(store: Store, who: Principal) -> dict[str, str]:
    """The user's preferences, every key present (defaults filled in); the defaults for the local operator."""
    chosen = store.accounts.preferences(who.user_id) if who.user_id is not None else {}
    return {k: chosen[k] if chosen.get(k) in values else values[0] for k, values in PREFERENCES.items()}


def set_preference(store: Store, who: Principal, key: str, value: str) -> None:
    """Set one of the user's preferences; a key or value not in ``PREFERENCES`` is refused."""
    if key not in PREFERENCES or value not in PREFERENCES[key]:
        choices = ", ".join(f"{k}: {' | '.join(v)}" for k, v in PREFERENCES.items())
        raise ConfigError(f"unknown preference {key}={value!r} (preferences: {choices})")
    if who.user_id is None:
        raise ConfigError("the local operator has no stored preferences")
    store.accounts.set_preference(who.user_id, key, value)
