"""Accounts on every backend: agencies, users, tokens (hash only), sharing, and access decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from jejak.errors import AccessDenied, AlreadyExists, ConfigError, NotAuthenticated, NotFound
from jejak.services import accounts
from jejak.services.accounts import Perm, Principal
from jejak.store.sql import Store


def test_accounts_tokens_and_sharing(backend_url: str) -> None:
    store = Store.open(backend_url)
    try:
        store.accounts.create_agency("Politie NL")
        store.accounts.create_agency("Polri ID")
        with pytest.raises(AlreadyExists):
            store.accounts.create_agency("Polri ID")
        store.create_case("NL-1", "Politie NL")
        store.create_case("ID-7", "Polri ID")
        nl = accounts.create_user(store, "anna", "Politie NL", "investigator", "a long enough password")
        accounts.create_user(store, "budi", "Polri ID", "reviewer", "another long password")
        accounts.create_user(store, "hma", "Polri ID", "platform", None)
        with pytest.raises(ConfigError):
            accounts.create_user(store, "x", "Polri ID", "root", None)
        with pytest.raises(ConfigError):
            accounts.create_user(store, "y", "Polri ID", "reviewer", "short")
        assert nl.password_hash is not None and "a long enough password" not in nl.password_hash

        token, row = accounts.create_token(store, "anna", None)
        with store.engine.connect() as conn:
            stored = conn.execute(text("SELECT token_hash, prefix FROM api_token")).all()
        assert all(token not in tuple(r) for r in stored) and row.prefix == token[:12]
        anna = accounts.authenticate(store, token)
        assert anna.agency == "Politie NL" and Perm.cases_write in anna.perms

        budi = accounts.check_password(store, "budi", "another long password")
        with pytest.raises(NotAuthenticated):
            accounts.check_password(store, "budi", "wrong password here")
        with pytest.raises(NotAuthenticated):
            accounts.check_password(store, "nobody", "wrong password here")

        # isolation: budi's agency does not see NL-1, exactly as a missing case
        with pytest.raises(NotFound) as missing:
            accounts.case_for(store, budi, "NL-0")
        with pytest.raises(NotFound) as hidden:
            accounts.case_for(store, budi, "NL-1")
        assert str(hidden.value) == str(missing.value).replace("NL-0", "NL-1")
        assert [c.name for c in accounts.visible_cases(store, budi)] == ["ID-7"]
        # shared: readable, not writable
        store.accounts.share_case(store.get_case("NL-1").id, store.accounts.agency("Polri ID").id, "anna")
        assert accounts.case_for(store, budi, "NL-1").name == "NL-1"
        assert store.accounts.shared_with(store.get_case("NL-1").id) == ["Polri ID"]
        investigator = accounts.create_user(
            store, "citra", "Polri ID", "investigator", "yet another password"
        )
        citra = accounts.principal_of(investigator)
        with pytest.raises(AccessDenied):
            accounts.case_for(store, citra, "NL-1", write=True)
        store.accounts.unshare_case(store.get_case("NL-1").id, store.accounts.agency("Polri ID").id)
        with pytest.raises(NotFound):
            accounts.case_for(store, budi, "NL-1")
        assert Principal.local().is_local and accounts.case_for(store, Principal.local(), "NL-1")

        # scopes narrow, never widen; a platform token matches only
        narrow, _ = accounts.create_token(store, "anna", None, scopes=["cases:read"])
        assert accounts.authenticate(store, narrow).perms == frozenset({Perm.cases_read})
        with pytest.raises(ConfigError):
            accounts.create_token(store, "hma", None, scopes=["cases:read"])
        hma_token, _ = accounts.create_token(store, "hma", accounts.parse_expiry("30d", 90))
        hma = accounts.authenticate(store, hma_token)
        assert hma.perms == frozenset({Perm.match})
        with pytest.raises(AccessDenied):
            accounts.visible_cases(store, hma)

        # revocation and expiry
        (found,) = store.accounts.find_tokens(row.prefix)
        store.accounts.revoke_token(found.id)
        with pytest.raises(NotAuthenticated, match="revoked"):
            accounts.authenticate(store, token)
        old, old_row = accounts.create_token(
            store, "budi", datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=30)
        )
        with store.engine.begin() as conn:
            conn.execute(
                text("UPDATE api_token SET expires_at = :t WHERE id = :i"),
                {"t": datetime(2020, 1, 1), "i": old_row.id},
            )
        with pytest.raises(NotAuthenticated, match="expired"):
            accounts.authenticate(store, old)
        with pytest.raises(NotAuthenticated):
            accounts.authenticate(store, "jjk_" + "A" * 43)
        with pytest.raises(ConfigError):
            accounts.parse_expiry("soon", 90)
    finally:
        store.close()
