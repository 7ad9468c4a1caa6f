"""Sign in, refresh and sign out at DEBUG on every logger (aiohttp and asyncio included): no
token, code, verifier, state, nonce or secret that was actually issued appears in any log
record, on stdout or on stderr."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop_app.auth.session import State
from tests.fixtures.fake_idp import FakeIdp
from tests.hardening.helpers import Clock, FakeBrowser, Sessions, follow_start_link

pytestmark = pytest.mark.asyncio


class RecordingBrowser(FakeBrowser):
    """Also keeps the secrets of the authorization request (state, nonce, PKCE verifier)."""

    def __init__(self, idp: FakeIdp, session_storage: list[object]) -> None:
        super().__init__(idp)
        self.secrets: list[str] = []
        self._storage = session_storage

    def __call__(self, url: str) -> bool:
        self.secrets.append(urlsplit(url).path.removeprefix("/start/"))  # the start link's token
        url = follow_start_link(url)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        self.secrets += [query["state"], query["nonce"], query["code_challenge"]]
        storage = self._storage[0]
        raw = storage.get("signInSession")  # type: ignore[attr-defined]
        self.secrets.append(json.loads(raw)["codeVerifier"])
        return super().__call__(url)


async def test_no_secret_in_any_log_or_output(
    fake_idp: FakeIdp,
    sessions: Sessions,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    for name in ("aiohttp", "aiohttp.client", "aiohttp.access", "aiohttp.server", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    holder: list[object] = []
    browser = RecordingBrowser(fake_idp, holder)
    clock = Clock()
    session = sessions(browser=browser, clock=clock)
    holder.append(session.storage)

    await session.sign_in()
    first_refresh = session.storage.get("refreshToken")
    clock.offset = 2 * 3600
    await session.access_token()  # a refresh
    assert fake_idp.presented[first_refresh or ""] == 1
    await session.refresh_profile()
    result = await session.sign_out()
    assert result.revoked
    assert session.state is State.SIGNED_OUT

    secrets = [s for s in fake_idp.issued + browser.secrets if s]
    assert len(secrets) >= 10  # code, 2x (access, refresh, id token), state, nonce, verifier...
    out, err = capfd.readouterr()
    texts = [out, err, caplog.text]
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_text:
            texts.append(record.exc_text)
    assert caplog.records  # DEBUG really was on
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"an issued secret leaked into the log ({len(secret)} chars)"
        assert "eyJ" not in text
