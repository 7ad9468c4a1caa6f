"""Each defect of plain ``logto`` 0.2.1 for a native app: shown on the plain SDK, fixed by ours.

Every test first runs the plain SDK and asserts the defect (so the test would notice if a new
SDK release fixed it), then runs :class:`LogtoNativeClient` against the same provider.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jwt
import logto
import pytest
from logto.OidcCore import OidcCore

from desktop_app.auth.logto_client import LogtoNativeClient, sdk_storage
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.errors import InvalidGrantError, NetworkError, TokenValidationError
from tests.fixtures.fake_idp import APP_ID, FakeIdp

pytestmark = pytest.mark.asyncio

REDIRECT_URI = "http://127.0.0.1:50123/callback"


def plain_client(idp: FakeIdp, endpoint: str | None = None) -> logto.LogtoClient:
    config = logto.LogtoConfig(endpoint=endpoint or idp.endpoint, appId=APP_ID)
    return logto.LogtoClient(config, sdk_storage(SessionOnlyStorage()))


def our_client(idp: FakeIdp, endpoint: str | None = None, **kw: Any) -> LogtoNativeClient:
    return LogtoNativeClient(endpoint or idp.endpoint, APP_ID, SessionOnlyStorage(), **kw)


def callback_for(sign_in_url: str, **extra: str) -> str:
    state = parse_qs(urlsplit(sign_in_url).query)["state"][0]
    query = "&".join(f"{k}={v}" for k, v in {"code": "the-code", "state": state, **extra}.items())
    return f"{REDIRECT_URI}?{query}"


async def sign_in(client: LogtoNativeClient, idp: FakeIdp, **callback_extra: str) -> None:
    request = await client.create_sign_in_request(REDIRECT_URI)
    idp.nonce = parse_qs(urlsplit(request.url).query)["nonce"][0]
    await client.complete_sign_in(
        callback_for(request.url),
        iss=callback_extra.get("iss", idp.issuer),
        error=None,
        error_description=None,
    )


async def test_public_client_sends_no_client_secret(fake_idp: FakeIdp) -> None:
    plain = plain_client(fake_idp)
    url = await plain.signIn(REDIRECT_URI)
    with pytest.raises(logto.LogtoException, match="invalid_client"):
        await plain.handleSignInCallback(callback_for(url))
    assert fake_idp.forms[-1]["client_secret"] == "None"

    ours = our_client(fake_idp)
    await sign_in(ours, fake_idp)
    assert "client_secret" not in fake_idp.forms[-1]
    assert fake_idp.forms[-1]["redirect_uri"] == REDIRECT_URI  # repeated exactly (port too)
    assert ours.id_token is not None
    await ours.close()


async def test_jwks_is_fetched_without_blocking_the_event_loop(
    fake_idp: FakeIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plain SDK fetches JWKS with urllib inside a coroutine: the event loop stops, so the
    # provider served from this very loop cannot answer and the fetch times out. In the app the
    # same call freezes the window for as long as the network takes.
    plain_core = await plain_client(fake_idp).getOidcCore()
    plain_core.jwksClient.timeout = 1
    with pytest.raises(jwt.PyJWKClientConnectionError, match="timed out"):
        plain_core.verifyIdToken(fake_idp.id_token(), APP_ID)

    blocking_calls: list[str] = []
    real_open = urllib.request.OpenerDirector.open

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        blocking_calls.append(threading.current_thread().name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy)
    fake_idp.jwks_delay = 0.3
    ours = our_client(fake_idp)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    probe = asyncio.create_task(ticker())
    await sign_in(ours, fake_idp)
    probe.cancel()
    assert blocking_calls == []
    assert ticks > 0  # the loop kept running while the slow JWKS was fetched
    assert ours.id_token is not None
    await ours.close()


async def test_unknown_kid_fetches_jwks_once_more_then_fails(fake_idp: FakeIdp) -> None:
    ours = our_client(fake_idp)
    await sign_in(ours, fake_idp)
    fetched = fake_idp.requests["jwks"]
    # Keys rotated at the provider: the new kid is found with one more fetch.
    from cryptography.hazmat.primitives.asymmetric import ec

    fake_idp.key, fake_idp.kid = ec.generate_private_key(ec.SECP384R1()), "key-2"
    await sign_in(ours, fake_idp)
    assert fake_idp.requests["jwks"] == fetched + 1
    # A token whose kid nobody publishes: one fetch, then a clear error.
    fetched = fake_idp.requests["jwks"]
    fake_idp.kid, fake_idp.published_kid = "key-unpublished", "key-2"
    with pytest.raises(TokenValidationError, match="key"):
        await sign_in(ours, fake_idp)
    assert fake_idp.requests["jwks"] == fetched + 1
    await ours.close()


async def test_every_request_has_a_timeout_and_a_typed_error(fake_idp: FakeIdp) -> None:
    fake_idp.hang.add("discovery")
    plain = plain_client(fake_idp)
    with pytest.raises(TimeoutError):
        # The plain SDK sets no timeout, so aiohttp's default (300 s in total) applies: far
        # longer than anyone waits at a sign-in button, and far longer than this test.
        await asyncio.wait_for(plain.getOidcCore(), 1.0)

    ours = our_client(fake_idp, timeout=0.5)
    with pytest.raises(NetworkError) as caught:
        await ours.discover()
    assert fake_idp.endpoint in caught.value.message
    await ours.close()


async def test_parallel_callers_refresh_once(fake_idp: FakeIdp) -> None:
    fake_idp.access_token_ttl = 1  # expired as soon as the clock moves
    fake_idp.refresh_delay = 0.2  # so that parallel requests really overlap

    plain = plain_client(fake_idp)
    ours_for_code = our_client(fake_idp)  # the plain SDK cannot redeem a code (client_secret)
    await sign_in(ours_for_code, fake_idp)
    plain._storage.set("refreshToken", ours_for_code.storage.get("refreshToken"))
    plain._storage.set("idToken", ours_for_code.id_token)
    # Not what this test is about (see the JWKS test): keep the plain SDK off its blocking fetch.
    (await plain.getOidcCore()).verifyIdToken = lambda *args: None  # type: ignore[method-assign]
    results = await asyncio.gather(
        *(plain.getAccessToken() for _ in range(10)), return_exceptions=True
    )
    assert fake_idp.requests["token:refresh_token"] == 10  # one used token sent ten times
    refused = [r for r in results if isinstance(r, logto.LogtoException)]
    assert len(refused) == 9  # replays: the provider revoked the whole grant
    assert "invalid_grant" in str(refused[0])
    await ours_for_code.close()

    fake_idp.requests.clear()
    clock = [0.0]
    ours = our_client(fake_idp, clock=lambda: clock[0])
    await sign_in(ours, fake_idp)
    clock[0] = 10_000.0
    tokens = await asyncio.gather(*(ours.access_token() for _ in range(50)))
    assert fake_idp.requests["token:refresh_token"] == 1
    assert len(set(tokens)) == 1
    await ours.close()


async def test_a_new_sign_in_drops_every_token_of_the_previous_user(fake_idp: FakeIdp) -> None:
    plain = plain_client(fake_idp)
    plain._storage.set("accessTokenMap", '{"x":{"":{"token":"old-user","expiresAt":9999999999}}}')
    await plain.signIn(REDIRECT_URI)
    assert await plain.getAccessToken() == "old-user"

    ours = our_client(fake_idp)
    ours.storage.set("accessTokenMap", '{"x":{"":{"token":"old-user","expiresAt":9999999999}}}')
    ours.storage.set("refreshToken", "old-refresh")
    await ours.create_sign_in_request(REDIRECT_URI)
    # Kept while the new sign-in runs (it may be cancelled), dropped once it completes.
    assert ours.storage.get("refreshToken") == "old-refresh"
    await sign_in(ours, fake_idp)
    assert ours.cached_access_token() not in {None, "old-user"}
    assert ours.storage.get("refreshToken") not in {None, "old-refresh"}
    await ours.close()


async def test_nonce_is_sent_and_checked(fake_idp: FakeIdp) -> None:
    plain = plain_client(fake_idp)
    assert "nonce" not in parse_qs(urlsplit(await plain.signIn(REDIRECT_URI)).query)

    ours = our_client(fake_idp)
    request = await ours.create_sign_in_request(REDIRECT_URI)
    assert parse_qs(urlsplit(request.url).query)["nonce"]
    fake_idp.nonce = "someone-elses-nonce"
    with pytest.raises(TokenValidationError, match="nonce"):
        await ours.complete_sign_in(
            callback_for(request.url), iss=fake_idp.issuer, error=None, error_description=None
        )
    assert ours.id_token is None
    await ours.close()


async def test_callback_from_another_issuer_is_rejected(fake_idp: FakeIdp) -> None:
    ours = our_client(fake_idp)
    with pytest.raises(TokenValidationError, match="issuer"):
        await sign_in(ours, fake_idp, iss="https://evil.example/oidc")
    assert fake_idp.requests["token:authorization_code"] == 0  # the code was never redeemed
    await ours.close()


async def test_userinfo_about_another_user_is_rejected(fake_idp: FakeIdp) -> None:
    fake_idp.userinfo_sub = "someone-else"
    plain = plain_client(fake_idp)
    plain._storage.set("accessTokenMap", '{"x":{"":{"token":"at","expiresAt":9999999999}}}')
    assert (await plain.fetchUserInfo()).sub == "someone-else"  # accepted as is

    ours = our_client(fake_idp)
    await sign_in(ours, fake_idp)
    with pytest.raises(TokenValidationError, match="another user"):
        await ours.fetch_user_info()
    await ours.close()


async def test_sign_out_revokes_the_refresh_token(fake_idp: FakeIdp) -> None:
    plain = plain_client(fake_idp)
    plain._storage.set("refreshToken", "r")
    await plain.signOut()
    assert fake_idp.requests["revocation"] == 0

    ours = our_client(fake_idp)
    await sign_in(ours, fake_idp)
    refresh_token = ours.storage.get("refreshToken")
    result = await ours.sign_out()
    assert result.revoked
    assert fake_idp.requests["revocation"] == 1
    assert refresh_token not in fake_idp.live_refresh_tokens
    assert ours.storage.get("refreshToken") is None
    await ours.close()


async def test_failed_revocation_still_wipes_and_says_so(fake_idp: FakeIdp) -> None:
    fake_idp.hang.add("revocation")
    ours = our_client(fake_idp, timeout=0.5)
    await sign_in(ours, fake_idp)
    result = await ours.sign_out()
    assert not result.revoked
    assert "Could not reach" in result.problem
    assert ours.storage.get("refreshToken") is None
    await ours.close()


async def test_endpoint_with_trailing_slash_works(fake_idp: FakeIdp) -> None:
    plain = plain_client(fake_idp, endpoint=fake_idp.endpoint + "/")
    # The SDK asks for <endpoint>//oidc/...: a 404 page, which it then parses as JSON.
    with pytest.raises(aiohttp.ContentTypeError):
        await plain.getOidcCore()

    ours = our_client(fake_idp, endpoint=fake_idp.endpoint + "/")
    assert (await ours.discover()).issuer == fake_idp.issuer
    await ours.close()


async def test_invalid_grant_on_refresh_means_sign_in_again(fake_idp: FakeIdp) -> None:
    clock = [0.0]
    ours = our_client(fake_idp, clock=lambda: clock[0])
    await sign_in(ours, fake_idp)
    fake_idp.live_refresh_tokens.clear()  # revoked at the provider
    clock[0] = 10_000.0
    with pytest.raises(InvalidGrantError) as caught:
        await ours.access_token()
    assert "sign in again" in caught.value.user_message.lower()
    assert ours.storage.get("refreshToken") is None
    await ours.close()


async def test_plain_sdk_is_the_pinned_release() -> None:
    from importlib.metadata import version

    assert version("logto") == "0.2.1"
    assert OidcCore.defaultScopes  # the wrapper relies on the SDK adding openid/offline_access
