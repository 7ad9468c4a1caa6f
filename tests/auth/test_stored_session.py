"""StoredSession: what start-up shows from the keyring entry before the SDK stack loads (issue 13
item 2). It must say exactly what the SDK-backed session says about the same stored data."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from logto.LogtoClient import AccessToken, AccessTokenMap

from desktop_app import config
from desktop_app.auth.logto_client import LogtoNativeClient, decode_unverified
from desktop_app.auth.state import State
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.auth.stored_session import StoredSession, profile_from, stored_claims
from tests.fixtures.fresh_process import modules_loaded_by

ENDPOINT = "https://tenant.logto.app"
APP_ID = "app"


def _id_token(**claims: object) -> str:
    key = ec.generate_private_key(ec.SECP384R1())
    now = int(time.time())
    payload = {"iss": f"{ENDPOINT}/oidc", "aud": APP_ID, "iat": now, "exp": now + 3600}
    return jwt.encode(payload | claims, key, algorithm="ES384")


def _stored(**values: str) -> SessionOnlyStorage:
    storage = SessionOnlyStorage()
    for key, value in values.items():
        storage.set(key, value)
    return storage


SETTINGS = config.validate({"endpoint": ENDPOINT, "app_id": APP_ID})


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u1", "name": "Alice Example", "email": "a@example.com", "email_verified": True},
        {"sub": "u2", "name": "Zoë ✓ 😀", "organizations": ["o1"], "picture": None},
    ],
)
def test_claims_are_the_sdk_decoders(claims: dict[str, object]) -> None:
    token = _id_token(**claims)
    assert stored_claims(token) == decode_unverified(token)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c"])
def test_what_is_not_a_jwt_has_no_claims(token: str) -> None:
    assert stored_claims(token) == {}


def test_the_stored_session_says_what_the_client_says() -> None:
    expires = int(time.time()) + 600
    token_map = AccessTokenMap(
        x={
            "": AccessToken(token="opaque", expiresAt=expires),
            "https://api.example": AccessToken(token="jwt", expiresAt=expires - 5),
        }
    )
    storage = _stored(
        idToken=_id_token(sub="u1", name="Alice"),
        refreshToken="rt",
        accessTokenMap=token_map.model_dump_json(),
    )
    client = LogtoNativeClient(ENDPOINT, APP_ID, storage)
    stored = StoredSession.from_storage(SETTINGS, storage)
    assert stored is not None
    for resource in ("", "https://api.example", "https://other.example"):
        assert stored.token_status(resource).access_token_expires_at == (
            client.access_token_expiry(resource)
        )
    assert stored.token_status().refresh_available is client.has_refresh_token
    assert stored.id_token_claims() == client.id_token_claims()
    assert dict(stored.snapshot.profile) == {"sub": "u1", "name": "Alice"}
    assert stored.snapshot.state is State.SIGNED_IN
    assert stored.snapshot.busy  # until the real session has restored it
    assert stored.token_status().storage_label == storage.location_label


def test_an_expired_access_token_is_shown_as_stored() -> None:
    past = int(time.time()) - 60
    token_map = AccessTokenMap(x={"": AccessToken(token="old", expiresAt=past)})
    storage = _stored(idToken=_id_token(sub="u1"), accessTokenMap=token_map.model_dump_json())
    stored = StoredSession.from_storage(SETTINGS, storage)
    assert stored is not None
    assert stored.token_status().access_token_expires_at == past
    assert not stored.token_status().refresh_available


@pytest.mark.parametrize(
    "values",
    [{}, {"refreshToken": "rt"}, {"idToken": "not a jwt"}, {"idToken": "a.e30.c"}],
)
def test_no_readable_session_means_none(values: dict[str, str]) -> None:
    assert StoredSession.from_storage(SETTINGS, _stored(**values)) is None


def test_a_garbled_token_map_shows_no_access_token() -> None:
    storage = _stored(idToken=_id_token(sub="u1"), accessTokenMap='{"x": [1]}')
    stored = StoredSession.from_storage(SETTINGS, storage)
    assert stored is not None
    assert stored.token_status().access_token_expires_at is None


def test_userinfo_updates_the_id_token_profile() -> None:
    claims = {"sub": "u1", "name": "Old", "email": "a@example.com", "nonce": "n", "exp": 1}
    merged = profile_from(claims, {"name": "New", "email": None, "picture": "https://p"})
    assert dict(merged) == {"sub": "u1", "name": "New", "picture": "https://p"}


def test_the_module_loads_no_sdk() -> None:
    heavy = ("logto", "pydantic", "aiohttp", "jwt", "cryptography", "keyring")
    assert modules_loaded_by("desktop_app.auth.stored_session", heavy) == []
