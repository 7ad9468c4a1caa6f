"""The local provider does what Logto OSS 1.37.1 does for a Native app: Pushed Authorization
Requests (RFC 9126) at ``<endpoint>/oidc/request``, ``response_mode=form_post`` with the
auto-submitting form (so the browser POSTs the response with the provider's ``Origin``), and
end-session with ``client_id`` + ``post_logout_redirect_uri`` and no ``id_token_hint``."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from demo.local_idp import LocalIdpInfo
from tests.fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.local_idp import LocalIdpFactory
from tests.local_idp.test_local_idp import pkce_pair, request

URN = "urn:ietf:params:oauth:request_uri:"


def par_form(idp: LocalIdpInfo, redirect_uri: str, **params: str) -> dict[str, str]:
    form = {
        "client_id": idp.app_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid offline_access profile",
        "prompt": "consent",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
        "response_mode": "form_post",
        **params,
    }
    return {k: v for k, v in form.items() if v}


# --------------------------------------------------------------------------- discovery and PAR


def test_discovery_lists_par_and_the_response_modes_logto_lists(local_idp: LocalIdpInfo) -> None:
    config = request(local_idp.discovery_url).json()
    assert config["pushed_authorization_request_endpoint"] == f"{local_idp.issuer}/request"
    assert set(config["response_modes_supported"]) >= {"form_post", "fragment", "query"}
    # Optional, as in Logto: the full authorization request in the URL still works.
    assert not config.get("require_pushed_authorization_requests")


def test_par_answers_201_with_a_request_uri_that_lives_60_seconds(local_idp: LocalIdpInfo) -> None:
    form = par_form(local_idp, "http://127.0.0.1:4567/callback")
    response = request(f"{local_idp.issuer}/request", method="POST", form=form)
    assert response.status == 201
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["expires_in"] == 60
    assert body["request_uri"].startswith(URN)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": "http://127.0.0.1:4567/elsewhere"}, "invalid_request"),
        ({"redirect_uri": "http://localhost:4567/callback"}, "invalid_request"),
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"client_id": "no-such-app"}, "invalid_client"),
        ({"resource": "https://unknown.api.test"}, "invalid_target"),
        ({"prompt": "select_account"}, "invalid_request"),
    ],
)
def test_par_refuses_what_the_authorization_endpoint_refuses(
    local_idp: LocalIdpInfo, change: dict[str, str], error: str
) -> None:
    form = {**par_form(local_idp, "http://127.0.0.1:4567/callback"), **change}
    form = {k: v for k, v in form.items() if v}
    response = request(f"{local_idp.issuer}/request", method="POST", form=form)
    assert response.status in {400, 401}
    assert response.json()["error"] == error


def test_an_unknown_request_uri_is_refused(local_idp: LocalIdpInfo) -> None:
    query = urlencode({"client_id": local_idp.app_id, "request_uri": URN + "made-up"})
    response = request(f"{local_idp.issuer}/auth?{query}")
    assert response.status == 400
    assert response.json()["error"] == "invalid_request_uri"


# --------------------------------------------------------------------------- a whole flow


@dataclass
class Loopback:
    """A stand-in for the app's listener that records what reaches it."""

    port: int = 0
    callbacks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    signed_out: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/signed-out"


@pytest_asyncio.fixture
async def loopback() -> AsyncIterator[Loopback]:
    box = Loopback()

    async def on_callback(req: web.Request) -> web.Response:
        form = dict(await req.post()) if req.method == "POST" else {}
        await box.callbacks.put(
            {
                "method": req.method,
                "content_type": req.content_type,
                "origin": req.headers.get("Origin"),
                "query": dict(req.query),
                "form": {k: str(v) for k, v in form.items()},
            }
        )
        return web.Response(text="Signed in.")

    async def on_signed_out(req: web.Request) -> web.Response:
        await box.signed_out.put(req.query_string)
        return web.Response(text="Signed out here.")

    app = web.Application()
    app.router.add_route("*", "/callback", on_callback)
    app.router.add_get("/signed-out", on_signed_out)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    box.port = runner.addresses[0][1]
    yield box
    await runner.cleanup()


