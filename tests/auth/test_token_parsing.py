"""Each token is parsed as few times as its checks need (issue 13, item 3: CPU on the path from
the callback to the signed-in page). PyJWT's parse checks every character of a token, and a
sign-in used to parse the new ID token seven times."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from desktop_app.auth import logto_client
from desktop_app.auth.logto_client import LogtoNativeClient
from desktop_app.auth.storage import SessionOnlyStorage
from tests.fixtures.fake_idp import APP_ID, FakeIdp

pytestmark = pytest.mark.asyncio

REDIRECT_URI = "http://127.0.0.1:50123/callback"


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    calls: list[str] = []
    original = getattr(logto_client, name)

    def wrapper(token: str) -> Any:
        calls.append(token)
        return original(token)

    monkeypatch.setattr(logto_client, name, wrapper)
    return calls


def id_token(sub: str) -> str:
    return jwt.encode({"sub": sub, "name": sub.title()}, "k" * 32, algorithm="HS256")


async def test_claims_of_the_stored_id_token_are_decoded_once_per_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decodes = counting(monkeypatch, "decode_unverified")
    client = LogtoNativeClient("https://t.logto.app", APP_ID, SessionOnlyStorage())
    client.storage.set("idToken", id_token("alice"))
    assert [client.id_token_claims()["sub"] for _ in range(3)] == ["alice"] * 3
    assert len(decodes) == 1
    client.id_token_claims()["sub"] = "changed by a caller"
    assert client.id_token_claims()["sub"] == "alice"  # callers get their own copy

    client.storage.set("idToken", id_token("bob"))  # a new token: its own claims
    assert client.id_token_claims()["sub"] == "bob"
    assert len(decodes) == 2
    client.storage.delete("idToken")
    assert client.id_token_claims() == {}
    assert client._claims_of is None  # nothing of the signed-out token is kept
    await client.close()


async def test_a_sign_in_parses_the_id_token_header_once_per_check(
    fake_idp: FakeIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = counting(monkeypatch, "_header")
    client = LogtoNativeClient(fake_idp.endpoint, APP_ID, SessionOnlyStorage())
    request = await client.create_sign_in_request(REDIRECT_URI)
    fake_idp.nonce = parse_qs(urlsplit(request.url).query)["nonce"][0]
    state = parse_qs(urlsplit(request.url).query)["state"][0]
    await client.complete_sign_in(
        f"{REDIRECT_URI}?code=the-code&state={state}",
        iss=fake_idp.issuer,
        error=None,
        error_description=None,
    )
    # One for the signing-key lookup (fetched when unknown), one for the verification.
    assert len(headers) == 2
    assert client.id_token_claims()["sub"]
    await client.close()
