"""Agencies, users, API tokens and case sharing in the store (``store.accounts``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from jejak.errors import AlreadyExists, NotFound
from jejak.store import schema as t

if TYPE_CHECKING:
    from jejak.store.sql import Store


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class AgencyRow:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    agency_id: int
    agency: str
    role: str
    password_hash: str | None
    created_at: datetime
    disabled_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "agency": self.agency,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled_at is not None,
        }


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id,
            "prefix": self.prefix,
            "scopes": self.scopes,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


_USER_COLS = (
    t.app_user.c.id,
    t.app_user.c.name,
    t.app_user.c.agency_id,
    t.agency.c.name,
    t.app_user.c.role,
    t.app_user.c.password_hash,
    t.app_user.c.created_at,
    t.app_user.c.disabled_at,
)
_TOKEN_COLS = (
    t.api_token.c.id,
    t.api_token.c.user_id,
    t.api_token.c.prefix,
    t.api_token.c.scopes,
    t.api_token.c.created_at,
    t.api_token.c.expires_at,
    t.api_token.c.revoked_at,
    t.api_token.c.last_used_at,
)


class AccountStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- agencies -----------------------------------------------------------------------------------
    def create_agency(self, name: str) -> AgencyRow:
        try:
            with self.store.engine.begin() as conn:
                conn.execute(t.agency.insert().values(name=name, created_at=_now()))
        except IntegrityError as exc:
            raise AlreadyExists(f"agency {name!r} exists already") from exc
        return self.agency(name)

    def agency(self, name: str) -> AgencyRow:
        with self.store.engine.connect() as conn:
            r = conn.execute(
                select(t.agency.c.id, t.agency.c.name, t.agency.c.created_at).where(t.agency.c.name == name)
            ).first()
        if r is None:
            raise NotFound(f"no agency {name!r}: create it with 'jejak admin create-agency {name!r}'")
        return AgencyRow(*r)

    def agencies(self) -> list[AgencyRow]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.agency.c.id, t.agency.c.name, t.agency.c.created_at).order_by(t.agency.c.name)
            ).all()
        return [AgencyRow(*r) for r in rows]

    # -- users --------------------------------------------------------------------------------------
    def create_user(self, name: str, agency_id: int, role: str, password_hash: str | None) -> UserRow:
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    t.app_user.insert().values(
                        name=name,
                        agency_id=agency_id,
                        role=role,
                        password_hash=password_hash,
                        created_at=_now(),
                    )
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"user {name!r} exists already") from exc
        return self.user(name)

    def _users(self) -> Any:
        return select(*_USER_COLS).join(t.agency, t.agency.c.id == t.app_user.c.agency_id)

    def user(self, name: str) -> UserRow:
        with self.store.engine.connect() as conn:
            r = conn.execute(self._users().where(t.app_user.c.name == name)).first()
        if r is None:
            raise NotFound(f"no user {name!r}")
        return UserRow(*r)

    def user_by_id(self, user_id: int) -> UserRow:
        with self.store.engine.connect() as conn:
            r = conn.execute(self._users().where(t.app_user.c.id == user_id)).first()
        if r is None:
            raise NotFound(f"no user #{user_id}")
        return UserRow(*r)

    def users(self, agency_id: int | None = None) -> list[UserRow]:
        q = self._users().order_by(t.app_user.c.name)
        if agency_id is not None:
            q = q.where(t.app_user.c.agency_id == agency_id)
        with self.store.engine.connect() as conn:
            return [UserRow(*r) for r in conn.execute(q).all()]

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                t.app_user.update().where(t.app_user.c.id == user_id).values(password_hash=password_hash)
            )

    def disable_user(self, user_id: int) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(t.app_user.update().where(t.app_user.c.id == user_id).values(disabled_at=_now()))

    # -- tokens -------------------------------------------------------------------------------------
    def add_token(
        self, user_id: int, token_hash: str, prefix: str, scopes: list[str], expires_at: datetime | None
    ) -> TokenRow:
        with self.store.engine.begin() as conn:
            res = conn.execute(
                t.api_token.insert().values(
                    user_id=user_id,
                    token_hash=token_hash,
                    prefix=prefix,
                    scopes=scopes,
                    created_at=_now(),
                    expires_at=expires_at,
                )
            )
            tid = int(res.inserted_primary_key[0])  # type: ignore[index]
            r = conn.execute(select(*_TOKEN_COLS).where(t.api_token.c.id == tid)).one()
        return TokenRow(*r)

    def token_by_hash(self, token_hash: str) -> tuple[TokenRow, UserRow] | None:
        q = (
            select(*_TOKEN_COLS, *_USER_COLS)
            .join(t.app_user, t.app_user.c.id == t.api_token.c.user_id)
            .join(t.agency, t.agency.c.id == t.app_user.c.agency_id)
            .where(t.api_token.c.token_hash == token_hash)
        )
        with self.store.engine.connect() as conn:
            r = conn.execute(q).first()
        if r is None:
            return None
        n = len(_TOKEN_COLS)
        return TokenRow(*r[:n]), UserRow(*r[n:])

    def tokens(self, user_id: int) -> list[TokenRow]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(*_TOKEN_COLS).where(t.api_token.c.user_id == user_id).order_by(t.api_token.c.id)
            ).all()
        return [TokenRow(*r) for r in rows]

    def find_tokens(self, ref: str) -> list[TokenRow]:
        """Tokens by id ("12") or by the prefix shown when it was created."""
        cond = t.api_token.c.prefix == ref
        if ref.isdigit():
            cond = or_(cond, t.api_token.c.id == int(ref))
        with self.store.engine.connect() as conn:
            return [TokenRow(*r) for r in conn.execute(select(*_TOKEN_COLS).where(cond)).all()]

    def revoke_token(self, token_id: int) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                t.api_token.update()
                .where(t.api_token.c.id == token_id, t.api_token.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )

    def touch_token(self, token_id: int, at: datetime) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(t.api_token.update().where(t.api_token.c.id == token_id).values(last_used_at=at))

    # -- preferences (the review UI) -----------------------------------------------------------------
    def preferences(self, user_id: int) -> dict[str, str]:
        p = t.user_preference.c
        with self.store.engine.connect() as conn:
            return dict(conn.execute(select(p.key, p.value).where(p.user_id == user_id)).all())

    def set_preference(self, user_id: int, key: str, value: str) -> None:
        p = t.user_preference
        with self.store.engine.begin() as conn:
            done = conn.execute(
                p.update()
                .where(p.c.user_id == user_id, p.c.key == key)
                .values(value=value, updated_at=_now())
            )
            if done.rowcount == 0:
                conn.execute(p.insert().values(user_id=user_id, key=key, value=value, updated_at=_now()))

    # -- sharing ------------------------------------------------------------------------------------
    def share_case(self, case_id: int, agency_id: int, by: str) -> None:
        with self.store.engine.begin() as conn:
            self.store._insert_ignore(
                conn, t.case_share, [{"case_id": case_id, "agency_id": agency_id, "by": by, "at": _now()}]
            )

    def unshare_case(self, case_id: int, agency_id: int) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                t.case_share.delete().where(
                    t.case_share.c.case_id == case_id, t.case_share.c.agency_id == agency_id
                )
            )

    def shared_with(self, case_id: int) -> list[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.agency.c.name)
                .join(t.case_share, t.case_share.c.agency_id == t.agency.c.id)
                .where(t.case_share.c.case_id == case_id)
                .order_by(t.agency.c.name)
            ).all()
        return [str(r[0]) for r in rows]

    def visible_case_ids(self, agency_id: int) -> set[int]:
        """The cases an agency may see: its own and those shared with it."""
        with self.store.engine.connect() as conn:
            own = conn.execute(select(t.case.c.id).where(t.case.c.agency_id == agency_id)).scalars().all()
            shared = (
                conn.execute(select(t.case_share.c.case_id).where(t.case_share.c.agency_id == agency_id))
                .scalars()
                .all()
            )
        return {int(x) for x in own} | {int(x) for x in shared}
