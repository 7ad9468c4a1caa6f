"""Every flow ends in a state the person can leave, whatever is raised (issue 10, item 1).

A defect (an exception that is not a DesktopAppError), a callback path the listener refuses,
or a cancellation of the task running the flow must never leave the session "waiting for the
browser" and busy, where Cancel does nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app import config
from desktop_app.auth.loopback import LoopbackReceiver
from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.state import Snapshot
from desktop_app.auth.storage import KeyringStorage
from desktop_app.errors import AuthError, ConfigError
from tests.fixtures.fake_idp import FakeIdp
from tests.fixtures.keyrings import InMemoryKeyring
from tests.hardening.helpers import FakeBrowser, Sessions, make_settings, sign_in_left_waiting


def _session(idp: FakeIdp, sessions: Sessions, **settings_changes: Any) -> AuthSession:
    """An AuthSession on ``idp`` whose Settings were built directly (no validation)."""
    settings = dataclasses.replace(make_settings(idp.endpoint), **settings_changes)
    browser = FakeBrowser(idp)
    sessions.browsers.append(browser)
    session = AuthSession(
        settings,
        storage=KeyringStorage.for_app(
            settings.endpoint, settings.app_id, backend=InMemoryKeyring()
        ),
        open_browser=browser,
    )
    sessions.made.append(session)
    return session


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/callback/done", "/done"),
        ("/done", "/done"),
        ("/start", "/start"),
        ("/start/cb", "/start"),
        ("/call back", "spaces"),
        ("/caf\u00e9", "may only contain"),
    ],
)
def test_settings_refuse_a_callback_path_the_listener_refuses(path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.validate({"endpoint": "https://x.logto.app", "app_id": "a", "redirect_path": path})
    assert caught.value.field == "redirect_path"
    assert words in caught.value.message


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30).map(lambda t: "/" + t))
def test_every_callback_path_the_settings_accept_can_be_listened_on(path: str) -> None:
    try:
        config.check_callback_path(path)
    except ValueError:
        return
    LoopbackReceiver(path=path)  # validates in the constructor; binds nothing yet


@pytest.mark.asyncio
async def test_a_path_the_listener_refuses_ends_in_an_error_state(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    session = _session(fake_idp, sessions, redirect_path="/callback/done")
    with pytest.raises(AuthError) as caught:
        await session.sign_in()
    snapshot = session.snapshot
    assert snapshot.state is State.ERROR
    assert not snapshot.busy
    assert snapshot.error is caught.value
    assert caught.value.message.endswith(".")
    assert "ValueError" not in caught.value.user_message  # the type goes to the log only


@pytest.mark.asyncio
async def test_a_defect_in_the_browser_opener_ends_in_an_error_state_that_can_be_left(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    session = _session(fake_idp, sessions)
    real = session._open_browser

    def broken(url: str) -> bool:
        raise RuntimeError("no browser for you")

    session._open_browser = broken
    with pytest.raises(AuthError):
        await session.sign_in()
    assert session.state is State.ERROR
    assert not session.snapshot.busy
    session._open_browser = real
    await session.sign_in()  # the next click works
    assert session.state is State.SIGNED_IN  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the await


@pytest.mark.asyncio
async def test_cancelling_the_task_that_runs_sign_in_leaves_signed_out(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    session = _session(fake_idp, sessions)
    task = await sign_in_left_waiting(session)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.state is State.SIGNED_OUT
    assert not session.snapshot.busy
    assert session.storage.get("signInSession") is None  # the verifier is gone too


@pytest.mark.asyncio
async def test_the_window_shows_signed_in_before_the_browser_tab_is_told(
    fake_idp: FakeIdp, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13, item 3: once the tokens are stored and checked, the signed-in state does not
    wait for the browser tab (which asks for the outcome when it is ready, within a linger).
    Cancel has nothing left to stop then: the sign-in stands."""
    events: list[str] = []
    finish = LoopbackReceiver.finish

    async def recorded_finish(self: LoopbackReceiver, ok: bool, message: str = "") -> None:
        events.append(f"finish started {ok}")
        await finish(self, ok, message)
        events.append("finish ended")

    monkeypatch.setattr(LoopbackReceiver, "finish", recorded_finish)
    session = sessions()

    def observe(snapshot: Snapshot) -> None:
        events.append(snapshot.state.value)
        if snapshot.state is State.SIGNED_IN:
            session.cancel()  # too late: nothing to cancel

    session.subscribe(observe)
    await session.sign_in()
    assert events[-3:] == ["signed_in", "finish started True", "finish ended"]
    assert session.state is State.SIGNED_IN
    assert session.snapshot.notice == ""
    assert session.snapshot.profile
