"""Parallel callers and several app instances never replay a refresh token; sign-out during a
refresh leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest

from desktop_app.auth.session import State
from desktop_app.errors import InvalidGrantError
from tests.fixtures.fake_idp import FakeIdp
from tests.fixtures.keyrings import InMemoryKeyring
from tests.hardening.helpers import Clock, Sessions

pytestmark = pytest.mark.asyncio


async def test_fifty_parallel_callers_refresh_once_through_the_session(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    clock = Clock()
    session = sessions(clock=clock)
    await session.sign_in()
    fake_idp.refresh_delay = 0.1  # the callers really overlap
    clock.offset = 2 * 3600
    tokens = await asyncio.gather(*(session.access_token() for _ in range(50)))
    assert fake_idp.requests["token:refresh_token"] == 1
    assert len(set(tokens)) == 1
    assert session.state is State.SIGNED_IN


async def test_two_app_instances_on_one_keyring_refresh_once(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # Two AuthSessions, each with its own storage and memory cache, on one keyring backend:
    # what two processes of the app see. The second learns the rotated token from the keyring
    # (read again under the shared lock file) instead of replaying the one it loaded at start.
    backend = InMemoryKeyring()
    clock = Clock()
    first = sessions(backend=backend, clock=clock)
    await first.sign_in()
    second = sessions(backend=backend, clock=clock)
    await second.restore()
    assert second.state is State.SIGNED_IN
    assert first.client.guard.path == second.client.guard.path  # same service, same lock

    fake_idp.refresh_delay = 0.1
    clock.offset = 2 * 3600
    a, b = await asyncio.gather(first.access_token(), second.access_token())
    assert fake_idp.requests["token:refresh_token"] == 1
    assert a == b
    assert all(count == 1 for count in fake_idp.presented.values())
    assert fake_idp.live_refresh_tokens  # the grant was not revoked by a replay
    assert first.storage.get("refreshToken") == second.storage.get("refreshToken")

    # Later, the second refreshes again from what the first left in the keyring: no replay.
    clock.offset = 4 * 3600
    await second.access_token()
    await first.access_token()
    assert fake_idp.requests["token:refresh_token"] == 2
    assert all(count == 1 for count in fake_idp.presented.values())


async def test_an_instance_that_signed_out_elsewhere_is_signed_out_here(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    clock = Clock()
    first = sessions(backend=backend, clock=clock)
    await first.sign_in()
    second = sessions(backend=backend, clock=clock)
    await second.restore()
    await first.sign_out()
    clock.offset = 2 * 3600
    with pytest.raises(InvalidGrantError, match="not signed in"):
        await second.access_token()
    assert second.state is State.SIGNED_OUT
    assert fake_idp.requests["token:refresh_token"] == 0  # the revoked token was not tried


async def test_sign_out_during_a_refresh_leaves_nothing_behind(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    backend = InMemoryKeyring()
    clock = Clock()
    session = sessions(backend=backend, clock=clock)
    await session.sign_in()
    fake_idp.refresh_delay = 0.3
    clock.offset = 2 * 3600
    refresh = asyncio.create_task(session.access_token())
    await asyncio.wait_for(fake_idp.arrived["token:refresh_token"].wait(), 10)
    result = await session.sign_out()
    await asyncio.wait_for(asyncio.gather(refresh, return_exceptions=True), 10)
    assert result.revoked
    assert session.state is State.SIGNED_OUT
    assert backend.values() == []
    assert session.storage.get("refreshToken") is None
    assert fake_idp.live_refresh_tokens == set()  # the rotated token was revoked too
