"""Shared pieces for the hardening tests: a fake browser that answers the loopback listener
itself, AuthSession/client factories over fake_idp, and a check for token-shaped strings."""

from __future__ import annotations

import asyncio
import http.client
import re
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from desktop_app.auth.logto_client import LogtoNativeClient
from desktop_app.auth.session import AuthSession, Snapshot
from desktop_app.auth.storage import KeyringStorage, SessionOnlyStorage
from desktop_app.config import Settings
from tests.fixtures.fake_idp import APP_ID, FakeIdp
from tests.fixtures.keyrings import InMemoryKeyring

REDIRECT_URI = "http://127.0.0.1:50123/callback"
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


class Clock:
    """Real time plus an offset a test moves forward (access tokens expire, ID tokens stay
    valid: the fake stamps them with real time)."""

    def __init__(self) -> None:
        import time

        self._time = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self._time() + self.offset


def follow_start_link(url: str) -> str:
    """Where the app's one-time start link (``/start/<token>`` on its listener) sends the
    browser: the authorization URL. Other URLs are returned as they are."""
    parts = urlsplit(url)
    if not parts.path.startswith("/start/"):
        return url
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        assert response.status == 303, response.status
        return str(response.getheader("Location"))
    finally:
        connection.close()


class FakeBrowser:
    """The person's browser: signs in at once and lets the fake provider redirect back to the
    loopback listener with a fresh code, the request's state and (by default) the right iss.

    The callback is sent from a thread of its own because the listener holds the answer until
    the app has finished the sign-in.
    """

    def __init__(self, idp: FakeIdp, *, iss: str | None = "", copy_nonce: bool = True) -> None:
        self.idp = idp
        self.iss = iss
        self.copy_nonce = copy_nonce
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        url = follow_start_link(url)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if self.copy_nonce:
            self.idp.nonce = query.get("nonce")
        params = {"code": self.idp.code(), "state": query["state"]}
        iss = self.idp.issuer if self.iss == "" else self.iss
        if iss is not None:
            params["iss"] = iss
        callback = f"{query['redirect_uri']}?{urlencode(params)}"
        self.idp.callbacks.append(callback)
        thread = threading.Thread(target=self._visit, args=(callback,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    @staticmethod
    def _visit(url: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                resp.read()
        except OSError:
            pass  # the listener may already be gone (a rejected sign-in): the test looks at the app

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)


def make_settings(endpoint: str) -> Settings:
    return Settings(endpoint=endpoint, app_id=APP_ID, scopes=(), sign_in_timeout=30)


class Sessions:
    """Builds AuthSessions on one fake provider and closes them at the end of the test."""

    def __init__(self, idp: FakeIdp) -> None:
        self.idp = idp
        self.made: list[AuthSession] = []
        self.browsers: list[FakeBrowser] = []

    def __call__(
        self,
        *,
        backend: Any = None,
        endpoint: str | None = None,
        clock: Callable[[], float] | None = None,
        timeout: float = 5.0,
        browser: FakeBrowser | None = None,
    ) -> AuthSession:
        settings = make_settings(endpoint or self.idp.endpoint)
        browser = browser or FakeBrowser(self.idp)
        self.browsers.append(browser)
        backend = backend if backend is not None else InMemoryKeyring()
        session = AuthSession(
            settings,
            storage=KeyringStorage.for_app(settings.endpoint, settings.app_id, backend=backend),
            open_browser=browser,
            clock=clock or Clock(),
            http_timeout=timeout,
        )
        self.made.append(session)
        return session

    async def close(self) -> None:
        for session in self.made:
            await session.close()
        for browser in self.browsers:
            browser.join()


def client_for(idp: FakeIdp, **kw: Any) -> LogtoNativeClient:
    return LogtoNativeClient(idp.endpoint, APP_ID, SessionOnlyStorage(), **kw)


async def client_sign_in(client: LogtoNativeClient, idp: FakeIdp) -> None:
    request = await client.create_sign_in_request(REDIRECT_URI)
    idp.nonce = parse_qs(urlsplit(request.url).query)["nonce"][0]
    code = idp.code()
    await client.complete_sign_in(
        f"{REDIRECT_URI}?{urlencode({'code': code, 'state': request.state})}",
        iss=idp.issuer,
        error=None,
        error_description=None,
    )


async def sign_in_left_waiting(session: AuthSession) -> asyncio.Future[None]:
    """Start ``session.sign_in()`` with a browser the person never comes back from; return the
    running sign-in once it has opened the sign-in URL (so it waits for the callback)."""
    opened = asyncio.Event()
    session._open_browser = lambda url: True

    def seen(snapshot: Snapshot) -> None:
        if snapshot.sign_in_url:
            opened.set()

    session.subscribe(seen)
    task = asyncio.ensure_future(session.sign_in())
    await opened.wait()
    return task


def assert_no_secrets(texts: Iterable[str], secrets: Iterable[str] = ()) -> None:
    """No JWT-shaped string and none of ``secrets`` in any of ``texts``."""
    secrets = [s for s in secrets if s]
    for text in texts:
        assert not JWT_SHAPED.search(text), "a JWT-shaped string leaked"
        for secret in secrets:
            assert secret not in text, "an issued secret leaked"
