"""The one-time start link, as AuthSession wires it to the listener (no browser: the "browser"
is an HTTP client that opens the link and reads the redirect): the preflight push serves the
first arrival, a request_uri near its end is pushed again, a push that fails on arrival is
shown in the window and the wait goes on, and without PAR the link leads to the full URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from demo.local_idp import LocalIdpInfo
from desktop_app.auth import session as session_module
from desktop_app.auth.logto_client import PushedRequest, SignInRequest
from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.config import Settings
from desktop_app.errors import NetworkError, SignInCancelled
from tests.fixtures.fake_idp import FakeIdp

pytestmark = pytest.mark.asyncio


class Harness:
    """A session whose browser opener only records the links, and that counts pushes."""

    def __init__(self, endpoint: str, app_id: str) -> None:
        self.links: list[str] = []
        self.session = AuthSession(
            Settings(endpoint=endpoint, app_id=app_id),
            storage=SessionOnlyStorage(),
            open_browser=self._open,
        )
        self.pushed: list[PushedRequest] = []
        self.fail_next_push: Exception | None = None
        self.waiting = asyncio.Event()
        self.session.subscribe(self._on_snapshot)
        push = self.session.client.push_authorization_request

        async def counting(request: SignInRequest) -> PushedRequest:
            if self.fail_next_push is not None:
                error, self.fail_next_push = self.fail_next_push, None
                raise error
            result = await push(request)
            self.pushed.append(result)
            return result

        self.session.client.push_authorization_request = counting  # type: ignore[method-assign]

    def _open(self, url: str) -> bool:
        self.links.append(url)
        return True

    def _on_snapshot(self, snap: Any) -> None:
        if snap.state is State.WAITING_FOR_BROWSER and snap.sign_in_url:
            self.waiting.set()

    async def follow(self, link: str) -> tuple[int, str, str]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(link, allow_redirects=False) as resp,
        ):
            return resp.status, resp.headers.get("Location", ""), await resp.text()


@pytest_asyncio.fixture
async def harnesses() -> AsyncIterator[list[Harness]]:
    made: list[Harness] = []
    yield made
    for harness in made:
        await harness.session.close()


async def start(harnesses: list[Harness], endpoint: str, app_id: str) -> tuple[Harness, Any]:
    harness = Harness(endpoint, app_id)
    harnesses.append(harness)
    task = asyncio.ensure_future(harness.session.sign_in())
    await asyncio.wait_for(harness.waiting.wait(), 20)
    return harness, task


async def stop(harness: Harness, task: Any) -> None:
    harness.session.cancel()
    with pytest.raises(SignInCancelled):
        await task


async def test_the_preflight_push_serves_the_first_arrival_and_later_links_push_again(
    local_idp: LocalIdpInfo, harnesses: list[Harness]
) -> None:
    harness, task = await start(harnesses, local_idp.endpoint, local_idp.app_id)
    assert len(harness.pushed) == 1  # the preflight: refusals are known before a browser opens
    status, location, _ = await harness.follow(harness.links[0])
    assert status == 303
    assert location == harness.pushed[0].url
    assert len(harness.pushed) == 1  # reused while it had life left

    again = harness.session.new_sign_in_link()
    assert again is not None
    status, location, _ = await harness.follow(again)
    assert status == 303
    assert len(harness.pushed) == 2
    assert location == harness.pushed[1].url != harness.pushed[0].url
    await stop(harness, task)


async def test_a_request_uri_near_its_end_is_pushed_again(
    local_idp: LocalIdpInfo, harnesses: list[Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the browser arrived 45 s after the preflight push (60 s lifetime, 20 s margin).
    monkeypatch.setattr(session_module, "_PUSHED_REQUEST_MARGIN", 61.0)
    harness, task = await start(harnesses, local_idp.endpoint, local_idp.app_id)
    status, location, _ = await harness.follow(harness.links[0])
    assert status == 303
    assert len(harness.pushed) == 2
    assert location == harness.pushed[1].url
    await stop(harness, task)


async def test_a_push_that_fails_on_arrival_is_shown_and_the_wait_goes_on(
    local_idp: LocalIdpInfo, harnesses: list[Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "_PUSHED_REQUEST_MARGIN", 61.0)
    harness, task = await start(harnesses, local_idp.endpoint, local_idp.app_id)
    harness.fail_next_push = NetworkError(
        "Could not reach the Logto server.", advice="Check your internet connection."
    )
    status, _, page = await harness.follow(harness.links[0])
    assert status == 502
    assert "Could not reach the Logto server." in page
    snap = harness.session.snapshot
    assert snap.state is State.WAITING_FOR_BROWSER
    assert "Could not reach the Logto server." in snap.notice
    assert "Open browser again" in snap.notice
    # A fresh link works once the network is back.
    assert await harness.session.open_browser_again()
    status, location, _ = await harness.follow(harness.links[-1])
    assert status == 303
    assert urlsplit(location).path == "/oidc/auth"
    await stop(harness, task)


async def test_without_par_the_link_leads_to_the_full_authorization_url(
    fake_idp: FakeIdp, harnesses: list[Harness]
) -> None:
    from tests.fixtures.fake_idp import APP_ID

    harness, task = await start(harnesses, fake_idp.endpoint, APP_ID)
    status, location, _ = await harness.follow(harness.links[0])
    assert status == 303
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{fake_idp.issuer}/auth?")
    assert {"state", "code_challenge", "nonce", "redirect_uri"} <= set(query)
    assert "response_mode" not in query  # not listed by this server: query mode
    assert harness.pushed == []
    await stop(harness, task)


async def test_a_tls_handshake_shows_the_https_hint_and_the_wait_goes_on(
    local_idp: LocalIdpInfo, harnesses: list[Harness]
) -> None:
    harness, task = await start(harnesses, local_idp.endpoint, local_idp.app_id)
    hinted = asyncio.Event()
    harness.session.subscribe(lambda snap: hinted.set() if "HTTPS" in snap.notice else None)
    port = urlsplit(harness.links[0]).port
    assert port is not None
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(bytes.fromhex("16030100c4010000c00303") + b"\x00" * 32)  # a ClientHello
    await writer.drain()
    await asyncio.wait_for(hinted.wait(), 10)
    writer.close()
    assert harness.session.state is State.WAITING_FOR_BROWSER
    assert "http://127.0.0.1" in harness.session.snapshot.notice
    status, _, _ = await harness.follow(harness.links[0])  # the link still works
    assert status == 303
    await stop(harness, task)
