"""The whole sign-in core, end to end: AuthSession + loopback listener + keyring storage, against
the local Logto-compatible provider (oidc-provider), with headless Chromium playing the person."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

from desktop_app.auth.session import State
from desktop_app.errors import (
    AuthorizationError,
    InvalidGrantError,
    RedirectUriError,
    SignInCancelled,
    SignInTimeout,
)
from tests.e2e.helpers import token_request
from tests.fixtures.chromium import (
    ChromiumPerson,
    cancel_at_idp,
    create_account,
    look_only,
    sign_in_as,
    visit,
    wrong_password_then,
)
from tests.fixtures.keyrings import InMemoryKeyring

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


class Clock:
    """Real time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


async def test_sign_in_shows_profile_and_keeps_the_session_in_the_keyring(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    backend = InMemoryKeyring()
    session = make_session(local_idp, sign_in_as("alice", "alice-password"), backend=backend)
    states: list[State] = []
    session.subscribe(lambda snap: states.append(snap.state))

    await session.restore()
    assert session.state is State.SIGNED_OUT
    await session.sign_in()

    assert session.state is State.SIGNED_IN  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the await
    assert states[-3:] == [State.WAITING_FOR_BROWSER, State.COMPLETING, State.SIGNED_IN]
    profile = session.profile
    assert profile["username"] == "alice"
    assert profile["name"] == "Alice Example"
    assert profile["email"] == "alice@example.test"
    assert profile["email_verified"] is True
    assert profile["sub"]
    # The browser tab was told, on a page without the code in its address.
    page_text = person.last_result()
    assert "return to the app" in page_text.lower() or "close this tab" in page_text.lower()
    # The session is in the keyring, in one entry; the PKCE verifier never is.
    stored = backend.values()
    assert len(stored) == 1
    blob = next(iter(stored))
    assert "codeVerifier" not in blob
    assert "signInSession" not in blob
    status = session.token_status()
    assert status.refresh_available
    assert status.access_token_expires_at is not None

    # A second app start restores it with no browser and no network.
    again = make_session(local_idp, look_only(), backend=backend)
    await again.restore()
    assert again.state is State.SIGNED_IN
    assert again.profile["username"] == "alice"
    assert len(person.opened_urls) == 1


async def test_api_resource_token_is_a_jwt_for_that_audience(
    local_idp: Any, make_session: Any
) -> None:
    session = make_session(local_idp, sign_in_as("alice", "alice-password"))
    await session.sign_in()
    claims = await session.access_token_claims(local_idp.api_resource)
    assert claims["aud"] == local_idp.api_resource
    assert claims["sub"] == session.profile["sub"]
    # Asked again: served from the cache, no second refresh.
    assert await session.access_token(local_idp.api_resource) == await session.access_token(
        local_idp.api_resource
    )


class _WriteLog(InMemoryKeyring):
    """Notes every value written, in order, so a test can see what was stored when."""

    def __init__(self) -> None:
        super().__init__()
        self.timeline: list[tuple[str, str]] = []

    def before(self, op: str, service: str, username: str, password: str | None) -> None:
        if op == "set" and password:
            self.timeline.append(("stored", password))


async def test_forced_refresh_rotates_the_refresh_token_and_stores_it_first(
    local_idp: Any, make_session: Any
) -> None:
    backend = _WriteLog()
    clock = Clock()
    session = make_session(
        local_idp, sign_in_as("alice", "alice-password"), backend=backend, clock=clock
    )
    await session.sign_in()
    first_refresh = session.storage.get("refreshToken")
    first_access = await session.access_token()

    # Jump past the access token's expiry: the next call must refresh, once.
    clock.offset = 2 * 3600
    second_access = await session.access_token()
    backend.timeline.append(("returned", ""))
    second_refresh = session.storage.get("refreshToken")
    assert second_access != first_access
    assert second_refresh
    assert second_refresh != first_refresh
    # First: the rotated refresh token was written to the keyring before the new access token
    # was handed out (lost, the grant could not be refreshed again: Logto revokes on replay).
    returned = backend.timeline.index(("returned", ""))
    stored = [i for i, (what, value) in enumerate(backend.timeline) if second_refresh in value]
    assert stored
    assert stored[0] < returned
    # The rotated token is what the keyring holds now.
    assert second_refresh in next(iter(backend.values()))
    # Replaying the used refresh token is refused (and Logto revokes the grant).
    status, body = await token_request(
        local_idp, grant_type="refresh_token", refresh_token=first_refresh
    )
    assert status == 400
    assert body["error"] == "invalid_grant"


async def test_sign_out_revokes_the_refresh_token_at_the_idp_and_wipes_the_keyring(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    backend = InMemoryKeyring()
    session = make_session(local_idp, sign_in_as("alice", "alice-password"), backend=backend)
    await session.sign_in()
    refresh_token = session.storage.get("refreshToken")

    result = await session.sign_out()

    assert result.revoked
    assert session.state is State.SIGNED_OUT
    assert session.snapshot.notice == "Signed out."
    assert backend.values() == []
    status, body = await token_request(
        local_idp, grant_type="refresh_token", refresh_token=refresh_token
    )
    assert status == 400
    assert body["error"] == "invalid_grant"


async def test_sign_out_can_end_the_browser_session_at_logto(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, sign_in_as("alice", "alice-password"))
    await session.sign_in()
    session._open_browser = person.opener(visit())
    result = await session.sign_out(end_browser_session=True)
    assert result.end_session_url is not None
    assert result.end_session_url.startswith(f"{local_idp.issuer}/session/end?")
    page = person.last_result()
    assert "signed out" in page.lower()


async def test_sign_up_mode_opens_the_create_account_screen(
    local_idp: Any, make_session: Any
) -> None:
    session = make_session(local_idp, create_account("carol_e2e", "carol-password-1"))
    await session.sign_in(mode="signUp")
    assert session.state is State.SIGNED_IN
    assert session.profile["username"] == "carol_e2e"


async def test_wrong_password_is_shown_at_logto_and_the_right_one_still_signs_in(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, wrong_password_then("alice", "nope", "alice-password"))
    await session.sign_in()
    assert "incorrect" in person.last_result().lower()
    assert session.state is State.SIGNED_IN


async def test_cancel_at_logto_comes_back_as_access_denied(
    local_idp: Any, make_session: Any
) -> None:
    session = make_session(local_idp, cancel_at_idp())
    with pytest.raises(AuthorizationError) as caught:
        await session.sign_in()
    assert caught.value.error == "access_denied"
    assert session.state is State.ERROR
    assert session.storage.get("refreshToken") is None


async def test_cancel_in_the_app_stops_waiting_and_closes_the_listener(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, look_only())
    waiting = []

    def on_change(snap: Any) -> None:
        if snap.state is State.WAITING_FOR_BROWSER and snap.sign_in_url:
            waiting.append(snap)
            session.cancel()

    session.subscribe(on_change)
    with pytest.raises(SignInCancelled):
        await session.sign_in()
    assert session.state is State.SIGNED_OUT
    assert session.snapshot.notice == "Sign-in was cancelled."
    # The browser was given the listener's one-time start URL; nothing answers there now.
    start_url = person.opened_urls[-1]
    assert start_url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(start_url)


async def test_timeout_returns_to_signed_out_with_a_message(
    local_idp: Any, make_session: Any
) -> None:
    session = make_session(local_idp, look_only(), sign_in_timeout=5)
    with pytest.raises(SignInTimeout):
        await session.sign_in()
    assert session.state is State.SIGNED_OUT
    assert "timed out" in session.snapshot.notice


async def test_unregistered_callback_path_is_reported_with_the_uri_to_register(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, look_only(), redirect_path="/other")
    with pytest.raises(RedirectUriError) as caught:
        await session.sign_in()
    assert "http://127.0.0.1/other" in caught.value.advice
    assert "Native" in caught.value.advice
    assert person.opened_urls == []  # no dead-end page was opened in the browser


async def test_expired_session_at_restore_means_sign_in_again(
    local_idp: Any, make_session: Any
) -> None:
    backend = InMemoryKeyring()
    session = make_session(local_idp, sign_in_as("alice", "alice-password"), backend=backend)
    await session.sign_in()
    refresh_token = session.storage.get("refreshToken")
    # Revoke the grant behind the app's back (another device signing out everywhere, say).
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{local_idp.issuer}/token/revocation",
            data={"client_id": local_idp.app_id, "token": refresh_token},
        ) as resp,
    ):
        assert resp.status == 200

    clock = Clock()
    clock.offset = 2 * 3600  # the stored access token has expired
    later = make_session(local_idp, look_only(), backend=backend, clock=clock)
    await later.restore()
    assert later.state is State.SIGNED_OUT
    assert "sign in again" in later.snapshot.notice
    assert backend.values() == []
    with pytest.raises(InvalidGrantError):
        await later.access_token()


