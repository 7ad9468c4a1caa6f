"""What other local users and the browser's own records can learn of a sign-in: nothing.

A real Chromium process is started the way the system browser is (the URL on its command line,
its own profile directory); the test then drives it over the DevTools protocol. After a sign-in
and a sign-out its ``History`` database holds no code, state, token or request parameter, and
its command line (``/proc/<pid>/cmdline``, readable by every user) holds only the one-time
start URL. Also: after an explicit sign-out the next sign-in lets the person choose who to be,
and "Open browser again" hands out a fresh link.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import KeyringStorage
from tests.e2e.helpers import settings_for
from tests.fixtures.chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOOPBACK_CALLBACK,
    ChromiumPerson,
    look_only,
    sign_in_as,
)
from tests.fixtures.keyrings import InMemoryKeyring

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

REQUEST_PARAMS = (
    "state=",
    "code=",
    "code_challenge",
    "nonce=",
    "redirect_uri=",
    "scope=",
    "prompt=",
    "response_type=",
    "id_token_hint",
    "resource=",
)


class SystemChromium:
    """Chromium as the system browser: its own process and profile, the URL on its command line.

    ``open`` is the browser opener (called on a worker thread): the first call starts the
    process, later ones hand the URL to the test, which opens it in the running browser.
    """

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.loop = asyncio.get_running_loop()
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = asyncio.Event()
        self.later_urls: asyncio.Queue[str] = asyncio.Queue()
        self.opened_url = ""

    def open(self, url: str) -> bool:
        if self.proc is None:
            self.proc = subprocess.Popen(
                [
                    CHROMIUM,
                    "--headless=new",
                    f"--user-data-dir={self.profile}",
                    "--remote-debugging-port=0",
                    *CHROMIUM_ARGS,
                    url,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.opened_url = url
            self.loop.call_soon_threadsafe(self.started.set)
        else:
            self.loop.call_soon_threadsafe(self.later_urls.put_nowait, url)
        return True

    def read_cmdline(self) -> list[str]:
        """What every local user can read while the browser runs."""
        assert self.proc is not None
        # Chromium rewrites its title into one space-separated string: split on both.
        return (
            Path(f"/proc/{self.proc.pid}/cmdline").read_bytes().decode().replace("\0", " ").split()
        )

    async def devtools_url(self) -> str:
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(400):  # Chromium writes it once it listens
            if port_file.exists() and port_file.read_text().strip():
                return f"http://127.0.0.1:{port_file.read_text().split()[0]}"
            await asyncio.sleep(0.05)
        raise AssertionError("Chromium did not open its DevTools port")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest_asyncio.fixture
async def system_chromium(tmp_path: Path) -> AsyncIterator[SystemChromium]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install chromium`.")
    browser = SystemChromium(tmp_path / "chromium-profile")
    yield browser
    browser.stop()


def history_rows(profile: Path, tmp_path: Path) -> tuple[list[str], bytes]:
    """Every URL in the profile's History (urls, visits, downloads...) and the raw bytes of
    the database and its journal, read from a copy (as anyone with the files could)."""
    source = profile / "Default" / "History"
    assert source.exists(), "Chromium kept no History database"
    copy = tmp_path / "History-copy"
    shutil.copy(source, copy)
    raw = source.read_bytes()
    for extra in ("History-journal", "History-wal"):
        path = profile / "Default" / extra
        if path.exists():
            raw += path.read_bytes()
    with contextlib.closing(sqlite3.connect(copy)) as db:
        urls = [row[0] for row in db.execute("SELECT url FROM urls")]
        urls += [row[0] for row in db.execute("SELECT term FROM keyword_search_terms")]
    return urls, raw


async def test_chromium_history_and_command_line_hold_no_sign_in_secret(
    local_idp: Any, system_chromium: SystemChromium, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    settings = settings_for(local_idp)
    session = AuthSession(
        settings,
        storage=KeyringStorage.for_app(
            settings.endpoint, settings.app_id, backend=InMemoryKeyring()
        ),
        open_browser=system_chromium.open,
    )
    # What must never be written down: the request's own values and what came back.
    requested: dict[str, str] = {}
    callbacks: list[str] = []
    make_request = session.client.create_sign_in_request
    complete = session.client.complete_sign_in

    async def recording_request(*args: Any, **kwargs: Any) -> Any:
        request = await make_request(*args, **kwargs)
        requested.update(request.params)
        return request

    async def recording_complete(callback_url: str, **kwargs: Any) -> None:
        callbacks.append(callback_url)
        await complete(callback_url, **kwargs)

    session.client.create_sign_in_request = recording_request  # type: ignore[method-assign]
    session.client.complete_sign_in = recording_complete  # type: ignore[method-assign]

    async with async_playwright() as playwright:
        signing_in = asyncio.ensure_future(session.sign_in())
        await asyncio.wait_for(system_chromium.started.wait(), 30)
        start_url = system_chromium.opened_url
        assert urlsplit(start_url).path.startswith("/start/")

        devtools = await system_chromium.devtools_url()  # the browser process is up
        # The browser's command line: the start URL and nothing of the request.
        arguments = system_chromium.read_cmdline()
        assert [arg for arg in arguments if "://" in arg] == [start_url]
        cmdline = " ".join(arguments)
        for name in ("state", "nonce", "code_challenge", "redirect_uri"):
            assert requested[name] not in cmdline
        for param in REQUEST_PARAMS:
            assert param not in cmdline

        browser = await playwright.chromium.connect_over_cdp(devtools)
        try:
            context = browser.contexts[0]
            opened = [p for p in context.pages if p.url != "about:blank"]
            page = opened[0] if opened else await context.wait_for_event("page")
            page.set_default_timeout(20_000)
            await page.get_by_label("Username").wait_for()
            assert urlsplit(page.url).path == "/sign-in"
            await page.get_by_label("Username").fill("alice")
            await page.get_by_label("Password").fill("alice-password")
            await page.get_by_role("button", name="Sign in").click()
            await asyncio.wait_for(signing_in, 30)
            await page.wait_for_url("http://127.0.0.1:*/callback/done")
            assert session.state is State.SIGNED_IN

            secrets_seen = {
                "code": parse_qs(urlsplit(callbacks[0]).query)["code"][0],
                "state": requested["state"],
                "nonce": requested["nonce"],
                "code_challenge": requested["code_challenge"],
                "id_token": session.storage.get("idToken") or "",
                "refresh_token": session.storage.get("refreshToken") or "",
                "access_token": await session.access_token(),
            }
            assert all(secrets_seen.values())

            result = await session.sign_out(end_browser_session=True)
            assert result.end_session_url is not None
            end_session = await asyncio.wait_for(system_chromium.later_urls.get(), 10)
            assert end_session == result.end_session_url
            await page.goto(end_session)
            await page.get_by_text("Signed out").first.wait_for()

            # Close it the way a person quits the browser, so History is written out.
            cdp = await browser.new_browser_cdp_session()
            with contextlib.suppress(Exception):
                await cdp.send("Browser.close")
        finally:
            with contextlib.suppress(Exception):
                await browser.close()
    assert system_chromium.proc is not None
    await asyncio.to_thread(system_chromium.proc.wait, 20)

    urls, raw = history_rows(system_chromium.profile, tmp_path)
    assert any(url.startswith(start_url.split("/start/")[0]) for url in urls)  # it was recorded
    assert any("/session/end" in url for url in urls)
    for url in urls:
        for param in REQUEST_PARAMS:
            assert param not in url, (param, url)
    for name, value in secrets_seen.items():
        assert value.encode() not in raw, name
        assert all(value not in url for url in urls), name
    await session.close()


# --------------------------------------------------------------------------- switching account


@pytest_asyncio.fixture
async def sessions() -> AsyncIterator[list[AuthSession]]:
    made: list[AuthSession] = []
    yield made
    for session in made:
        await session.close()


async def test_after_sign_out_the_next_sign_in_lets_the_person_choose_who_to_be(
    local_idp: Any, person: ChromiumPerson, sessions: list[AuthSession]
) -> None:
    backend = InMemoryKeyring()
    settings = settings_for(local_idp)

    def start_app(script: Any) -> AuthSession:
        session = AuthSession(
            settings,
            storage=KeyringStorage.for_app(settings.endpoint, settings.app_id, backend=backend),
            # One browser profile throughout: Logto's session cookie outlives the app's.
            open_browser=person.opener(script, shared_context=True),
        )
        sessions.append(session)
        return session

    first = start_app(sign_in_as("alice", "alice-password"))
    await first.sign_in()
    assert first.profile["username"] == "alice"
    await first.sign_out()  # the browser session at Logto is left alive on purpose
    await first.close()

    # A restart in between: it is remembered outside the (now empty) keyring entry.
    again = start_app(sign_in_as("bob", "bob-password"))
    await again.restore()
    assert again.state is State.SIGNED_OUT
    await again.sign_in()  # Logto showed its form over the live session (prompt=login)
    assert again.profile["username"] == "bob"

    # Once someone has signed in again, the next sign-in is the usual one: no prompt=login,
    # so the live browser session signs in without a form.
    prompts: list[str] = []
    third = AuthSession(
        settings,
        storage=KeyringStorage.for_app(
            settings.endpoint, settings.app_id, backend=InMemoryKeyring()
        ),
        open_browser=person.opener(silent_sign_in(), shared_context=True),
    )
    sessions.append(third)
    make_request = third.client.create_sign_in_request

    async def recording(*args: Any, **kwargs: Any) -> Any:
        request = await make_request(*args, **kwargs)
        prompts.append(dict(request.params)["prompt"])
        return request

    third.client.create_sign_in_request = recording  # type: ignore[method-assign]
    await third.sign_in()
    assert prompts == ["consent"]
    assert third.profile["username"] == "bob"


def silent_sign_in() -> Any:
    """Open the link; a live browser session at Logto brings the tab back with no form."""

    async def script(page: Any, url: str) -> str:
        await page.goto(url)
        await page.wait_for_url(LOOPBACK_CALLBACK)
        return str(await page.inner_text("body"))

    return script


# --------------------------------------------------------------------------- fresh links


async def test_open_browser_again_hands_out_a_fresh_link_and_a_used_one_is_dead(
    local_idp: Any, person: ChromiumPerson, sessions: list[AuthSession]
) -> None:
    settings = settings_for(local_idp)
    session = AuthSession(
        settings,
        storage=KeyringStorage.for_app(
            settings.endpoint, settings.app_id, backend=InMemoryKeyring()
        ),
        open_browser=person.opener(look_only()),
    )
    sessions.append(session)
    waiting = asyncio.Event()
    session.subscribe(
        lambda snap: (
            waiting.set() if snap.state is State.WAITING_FOR_BROWSER and snap.sign_in_url else None
        )
    )
    signing_in = asyncio.ensure_future(session.sign_in())
    await asyncio.wait_for(waiting.wait(), 30)
    first_link = session.snapshot.sign_in_url
    assert first_link is not None
    assert "Sign in" in await asyncio.to_thread(person.last_result)  # the tab used the link

    async with aiohttp.ClientSession() as http:
        async with http.get(first_link, allow_redirects=False) as resp:
            assert resp.status == 410  # used: never handed out again
        copied = session.new_sign_in_link()
        assert copied is not None
        assert copied != first_link
        async with http.get(copied, allow_redirects=False) as resp:
            assert resp.status == 303  # a fresh one works, once
            assert urlsplit(resp.headers["Location"]).path == "/oidc/auth"
            assert set(parse_qs(urlsplit(resp.headers["Location"]).query)) == {
                "client_id",
                "request_uri",
            }

    session._open_browser = person.opener(sign_in_as("alice", "alice-password"))
    assert await session.open_browser_again()
    assert session.snapshot.sign_in_url not in {first_link, copied}
    await asyncio.wait_for(signing_in, 30)
    assert session.profile["username"] == "alice"
