"""Signing in over a previous account (issue 10, item 5).

Signing in as B while A is signed in ends A's grant at Logto once B's tokens are stored, and
only then; a sign-in that is cancelled or fails keeps A, in memory and in the keyring alike, so
what the app shows is what the next start restores.
"""

from __future__ import annotations

import pytest

from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import KeyringStorage
from desktop_app.errors import IdpError, SignInCancelled
from tests.fixtures.fake_idp import APP_ID, FakeIdp
from tests.fixtures.keyrings import InMemoryKeyring
from tests.hardening.helpers import Sessions, sign_in_left_waiting

pytestmark = pytest.mark.asyncio


async def stored_refresh_token(idp: FakeIdp, backend: InMemoryKeyring) -> str | None:
    """What the next start of the app would read from the keyring."""
    store = KeyringStorage.for_app(idp.endpoint, APP_ID, backend=backend)
    await store.load()
    return store.get("refreshToken")


async def signed_in_as_a(
    idp: FakeIdp, sessions: Sessions, backend: InMemoryKeyring
) -> tuple[AuthSession, str]:
    idp.sub = "user-a"
    session = sessions(backend=backend)
    await session.sign_in()
    assert session.profile["sub"] == "user-a"
    refresh_a = session.storage.get("refreshToken")
    assert refresh_a in idp.live_refresh_tokens
    return session, refresh_a or ""


async def test_signing_in_as_b_revokes_a_after_b_is_stored(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    session, refresh_a = await signed_in_as_a(fake_idp, sessions, backend)
    fake_idp.sub = "user-b"
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert session.profile["sub"] == "user-b"
    refresh_b = session.storage.get("refreshToken")
    assert fake_idp.requests["revocation"] == 1
    assert refresh_a not in fake_idp.live_refresh_tokens  # A's grant is over at Logto
    assert refresh_b in fake_idp.live_refresh_tokens  # B's is not
    assert await stored_refresh_token(fake_idp, backend) == refresh_b


async def test_signing_in_again_as_the_same_person_revokes_nothing(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # Logto may reuse the grant for the same person and app, and revoking a refresh token
    # revokes its whole grant: the new tokens would die with the old one.
    backend = InMemoryKeyring()
    session, _ = await signed_in_as_a(fake_idp, sessions, backend)
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert fake_idp.requests["revocation"] == 0


async def test_a_failed_sign_in_as_b_keeps_a_everywhere(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    session, refresh_a = await signed_in_as_a(fake_idp, sessions, backend)
    fake_idp.sub = "user-b"
    fake_idp.faults["token:authorization_code"] = "500"
    with pytest.raises(IdpError):
        await session.sign_in()
    assert fake_idp.requests["revocation"] == 0  # only a stored B ends A
    assert refresh_a in fake_idp.live_refresh_tokens
    assert session.storage.get("refreshToken") == refresh_a
    assert await stored_refresh_token(fake_idp, backend) == refresh_a
    assert session.state is State.SIGNED_IN  # what the app shows is what it holds
    assert session.profile["sub"] == "user-a"
    assert isinstance(session.snapshot.error, IdpError)


async def test_a_cancelled_sign_in_as_b_keeps_a_everywhere(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    session, refresh_a = await signed_in_as_a(fake_idp, sessions, backend)
    fake_idp.sub = "user-b"
    task = await sign_in_left_waiting(session)
    assert session.storage.get("refreshToken") == refresh_a  # kept while waiting
    session.cancel()
    with pytest.raises(SignInCancelled):
        await task
    assert session.state is State.SIGNED_IN
    assert session.profile["sub"] == "user-a"
    assert session.storage.get("refreshToken") == refresh_a
    assert await stored_refresh_token(fake_idp, backend) == refresh_a
    assert fake_idp.requests["revocation"] == 0

    # The next start of the app shows the same account.
    restarted = sessions(backend=backend)
    await restarted.restore()
    assert restarted.state is State.SIGNED_IN
    assert restarted.profile["sub"] == "user-a"


async def test_a_sign_in_without_a_previous_account_still_ends_signed_out(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    session = sessions(backend=backend)
    task = await sign_in_left_waiting(session)
    session.cancel()
    with pytest.raises(SignInCancelled):
        await task
    assert session.state is State.SIGNED_OUT
    assert await stored_refresh_token(fake_idp, backend) is None
