"""Messages that name the real cause when the settings are wrong (issue 10, item 6): an API
not in the settings, an endpoint that is not Logto (or has a path), an unknown host, a
Traditional app; and no protocol jargon in any message people see."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from desktop_app.auth import http as http_module
from desktop_app.auth.http import Http, idp_error
from desktop_app.auth.session import State
from desktop_app.errors import ConfigError, DesktopAppError, IdpError, NetworkError
from tests.fixtures.fake_idp import FakeIdp, serve_fake_idp
from tests.hardening.helpers import Sessions

pytestmark = pytest.mark.asyncio

API = "https://api.example.com"
JARGON = re.compile(
    r"\((discovery|revocation|user info|signing keys|token|sign-in)\)|discovery|revocation|jwks",
    re.I,
)


def no_jargon(error: DesktopAppError) -> None:
    assert not JARGON.search(error.user_message), error.user_message


@dataclass
class StrictIdp(FakeIdp):
    """Refuses what real Logto refuses: a resource the grant does not cover (RFC 8707), and a
    code exchange without a secret for a Traditional (confidential) app."""

    granted: tuple[str, ...] = ()
    confidential: bool = False
    redirect_uri_registered: bool = True

    async def authorize(self, request: web.Request) -> web.Response:
        if not self.redirect_uri_registered:
            return web.json_response(
                {
                    "error": "invalid_redirect_uri",
                    "error_description": "redirect_uri did not match",
                },
                status=400,
            )
        return await super().authorize(request)

    async def token(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post())
        if self.confidential and form.get("grant_type") == "authorization_code":
            return web.json_response(
                {"error": "invalid_client", "error_description": "client authentication failed"},
                status=401,
            )
        resource = form.get("resource")
        if resource and resource not in self.granted:
            return web.json_response(
                {
                    "error": "invalid_target",
                    "error_description": "resource indicator is missing, or unknown",
                },
                status=400,
            )
        return await super().token(request)


@pytest_asyncio.fixture
async def fake_idp() -> AsyncIterator[StrictIdp]:
    """This module's provider (and so its ``sessions``): a StrictIdp, which with its default
    knobs answers like FakeIdp."""
    async with serve_fake_idp(StrictIdp()) as idp:
        yield idp


async def test_a_token_for_an_api_not_in_the_settings_says_to_add_it(
    fake_idp: StrictIdp, sessions: Sessions
) -> None:
    session = sessions()
    await session.sign_in()
    before = fake_idp.requests["token:refresh_token"]
    with pytest.raises(ConfigError) as caught:
        await session.access_token(API)
    assert caught.value.field == "resources"
    assert API in caught.value.message
    assert "Settings" in caught.value.advice
    assert "sign in again" in caught.value.advice
    assert fake_idp.requests["token:refresh_token"] == before  # nothing was sent
    assert session.state is State.SIGNED_IN  # still signed in, with the error shown
    assert session.snapshot.error is caught.value


async def test_logto_refusing_a_listed_api_says_to_sign_in_again(
    fake_idp: StrictIdp, sessions: Sessions
) -> None:
    session = sessions()
    session.client.resources = (API,)  # listed, but not granted at sign-in
    await session.sign_in()
    refresh = session.storage.get("refreshToken")
    with pytest.raises(IdpError) as caught:
        await session.access_token(API)
    message = caught.value.user_message
    assert "Try again" not in message
    assert "sign in again" in message
    assert session.state is State.SIGNED_IN
    assert session.storage.get("refreshToken") == refresh  # nothing is lost
    no_jargon(caught.value)


async def test_a_traditional_app_is_named_before_any_redirect_uri_advice(
    fake_idp: StrictIdp, sessions: Sessions
) -> None:
    fake_idp.confidential = True
    session = sessions()
    with pytest.raises(IdpError) as caught:
        await session.sign_in()
    text = caught.value.user_message
    assert "Traditional" in caught.value.message
    assert "Native" in text
    assert text.index("Traditional") < text.index("redirect URI")
    assert "http://127.0.0.1/callback" in caught.value.advice
    no_jargon(caught.value)


async def test_redirect_uri_advice_names_the_app_type_first(
    fake_idp: StrictIdp, sessions: Sessions
) -> None:
    fake_idp.redirect_uri_registered = False
    session = sessions()
    with pytest.raises(IdpError) as caught:
        await session.sign_in()
    advice = caught.value.advice
    assert advice.index("Native") < advice.index("Traditional") < advice.index("http://127.0.0.1")
    assert "http://127.0.0.1/callback" in advice


@pytest_asyncio.fixture
async def not_logto() -> AsyncIterator[str]:
    """An HTTP server that is not Logto: 404 for every path but /, which is an HTML page."""

    async def home(request: web.Request) -> web.Response:
        return web.Response(text="<html>hello</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", home)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_server_that_is_not_logto_is_named_so(not_logto: str, sessions: Sessions) -> None:
    session = sessions(endpoint=not_logto)
    with pytest.raises(IdpError) as caught:
        await session.sign_in()
    assert "is not a Logto endpoint" in caught.value.message
    assert "logto.app" in caught.value.advice
    no_jargon(caught.value)


async def test_an_endpoint_with_a_path_says_what_an_endpoint_looks_like(
    fake_idp: FakeIdp, sessions: Sessions
) -> None:
    # Refused before anything is sent (the settings' rule, wherever the settings came from).
    before = sum(fake_idp.requests.values())
    with pytest.raises(ConfigError) as caught:
        sessions(endpoint=f"{fake_idp.endpoint}/app")
    assert caught.value.field == "endpoint"
    assert "must not have a path" in caught.value.message
    assert f"try {fake_idp.endpoint}," in caught.value.advice
    assert sum(fake_idp.requests.values()) == before
    no_jargon(caught.value)


async def test_an_unknown_host_does_not_read_like_a_refused_connection(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if host == "no-such-tenant.logto.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    session = sessions(endpoint="https://no-such-tenant.logto.example")
    with pytest.raises(NetworkError) as caught:
        await session.sign_in()
    message = caught.value.message
    assert "no-such-tenant.logto.example" in message
    assert "could not be found" in message
    assert "reach" not in message
    assert "connect" not in message
    assert "typo" in caught.value.advice
    no_jargon(caught.value)


@pytest.mark.parametrize(
    "what", ["discovery", "signing keys", "token", "user info", "revocation", "sign-in"]
)
async def test_no_message_names_a_protocol_step_bare(what: str) -> None:
    http = Http("https://tenant.logto.app", 1.0)
    errors: list[DesktopAppError] = [
        http._unreachable(what, OSError("refused")),
        http._lost(what, TimeoutError()),
        http_module._unreadable(what, 200),
        idp_error(what, 400, {"error": "invalid_request"}),
        idp_error(what, 500, None),
    ]
    for error in errors:
        assert error.message.endswith(".")
        no_jargon(error)
    await http.close()
