"""OIDC Core 3.1.3.7 / 5.3.2 / 12.2 and RFC 9207 against a provider that gets them wrong on
purpose: each rejection through AuthSession (state, message without tokens, nothing stored),
and each thing the spec says to accept, accepted."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from desktop_app.auth.session import State
from desktop_app.errors import TokenValidationError
from tests.fixtures.fake_idp import APP_ID, FakeIdp
from tests.fixtures.keyrings import InMemoryKeyring
from tests.hardening.helpers import (
    Clock,
    FakeBrowser,
    Sessions,
    assert_no_secrets,
    client_for,
    client_sign_in,
)

pytestmark = pytest.mark.asyncio

NOW = int(time.time())  # fixed per run; the fake signs claims relative to the real clock


def _rel(seconds: int) -> int:
    return int(time.time()) + seconds


REJECTED: dict[str, tuple[dict[str, Any], str]] = {
    "wrong issuer": ({"iss": "https://evil.example/oidc"}, "another server"),
    "wrong audience": ({"aud": "someone-elses-app"}, "another app"),
    "several audiences, no azp": ({"aud": [APP_ID, "other-app"]}, "azp"),
    "several audiences, wrong azp": ({"aud": [APP_ID, "other-app"], "azp": "other-app"}, "azp"),
    "single audience, wrong azp": ({"azp": "other-app"}, "azp"),
    "expired": ({"exp": -3600}, "expired"),
    "expired beyond the leeway": ({"exp": -120}, "expired"),
    "issued far in the future": ({"iat": 3600}, "future"),
    "not valid before a future time": ({"nbf": 3600}, "future"),
    "no iss": ({"iss": None}, "'iss'"),
    "no sub": ({"sub": None}, "'sub'"),
    "no aud": ({"aud": None}, "'aud'"),
    "no exp": ({"exp": None}, "'exp'"),
    "no iat": ({"iat": None}, "'iat'"),
    "wrong nonce": ({"nonce": "someone-elses-nonce"}, "nonce"),
    "no nonce": ({"nonce": None}, "nonce"),
}
_TIME_CLAIMS = {"exp", "iat", "nbf"}


def _overrides(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (_rel(v) if k in _TIME_CLAIMS and isinstance(v, int) else v) for k, v in spec.items()
    }


async def _rejected_sign_in(
    sessions: Sessions, idp: FakeIdp, match: str, **kw: Any
) -> tuple[Any, InMemoryKeyring]:
    backend = InMemoryKeyring()
    session = sessions(backend=backend, **kw)
    with pytest.raises(TokenValidationError, match=match) as caught:
        await session.sign_in()
    assert session.state is State.ERROR
    error = session.snapshot.error
    assert error is caught.value
    assert backend.values() == []  # nothing stored after a rejected sign-in
    assert session.storage.get("refreshToken") is None
    assert session.storage.get("idToken") is None
    assert_no_secrets([error.user_message, error.detail, str(error)], idp.issued)
    return session, backend


@pytest.mark.parametrize("case", list(REJECTED))
async def test_id_token_is_rejected(case: str, fake_idp: FakeIdp, sessions: Sessions) -> None:
    spec, match = REJECTED[case]
    fake_idp.id_token_overrides = _overrides(spec)
    await _rejected_sign_in(sessions, fake_idp, match)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"aud": [APP_ID, "other-app"], "azp": APP_ID}, id="several aud, right azp"),
        pytest.param({"azp": APP_ID}, id="single aud, right azp"),
        pytest.param({"aud": [APP_ID]}, id="aud as a one-element list"),
        pytest.param({"exp": -30}, id="expired within the leeway"),
        pytest.param({"iat": 30}, id="iat slightly ahead (clock skew)"),
        pytest.param({"nbf": 30}, id="nbf slightly ahead (clock skew)"),
    ],
)
async def test_id_token_the_spec_accepts(
    spec: dict[str, Any], fake_idp: FakeIdp, sessions: Sessions
) -> None:
    fake_idp.id_token_overrides = _overrides(spec)
    session = sessions()
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert session.profile["sub"] == fake_idp.sub


async def test_bad_signature_is_rejected(fake_idp: FakeIdp, sessions: Sessions) -> None:
    fake_idp.sign_with = ec.generate_private_key(ec.SECP384R1())  # same kid, another key
    await _rejected_sign_in(sessions, fake_idp, "signature")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("alg", ["none", "HS256"])
async def test_unsigned_or_symmetric_id_tokens_are_rejected(
    alg: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # The provider even advertises the algorithm: a public client still never accepts it
    # (HS256 would be keyed with a secret a native app does not have, i.e. a guessable one).
    fake_idp.alg = alg
    fake_idp.hs_key = "secret"
    await _rejected_sign_in(sessions, fake_idp, "algorithm")


async def test_rs256_is_accepted_for_older_tenants(fake_idp: FakeIdp, sessions: Sessions) -> None:
    fake_idp.alg = "RS256"
    session = sessions()
    await session.sign_in()
    assert session.state is State.SIGNED_IN


async def test_unknown_kid_fetches_jwks_once_more_then_fails(fake_idp: FakeIdp) -> None:
    client = client_for(fake_idp)
    await client_sign_in(client, fake_idp)
    first = client.id_token
    fetched = fake_idp.requests["jwks"]
    fake_idp.kid, fake_idp.published_kid = "key-nobody-publishes", "key-1"
    with pytest.raises(TokenValidationError, match="does not publish"):
        await client_sign_in(client, fake_idp)
    assert fake_idp.requests["jwks"] == fetched + 1
    # The rejected token is not stored; the session it would have replaced is kept (issue 10.5).
    assert client.id_token == first
    await client.close()


async def test_keys_rotated_between_sign_ins_are_accepted_after_one_refetch(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    session = sessions()
    await session.sign_in()
    fetched = fake_idp.requests["jwks"]
    await session.sign_out()
    fake_idp.rotate_key("key-2")
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert fake_idp.requests["jwks"] == fetched + 1


async def test_userinfo_about_another_user_ends_the_sign_in(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    fake_idp.userinfo_sub = "someone-else"
    await _rejected_sign_in(sessions, fake_idp, "another user")


async def test_callback_from_another_issuer_is_rejected(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    browser = FakeBrowser(fake_idp, iss="https://evil.example/oidc")
    await _rejected_sign_in(sessions, fake_idp, "issuer", browser=browser)
    assert fake_idp.requests["token:authorization_code"] == 0  # the code was never redeemed


async def test_callback_without_iss_is_rejected_when_the_server_sends_it(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # RFC 9207 2.4: the discovery document says iss is always sent.
    await _rejected_sign_in(sessions, fake_idp, "iss", browser=FakeBrowser(fake_idp, iss=None))


async def test_discovery_naming_another_issuer_is_rejected(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    fake_idp.discovery_overrides = {"issuer": "https://evil.example/oidc"}
    await _rejected_sign_in(sessions, fake_idp, "issuer")
    assert fake_idp.requests["token:authorization_code"] == 0


async def test_refreshed_id_token_naming_another_user_ends_the_session(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # OIDC Core 12.2: a refreshed ID token must name the same sub.
    backend = InMemoryKeyring()
    clock = Clock()
    session = sessions(backend=backend, clock=clock)
    await session.sign_in()
    fake_idp.id_token_overrides = {"sub": "someone-else"}
    clock.offset = 2 * 3600
    with pytest.raises(TokenValidationError, match="different user") as caught:
        await session.access_token()
    assert session.state is State.ERROR
    assert backend.values() == []
    assert_no_secrets([caught.value.user_message, caught.value.detail], fake_idp.issued)