async def push(http: aiohttp.ClientSession, idp: LocalIdpInfo, form: dict[str, str]) -> str:
    async with http.post(f"{idp.issuer}/request", data=form) as resp:
        body = await resp.json()
        assert resp.status == 201, body
    return f"{idp.issuer}/auth?" + urlencode(
        {"client_id": idp.app_id, "request_uri": body["request_uri"]}
    )


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_par_form_post_and_end_session_without_id_token_hint(
    local_idp_factory: LocalIdpFactory, loopback: Loopback
) -> None:
    from playwright.async_api import async_playwright

    idp = local_idp_factory(post_logout_redirect_uris=[loopback.post_logout_redirect_uri])
    verifier, challenge = pkce_pair()
    first = par_form(idp, loopback.redirect_uri, code_challenge=challenge)

    async with aiohttp.ClientSession() as http, async_playwright() as playwright:

        async def token(**form: str) -> tuple[int, dict[str, Any]]:
            data = {"client_id": idp.app_id, **form}
            async with http.post(f"{idp.issuer}/token", data=data) as resp:
                return resp.status, await resp.json()

        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page()
            page.set_default_timeout(20_000)

            # 1. The browser carries only client_id and request_uri; the response comes back
            #    as a form POST from the provider's origin, nothing in the query.
            first_url = await push(http, idp, first)
            await page.goto(first_url)
            assert await page.title() == "Sign in"
            await page.get_by_label("Username").fill("alice")
            await page.get_by_label("Password").fill("alice-password")
            await page.get_by_role("button", name="Sign in").click()
            arrived = await asyncio.wait_for(loopback.callbacks.get(), 20)
            await page.wait_for_url(loopback.redirect_uri)
            assert arrived["method"] == "POST"
            assert arrived["content_type"] == "application/x-www-form-urlencoded"
            assert arrived["origin"] == idp.endpoint
            assert arrived["query"] == {}
            assert set(arrived["form"]) == {"code", "state", "iss"}
            assert arrived["form"]["state"] == first["state"]
            assert arrived["form"]["iss"] == idp.issuer  # RFC 9207 in the form too
            status, tokens = await token(
                grant_type="authorization_code",
                code=arrived["form"]["code"],
                redirect_uri=loopback.redirect_uri,
                code_verifier=verifier,
            )
            assert status == 200, tokens

            # 2. The request_uri is single use: once it has answered, it is gone.
            reused = request(first_url)
            assert reused.status == 400
            assert reused.json()["error"] == "invalid_request_uri"

            # 3. A live browser session signs in again without a form ...
            await page.goto(await push(http, idp, par_form(idp, loopback.redirect_uri)))
            silent = await asyncio.wait_for(loopback.callbacks.get(), 20)
            await page.wait_for_url(loopback.redirect_uri)
            assert set(silent["form"]) == {"code", "state", "iss"}
            # ... unless the app asks for prompt=login: the form is shown over it.
            await page.goto(
                await push(http, idp, par_form(idp, loopback.redirect_uri, prompt="login consent"))
            )
            assert await page.title() == "Sign in"

            # 4. End-session with client_id + post_logout_redirect_uri and no id_token_hint
            #    ends the browser session and comes back to the exact URI.
            end_session = f"{idp.issuer}/session/end?" + urlencode(
                {
                    "client_id": idp.app_id,
                    "post_logout_redirect_uri": loopback.post_logout_redirect_uri,
                }
            )
            await page.goto(end_session)
            await asyncio.wait_for(loopback.signed_out.get(), 20)
            await page.wait_for_url(loopback.post_logout_redirect_uri)
            await page.goto(await push(http, idp, par_form(idp, loopback.redirect_uri)))
            assert await page.title() == "Sign in"
            assert loopback.callbacks.empty()
        finally:
            await browser.close()

        # 5. The refresh token survives end-session: revocation is a separate request.
        status, refreshed = await token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
        assert status == 200, refreshed


def test_end_session_refuses_an_inexact_post_logout_redirect_uri(local_idp: LocalIdpInfo) -> None:
    registered = local_idp.post_logout_redirect_uris[0]
    other_port = registered.replace(":53682/", ":53683/")
    query = urlencode({"client_id": local_idp.app_id, "post_logout_redirect_uri": other_port})
    response = request(f"{local_idp.issuer}/session/end?{query}")
    assert response.status == 400
    assert json.loads(response.body)["error"] == "invalid_request"