@pytest.mark.secret_service
async def test_sign_in_restore_and_sign_out_on_the_real_secret_service(
    local_idp: Any, make_session: Any
) -> None:
    from tests.auth.test_storage_secret_service import secret_service_or_skip

    backend = secret_service_or_skip()
    session = make_session(local_idp, sign_in_as("bob", "bob-password"), backend=backend)
    await session.sign_in()
    assert session.snapshot.storage_label == "OS keyring (Secret Service)"
    try:
        again = make_session(local_idp, look_only(), backend=backend)
        await again.restore()
        assert again.state is State.SIGNED_IN
        assert again.profile["username"] == "bob"
        assert "name" not in again.profile  # Logto sends null-valued claims: absent, not None
    finally:
        await session.sign_out()
    after = make_session(local_idp, look_only(), backend=backend)
    await after.restore()
    assert after.state is State.SIGNED_OUT


async def test_sign_in_clicked_during_restore_waits_for_it(
    local_idp: Any, make_session: Any
) -> None:
    import asyncio

    session = make_session(local_idp, sign_in_as("alice", "alice-password"))
    states: list[State] = []
    session.subscribe(lambda snap: states.append(snap.state))
    restoring = asyncio.create_task(session.restore())
    await asyncio.sleep(0)  # let restore() start loading the keyring (in a worker thread)
    await session.sign_in()
    await restoring
    # restore() finished before the sign-in began; it never overwrote the waiting state.
    first_wait = states.index(State.WAITING_FOR_BROWSER)
    assert State.SIGNED_OUT in states[:first_wait]
    assert states[first_wait:] == [
        State.WAITING_FOR_BROWSER,
        State.WAITING_FOR_BROWSER,
        State.COMPLETING,
        State.SIGNED_IN,
    ]
    assert session.state is State.SIGNED_IN
    assert session.profile["username"] == "alice"


async def test_unknown_app_id_is_reported_before_the_browser_opens(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    from desktop_app.errors import IdpError

    session = make_session(local_idp, look_only(), app_id="no-such-app")
    with pytest.raises(IdpError) as caught:
        await session.sign_in()
    assert "no-such-app" in caught.value.message
    assert "App ID" in caught.value.advice
    assert person.opened_urls == []


async def test_unknown_api_resource_is_reported_with_logtos_reason(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, look_only(), resources=("https://unknown.api.test",))
    with pytest.raises(AuthorizationError) as caught:
        await session.sign_in()
    assert caught.value.error == "invalid_target"
    assert "resource" in caught.value.message  # Logto's own description
    assert "API resources in Settings" in caught.value.advice
    assert person.opened_urls == []
