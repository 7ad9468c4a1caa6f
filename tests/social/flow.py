"""A social sign-in through the local provider over plain HTTP (no browser): follows Logto's
redirects with a cookie jar, signs in at the upstream's form, stops at the app's loopback
redirect, redeems the code with PKCE and reads /oidc/me. Cheaper than Chromium for checking
each connector variant; the end-to-end tests use Chromium."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import aiohttp

from demo.local_idp import LocalIdpInfo

APP_REDIRECT_URI = "http://127.0.0.1:53999/callback"  # never contacted: the flow stops before it
_HIDDEN_REQUEST = re.compile(r'name="request" value="([^"]+)"')
_ALERT = re.compile(r'role="alert">([^<]*)<')


@dataclass
class Outcome:
    """Where a social sign-in ended."""

    upstream_authorize_url: str = ""
    upstream_page: str = ""
    callback: dict[str, str] = field(default_factory=dict)  # the app's redirect query
    page: str = ""  # the local provider page it stopped on instead (HTML)
    userinfo: dict[str, Any] = field(default_factory=dict)

    @property
    def alert(self) -> str:
        match = _ALERT.search(self.page)
        return html.unescape(match.group(1)) if match else ""


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def _follow(http: aiohttp.ClientSession, url: str, outcome: Outcome) -> tuple[str, str]:
    """Follow redirects until the app's redirect URI (not fetched) or a page; (url, body)."""
    for _ in range(20):
        if url.startswith(APP_REDIRECT_URI):
            outcome.callback = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            return url, ""
        async with http.get(url, allow_redirects=False) as resp:
            if resp.status in {302, 303}:
                url = urljoin(url, resp.headers["Location"])
                continue
            return url, await resp.text()
    raise AssertionError("too many redirects")


async def social_sign_in(
    idp: LocalIdpInfo,
    *,
    username: str = "octo",
    password: str = "octo-password",
    scope: str = "openid profile email identities",
    direct_sign_in: str | None = "social:oauth2",
    deny: bool = False,
) -> Outcome:
    """Start at Logto's authorization endpoint and go as far as the flow goes."""
    outcome = Outcome()
    verifier, challenge = _pkce()
    query = {
        "client_id": idp.app_id,
        "response_type": "code",
        "redirect_uri": APP_REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if direct_sign_in:
        query["direct_sign_in"] = direct_sign_in
    jar = aiohttp.CookieJar(unsafe=True)  # cookies on 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        url, body = await _follow(http, f"{idp.issuer}/auth?{urlencode(query)}", outcome)
        if not direct_sign_in and "Continue with" in body:
            # The sign-in page: press the (first) "Continue with <name>" button.
            action = re.search(r'<form method="post" action="(/social/[^"]+)">', body)
            uid = re.search(r'name="uid" value="([^"]+)"', body)
            assert action, body
            assert uid, body
            async with http.post(
                urljoin(url, html.unescape(action.group(1))),
                data={"uid": html.unescape(uid.group(1))},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 303, await resp.text()
                url, body = await _follow(http, urljoin(url, resp.headers["Location"]), outcome)
        assert idp.upstream is not None
        if not url.startswith(idp.upstream.endpoint):
            outcome.page = body
            return outcome
        outcome.upstream_authorize_url, outcome.upstream_page = url, body
        request_id = _HIDDEN_REQUEST.search(body)
        assert request_id, body
        form = {"request": html.unescape(request_id.group(1))}
        form |= (
            {"action": "deny"}
            if deny
            else {"action": "allow", "username": username, "password": password}
        )
        async with http.post(url.split("?")[0], data=form, allow_redirects=False) as resp:
            if resp.status != 303:
                outcome.page = await resp.text()
                return outcome
            url, body = await _follow(http, resp.headers["Location"], outcome)
        if not outcome.callback:
            outcome.page = body
            return outcome
        if "code" not in outcome.callback:
            return outcome
        async with http.post(
            f"{idp.issuer}/token",
            data={
                "client_id": idp.app_id,
                "grant_type": "authorization_code",
                "code": outcome.callback["code"],
                "redirect_uri": APP_REDIRECT_URI,
                "code_verifier": verifier,
            },
        ) as resp:
            tokens = await resp.json()
            assert resp.status == 200, tokens
        async with http.get(
            f"{idp.issuer}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ) as resp:
            outcome.userinfo = await resp.json()
    return outcome
