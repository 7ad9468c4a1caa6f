"""Faults at every endpoint (discovery, code exchange, JWKS, userinfo, refresh, revocation):
refused, dropped, hung past a short timeout, slow but in time, HTTP 500, not JSON, JSON of the
wrong shape, invalid_grant. For each: the session's state, a typed error with a clear message,
the refresh token kept on transient errors and never presented twice."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.auth.session import State
from desktop_app.errors import (
    DesktopAppError,
    IdpError,
    InvalidGrantError,
    NetworkError,
    ResponseLostError,
    TokenValidationError,
)
from tests.fixtures.fake_idp import FakeIdp, closed_port_url
from tests.fixtures.keyrings import InMemoryKeyring
from tests.hardening.helpers import Clock, Sessions, assert_no_secrets

pytestmark = pytest.mark.asyncio

FAULTS = ["refused", "close", "hang", "slow", "500", "malformed", "shape", "invalid_grant"]
TIMEOUT = 0.5  # the client's; "slow" answers after 0.2 s

# What a sign-in meets when the fault is at an endpoint it needs (None: it succeeds).
SIGN_IN_ERRORS: dict[str, type[DesktopAppError] | None] = {
    "refused": NetworkError,
    "close": ResponseLostError,
    "hang": ResponseLostError,
    "slow": None,
    "500": IdpError,
    "malformed": IdpError,
    "shape": IdpError,
    "invalid_grant": IdpError,
}


def inject(idp: FakeIdp, name: str, fault: str) -> None:
    if fault == "refused":
        idp.refused.add(name.split(":")[0])
    else:
        idp.faults[name] = fault


def check_message(error: DesktopAppError | None, idp: FakeIdp) -> None:
    assert error is not None
    assert error.message.endswith((".", "?"))
    assert len(error.message) > 20
    assert_no_secrets([error.user_message, error.detail], idp.issued)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("endpoint", ["discovery", "token:authorization_code", "jwks"])
async def test_sign_in_faults(
    endpoint: str, fault: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    kw: dict[str, Any] = {}
    if endpoint == "discovery" and fault == "refused":
        kw["endpoint"] = closed_port_url()
    else:
        inject(fake_idp, endpoint, fault)
    session = sessions(backend=backend, timeout=TIMEOUT, **kw)
    expected = SIGN_IN_ERRORS[fault]
    if endpoint == "jwks" and fault == "shape":
        expected = TokenValidationError  # {"x": 1} holds no keys
    if expected is None:
        await session.sign_in()
        assert session.state is State.SIGNED_IN
        return
    with pytest.raises(expected) as caught:
        await session.sign_in()
    assert session.state is State.ERROR
    assert session.snapshot.error is caught.value
    check_message(caught.value, fake_idp)
    assert backend.values() == []
    if fault == "invalid_grant" and endpoint == "token:authorization_code":
        assert isinstance(caught.value, InvalidGrantError)


@pytest.mark.parametrize("fault", FAULTS)
async def test_userinfo_fault_still_signs_in_with_a_notice(
    fault: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    inject(fake_idp, "userinfo", fault)
    session = sessions(timeout=TIMEOUT)
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert session.profile["sub"] == fake_idp.sub  # from the ID token
    if fault == "slow":
        assert session.snapshot.notice == ""
    else:
        assert "profile could not be loaded" in session.snapshot.notice
    assert_no_secrets([session.snapshot.notice], fake_idp.issued)


# refresh: (error, state afterwards, token kept, may the same token be sent again)
REFRESH: dict[str, tuple[type[DesktopAppError] | None, State, bool, bool]] = {
    "refused": (NetworkError, State.SIGNED_IN, True, True),
    "close": (ResponseLostError, State.SIGNED_IN, True, False),
    "hang": (ResponseLostError, State.SIGNED_IN, True, False),
    "hang_after_use": (ResponseLostError, State.SIGNED_IN, True, False),
    "slow": (None, State.SIGNED_IN, True, True),
    "500": (IdpError, State.SIGNED_IN, True, False),
    "malformed": (IdpError, State.SIGNED_IN, True, False),
    "shape": (IdpError, State.SIGNED_IN, True, False),
    "invalid_grant": (InvalidGrantError, State.SIGNED_OUT, False, False),
}


@pytest.mark.parametrize("fault", list(REFRESH))
async def test_refresh_faults_keep_the_token_and_never_replay_it(
    fault: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    clock = Clock()
    session = sessions(backend=backend, clock=clock, timeout=TIMEOUT)
    await session.sign_in()
    refresh_token = session.storage.get("refreshToken")
    assert refresh_token
    inject(fake_idp, "token:refresh_token", fault)
    clock.offset = 2 * 3600  # the access token has expired
    error, state, kept, resend = REFRESH[fault]
    caught: pytest.ExceptionInfo[DesktopAppError]
    if fault == "refused":
        # Discovery is cached for a client's lifetime: the app starts again, offline.
        await session.close()
        session = sessions(backend=backend, clock=clock, timeout=TIMEOUT)
        await session.restore()
        assert session.snapshot.offline
        assert isinstance(session.snapshot.error or NetworkError(""), NetworkError)
        with pytest.raises(NetworkError) as caught:
            await session.access_token()
        check_message(caught.value, fake_idp)
    elif error is None:
        await session.access_token()
    else:
        with pytest.raises(error) as caught:
            await session.access_token()
        check_message(caught.value, fake_idp)
        assert session.snapshot.error is caught.value
        if isinstance(caught.value, NetworkError):
            assert session.snapshot.offline
    assert session.state is state
    stored = "".join(backend.values())
    assert (refresh_token in stored) is (kept and error is not None)
    assert all(count <= 1 for count in fake_idp.presented.values())

    # The provider recovers; the app tries again.
    fake_idp.faults.clear()
    if error is None or not kept:
        return
    if fault == "refused":
        assert fake_idp.presented[refresh_token] == 0  # never reached the provider
        fake_idp.refused.clear()
        await session.close()
        session = sessions(backend=backend, clock=clock, timeout=TIMEOUT)
        await session.restore()
    if resend:
        await session.access_token()
        assert session.state is State.SIGNED_IN
        assert session.storage.get("refreshToken") != refresh_token
    else:
        # Sent once with no usable answer: Logto may have rotated it. Sending it again could
        # revoke the grant, so the session ends instead, and the token is revoked (not reused).
        with pytest.raises(InvalidGrantError, match="could not be renewed"):
            await session.access_token()
        assert session.state is State.SIGNED_OUT
        assert backend.values() == []
        assert refresh_token not in fake_idp.live_refresh_tokens
    assert all(count <= 1 for count in fake_idp.presented.values())
    assert fake_idp.presented[refresh_token] <= 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_sign_out_wipes_even_when_revocation_fails(
    fault: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    if fault == "refused":
        inject(fake_idp, "revocation", fault)  # discovery is read once, at sign-in
    session = sessions(backend=backend, timeout=TIMEOUT)
    await session.sign_in()
    inject(fake_idp, "revocation", fault)
    result = await session.sign_out()
    assert session.state is State.SIGNED_OUT
    assert backend.values() == []
    assert session.storage.get("refreshToken") is None
    told = fault in {"slow", "malformed", "shape", "invalid_grant"}  # RFC 7009: body ignored
    assert result.revoked is told
    if told:
        assert session.snapshot.notice == "Signed out."
    else:
        assert "could not be told" in session.snapshot.notice
        # Nothing is left to retry once signed out: no "try again" advice in the notice.
        assert "try again" not in session.snapshot.notice.lower()
        assert_no_secrets([session.snapshot.notice, result.problem], fake_idp.issued)


@pytest.mark.parametrize("fault", ["refused", "hang", "500"])
async def test_restore_offline_keeps_the_cached_profile(
    fault: str, fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    first = sessions(backend=backend)
    await first.sign_in()
    await first.close()

    clock = Clock()
    clock.offset = 2 * 3600  # the stored access token has expired: restore must refresh
    kw: dict[str, Any] = {}
    if fault == "refused":
        kw["endpoint"] = closed_port_url()
        # Same keyring entry: the service name is keyed by the endpoint, so copy the session.
        later = sessions(backend=backend, clock=clock, timeout=TIMEOUT)
        later.client._http._endpoint = kw["endpoint"]
        later.client._sdk.config.endpoint = kw["endpoint"]
    else:
        inject(fake_idp, "discovery", fault)
        later = sessions(backend=backend, clock=clock, timeout=TIMEOUT)
    await later.restore()
    assert later.state is State.SIGNED_IN
    assert later.profile["sub"] == fake_idp.sub
    assert later.profile["name"] == "Fake Person"
    if fault == "500":
        assert isinstance(later.snapshot.error, IdpError)
    else:
        assert later.snapshot.offline
        assert "Offline" in later.snapshot.notice
    assert later.storage.get("refreshToken")
    assert backend.values()
