"""With form_post the code never reaches the real Chromium's history (issue 9, attack 6).

A stand-in for the provider's page (another origin on this machine) sends the browser to the
listener the way Logto does: with ``form_post`` an auto-submitting form, without it a redirect
to the callback URL with the code in its query. Chromium runs with a profile on disk; after the
tab has reached ``/done`` the profile's History database is read. The query case is the control:
it shows that the database does record the callback URL when the code is in it.
"""

from __future__ import annotations

import asyncio
import html
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web

from desktop_app.auth.loopback import LoopbackReceiver
from tests.auth.test_loopback import STATE, result_of
from tests.fixtures.chromium import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs /usr/bin/chromium"),
]

SECRET_CODE = "c0de-in-history-4711"


def _browse(profile: Path, url: str) -> None:
    """Open ``url`` in Chromium with an on-disk profile and wait for the listener's page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = context.new_page()
            page.goto(url)
            page.wait_for_url("**/callback/done", timeout=20_000)
            page.wait_for_selector("text=You're signed in", timeout=20_000)
        finally:
            context.close()  # writes the History database


def _history(profile: Path) -> list[str]:
    database = profile / "Default" / "History"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT url FROM urls")]


@pytest.mark.asyncio
@pytest.mark.parametrize("form_post", [True, False])
async def test_the_code_stays_out_of_the_browser_history(tmp_path: Path, form_post: bool) -> None:
    params = {"code": SECRET_CODE, "state": STATE, "iss": "http://localhost/oidc"}

    callbacks: list[str] = []  # the listener's redirect URI, once it listens

    async def provider_page(request: web.Request) -> web.Response:
        callback = callbacks[0]
        if not form_post:
            raise web.HTTPFound(f"{callback}?{urlencode(params)}")
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        return web.Response(
            content_type="text/html",
            text=f'<form method="post" action="{html.escape(callback)}">{fields}</form>'
            "<script>document.forms[0].submit()</script>",
        )

    app = web.Application()
    app.router.add_get("/oidc/auth", provider_page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        idp_port = runner.addresses[0][1]
        origin = f"http://localhost:{idp_port}"
        async with LoopbackReceiver(form_post_origin=origin if form_post else None) as receiver:
            callbacks.append(receiver.redirect_uri)
            task = asyncio.create_task(receiver.wait(STATE))
            browsing = asyncio.create_task(
                asyncio.to_thread(_browse, tmp_path / "profile", f"{origin}/oidc/auth")
            )
            assert (await result_of(task)).code == SECRET_CODE
            await receiver.finish(True)
            async with asyncio.timeout(60):
                await browsing
    finally:
        await runner.cleanup()

    history = _history(tmp_path / "profile")
    assert any(url.startswith(f"{origin}/oidc/auth") for url in history)  # it does record
    in_history = [url for url in history if SECRET_CODE in url]
    if form_post:
        assert in_history == []
    else:
        assert in_history  # the control: a query callback leaves the code there
