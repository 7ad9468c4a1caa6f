"""What desktop_app.auth.logto_client relies on in logto==0.2.1, pinned (issue 10, item 9).

The wrapper uses the SDK by composition and through public names only: ``LogtoClient.signIn``
(the authorization URL, PKCE and state), ``getOidcCore`` (which it overrides), the ``OidcCore``
request methods (overridden, so their parameter names are the SDK's), and the SDK's models and
storage keys. A different SDK build that changes any of it fails here, loudly, instead of in a
person's sign-in. Private SDK names are not used at all; the scan below keeps it that way (a
private name that has to come back must be added to PINNED_PRIVATE with its own test).
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
import sys
from urllib.parse import parse_qs, urlsplit

import logto
import pytest
from logto.OidcCore import OidcCore

from desktop_app.auth import logto_client
from desktop_app.auth.logto_client import LogtoNativeClient, _NativeOidcCore, sdk_storage
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.errors import TokenValidationError
from tests.fixtures.fake_idp import APP_ID, FakeIdp

SDK_CLIENT = sys.modules["logto.LogtoClient"]
REDIRECT_URI = "http://127.0.0.1:50123/callback"
PINNED_PRIVATE: frozenset[str] = frozenset()  # private SDK names the wrapper may use


def params(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def sdk_private_names() -> set[str]:
    """Every single-underscore name of the SDK's client and core, instance attributes included."""
    names = {n for cls in (logto.LogtoClient, OidcCore) for n in vars(cls) if _private(n)}
    client = logto.LogtoClient(logto.LogtoConfig(endpoint="https://x.example", appId="a"))
    names |= {n for n in vars(client) if _private(n)}
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_wrapper_uses_no_private_sdk_name() -> None:
    source = inspect.getsource(logto_client)
    private = sdk_private_names()
    assert {"_oidcCore", "_storage", "_getSignInSession", "_handleTokenResponse"} <= private
    # An attribute access (client._storage) or an override (def _setAccessToken) both count.
    used = {name for name in private if re.search(rf"(\.|def\s+){re.escape(name)}\b", source)}
    assert used <= PINNED_PRIVATE, f"private SDK names used without a pin: {sorted(used)}"


def test_public_signatures_the_wrapper_calls_or_overrides() -> None:
    assert params(logto.LogtoClient.__init__) == ["self", "config", "storage"]
    assert params(logto.LogtoClient.signIn) == ["self", "redirectUri", "interactionMode"]
    assert inspect.iscoroutinefunction(logto.LogtoClient.signIn)
    assert params(logto.LogtoClient.getOidcCore) == ["self"]
    assert inspect.iscoroutinefunction(logto.LogtoClient.getOidcCore)
    assert params(OidcCore.__init__) == ["self", "metadata"]
    # Our overrides keep the SDK's parameter names, so SDK code calling them reaches ours.
    for name in ("fetchTokenByCode", "fetchTokenByRefreshToken", "fetchUserInfo", "verifyIdToken"):
        assert params(getattr(_NativeOidcCore, name)) == params(getattr(OidcCore, name)), name
    assert params(OidcCore.fetchTokenByCode) == [
        "self",
        "clientId",
        "clientSecret",
        "redirectUri",
        "code",
        "codeVerifier",
    ]
    assert params(OidcCore.fetchTokenByRefreshToken) == [
        "self",
        "clientId",
        "clientSecret",
        "refreshToken",
        "resource",
    ]


def test_models_and_storage_keys() -> None:
    assert set(SDK_CLIENT.SignInSession.model_fields) == {"redirectUri", "codeVerifier", "state"}
    assert set(logto.AccessToken.model_fields) == {"token", "expiresAt"}
    assert set(SDK_CLIENT.AccessTokenMap.model_fields) == {"x"}
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(
        logto.TokenResponse.model_fields
    )
    assert "sub" in logto.UserInfoResponse.model_fields
    assert {
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "id_token_signing_alg_values_supported",
    } <= set(logto.OidcProviderMetadata.model_fields)
    assert {"endpoint", "appId", "appSecret", "prompt", "scopes", "resources"} <= set(
        logto.LogtoConfig.model_fields
    )
    keys = set(getattr(logto.PersistKey, "__args__", ()))
    assert {"idToken", "refreshToken", "accessTokenMap", "signInSession"} <= keys
    assert logto.UserInfoScope.organizations.value == "urn:logto:scope:organizations"
    assert OidcCore.defaultScopes  # the SDK adds openid/offline_access/profile itself


@pytest.mark.asyncio
async def test_sign_in_builds_the_url_through_our_core_and_stores_the_pkce_session(
    fake_idp: FakeIdp,
) -> None:
    storage = SessionOnlyStorage()
    storage.set("idToken", "previous-id-token")
    storage.set("refreshToken", "previous-refresh-token")
    client = LogtoNativeClient(fake_idp.endpoint, APP_ID, storage)
    request = await client.create_sign_in_request(REDIRECT_URI)
    assert fake_idp.requests["discovery"] == 1  # our getOidcCore, through our HTTP
    assert request.url.startswith(f"{fake_idp.issuer}/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    session = json.loads(storage.get("signInSession") or "")
    assert session["redirectUri"] == REDIRECT_URI == query["redirect_uri"]
    assert session["state"] == query["state"] == request.state
    digest = hashlib.sha256(session["codeVerifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge_method"] == "S256"
    # The SDK's signIn drops these; the wrapper keeps them until the new sign-in completes.
    assert storage.get("idToken") == "previous-id-token"
    assert storage.get("refreshToken") == "previous-refresh-token"
    await client.close()


@pytest.mark.asyncio
async def test_the_plain_sdk_sign_in_still_drops_the_tokens_the_wrapper_puts_back(
    fake_idp: FakeIdp,
) -> None:
    storage = SessionOnlyStorage()
    storage.set("idToken", "previous-id-token")
    plain = logto.LogtoClient(
        logto.LogtoConfig(endpoint=fake_idp.endpoint, appId=APP_ID), sdk_storage(storage)
    )
    await plain.signIn(REDIRECT_URI)
    assert storage.get("idToken") is None  # the behaviour the override repairs
    assert storage.get("signInSession") is not None


@pytest.mark.asyncio
async def test_nonce_and_subject_are_arguments_of_each_verification(fake_idp: FakeIdp) -> None:
    client = LogtoNativeClient(fake_idp.endpoint, APP_ID, SessionOnlyStorage())
    core = await client._sdk.getOidcCore()
    verify = inspect.signature(core.verify_id_token).parameters
    assert verify["nonce"].kind is inspect.Parameter.KEYWORD_ONLY
    assert verify["sub"].kind is inspect.Parameter.KEYWORD_ONLY
    assert not hasattr(core, "expected_nonce")
    assert not hasattr(core, "expected_sub")

    fake_idp.nonce = "nonce-1"
    token = fake_idp.id_token()
    await core.jwks.ensure(token)
    # Interleaved calls on one shared core never see each other's expectations.
    assert core.verify_id_token(token, APP_ID, nonce="nonce-1", sub=None)["nonce"] == "nonce-1"
    with pytest.raises(TokenValidationError, match="nonce"):
        core.verify_id_token(token, APP_ID, nonce="nonce-2", sub=None)
    with pytest.raises(TokenValidationError, match="different user"):
        core.verify_id_token(token, APP_ID, nonce=None, sub="someone-else")
    assert core.verify_id_token(token, APP_ID, nonce=None, sub=fake_idp.sub)["sub"] == fake_idp.sub
    core.verifyIdToken(token, APP_ID)  # the SDK's entry point: every per-token check
    await client.close()
