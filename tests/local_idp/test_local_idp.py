"""The local Logto-compatible provider itself: discovery, RFC 8252 redirect URIs, PKCE, signing
keys, process lifetime, and one whole authorization-code + PKCE sign-in through Chromium."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.client
import json
import os
import secrets
import signal
import socket
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import jwt
import pytest
from aiohttp import web

from demo.local_idp import LocalIdp, LocalIdpError, LocalIdpInfo
from tests.fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.local_idp import LocalIdpFactory


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, *, method: str = "GET", form: dict[str, str] | None = None) -> Response:
    """One HTTP request that does not follow redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    body = urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return Response(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def auth_url(idp: LocalIdpInfo, redirect_uri: str, **params: str) -> str:
    query = {
        "client_id": idp.app_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(16),
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
        **params,
    }
    return f"{idp.issuer}/auth?{urlencode({k: v for k, v in query.items() if v})}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- discovery


def test_discovery_names_the_issuer_and_the_logto_endpoint_paths(local_idp: LocalIdpInfo) -> None:
    response = request(local_idp.discovery_url)
    assert response.status == 200
    config = response.json()
    issuer = local_idp.issuer
    assert issuer == f"{local_idp.endpoint}/oidc"
    assert config["issuer"] == issuer
    assert config["authorization_endpoint"] == f"{issuer}/auth"
    assert config["token_endpoint"] == f"{issuer}/token"
    assert config["userinfo_endpoint"] == f"{issuer}/me"
    assert config["jwks_uri"] == f"{issuer}/jwks"
    assert config["end_session_endpoint"] == f"{issuer}/session/end"
    assert config["revocation_endpoint"] == f"{issuer}/token/revocation"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["ES384"]
    assert config["authorization_response_iss_parameter_supported"] is True
    assert {"openid", "offline_access", "profile", "email", "identities", "custom_data"} <= set(
        config["scopes_supported"]
    )
    assert {"name", "username", "picture", "email", "email_verified"} <= set(
        config["claims_supported"]
    )


def test_ready_line_describes_app_api_and_test_users(local_idp: LocalIdpInfo) -> None:
    assert local_idp.endpoint.startswith("http://127.0.0.1:")
    assert local_idp.app_id == "desktop-app-demo"
    assert local_idp.api_resource == "https://api.local.test"
    assert local_idp.api_scopes == ("read:profile", "write:profile")
    assert local_idp.password_of("alice") == "alice-password"
    assert local_idp.password_of("bob") == "bob-password"
    assert local_idp.signing_alg == "ES384"


def test_jwks_holds_one_p384_key(local_idp: LocalIdpInfo) -> None:
    keys = request(f"{local_idp.issuer}/jwks").json()["keys"]
    assert [(key["kty"], key["crv"], key["alg"]) for key in keys] == [("EC", "P-384", "ES384")]
    assert all("d" not in key for key in keys)


# --------------------------------------------------------------------------- redirect URIs


@pytest.mark.parametrize("port", [free_port(), 1234, 65000])
def test_loopback_redirect_uri_is_accepted_on_any_port(local_idp: LocalIdpInfo, port: int) -> None:
    # RFC 8252 7.3: the port of a loopback redirect URI is chosen at run time.
    response = request(auth_url(local_idp, f"http://127.0.0.1:{port}/callback"))
    assert response.status == 303
    assert response.headers["location"] == "/sign-in"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:{port}/callback",  # RFC 8252 8.3: not the loopback IP literal
        "http://127.0.0.1:{port}/other",
        "http://127.0.0.1:{port}/callback/extra",
        "https://127.0.0.1:{port}/callback",
        "http://127.0.0.2:{port}/callback",
    ],
)
def test_other_hosts_paths_and_schemes_are_rejected(
    local_idp: LocalIdpInfo, redirect_uri: str
) -> None:
    response = request(auth_url(local_idp, redirect_uri.format(port=free_port())))
    assert response.status == 400
    assert "location" not in response.headers
    error = response.json()
    assert error["error"] == "invalid_redirect_uri"
    assert error["error_description"] == (
        "redirect_uri did not match any of the client's registered redirect_uris"
    )


def test_missing_redirect_uri_is_an_error(local_idp: LocalIdpInfo) -> None:
    response = request(auth_url(local_idp, ""))
    assert response.status == 400
    assert response.json()["error"] == "invalid_request"


def test_pkce_is_required(local_idp: LocalIdpInfo) -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    response = request(
        auth_url(local_idp, redirect_uri, code_challenge="", code_challenge_method="")
    )
    # A registered redirect URI gets the error (RFC 6749 4.1.2.1), with iss (RFC 9207).
    assert response.status == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    query = parse_qs(location.query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]
    assert query["iss"] == [local_idp.issuer]


def test_plain_pkce_is_refused(local_idp: LocalIdpInfo) -> None:
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    response = request(auth_url(local_idp, redirect_uri, code_challenge_method="plain"))
    assert response.status == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["error"] == ["invalid_request"]


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({}, "/sign-in"),
        ({"interaction_mode": "signIn"}, "/sign-in"),
        ({"interaction_mode": "signUp"}, "/register"),
        ({"first_screen": "register"}, "/register"),
        ({"first_screen": "signIn", "interaction_mode": "signUp"}, "/sign-in"),
    ],
)
def test_logto_first_screen_parameters_pick_the_page(
    local_idp: LocalIdpInfo, params: dict[str, str], location: str
) -> None:
    response = request(auth_url(local_idp, f"http://127.0.0.1:{free_port()}/callback", **params))
    assert response.status == 303
    assert response.headers["location"] == location


def test_token_endpoint_errors_are_oauth_json(local_idp: LocalIdpInfo) -> None:
    response = request(
        f"{local_idp.issuer}/token",
        method="POST",
        form={
            "grant_type": "refresh_token",
            "refresh_token": "nope",
            "client_id": local_idp.app_id,
        },
    )
    assert response.status == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "grant request is invalid",
    }


def test_unknown_resource_is_an_invalid_target(local_idp: LocalIdpInfo) -> None:
    response = request(
        auth_url(
            local_idp,
            f"http://127.0.0.1:{free_port()}/callback",
            resource="https://other.example.test",
        )
    )
    assert response.status == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["error"] == ["invalid_target"]


# --------------------------------------------------------------------------- sign-out


def end_session(idp: LocalIdpInfo, post_logout_redirect_uri: str) -> Response:
    query = {"client_id": idp.app_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    return request(f"{idp.issuer}/session/end?{urlencode(query)}")


def test_registered_post_logout_redirect_uri_is_accepted(local_idp: LocalIdpInfo) -> None:
    response = end_session(local_idp, local_idp.post_logout_redirect_uris[0])
    assert response.status == 200
    # No session in this request: oidc-provider's auto-submitting confirm form, no click needed.
    assert b"document.forms[0].submit()" in response.body


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:53683/signed-out",  # another port: exact match, unlike redirect_uri
        "http://127.0.0.1/signed-out",
        "http://localhost:53682/signed-out",
    ],
)
def test_post_logout_redirect_uris_match_exactly(local_idp: LocalIdpInfo, uri: str) -> None:
    response = end_session(local_idp, uri)
    assert response.status == 400
    assert response.json()["error_description"] == "post_logout_redirect_uri not registered"


def test_post_logout_redirect_uris_are_configurable(local_idp_factory: LocalIdpFactory) -> None:
    uri = "http://127.0.0.1:40001/bye"
    idp = local_idp_factory(post_logout_redirect_uris=[uri])
    assert idp.post_logout_redirect_uris == (uri,)
    assert end_session(idp, uri).status == 200
    assert end_session(idp, "http://127.0.0.1:53682/signed-out").status == 400


# --------------------------------------------------------------------------- configuration


def test_rs256_switch_changes_the_advertised_algorithm_and_key(
    local_idp_factory: LocalIdpFactory,
) -> None:
    idp = local_idp_factory(signing_alg="RS256")
    config = request(idp.discovery_url).json()
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = request(f"{idp.issuer}/jwks").json()["keys"]
    assert [(key["kty"], key["alg"]) for key in keys] == [("RSA", "RS256")]


def test_signing_alg_also_comes_from_the_environment(local_idp_factory: LocalIdpFactory) -> None:
    # The --signing-alg flag the launcher passes wins over the environment, so go around it.
    idp = local_idp_factory(signing_alg="RS256", env={"LOCAL_IDP_SIGNING_ALG": "ES384"})
    assert idp.signing_alg == "RS256"


def test_bad_settings_fail_with_the_reason() -> None:
    idp = LocalIdp(env={"LOCAL_IDP_ACCESS_TOKEN_TTL": "soon"})
    with pytest.raises(LocalIdpError) as caught:
        idp.start()
    assert "LOCAL_IDP_ACCESS_TOKEN_TTL" in str(caught.value)
    assert idp.returncode == 2


def test_missing_node_modules_names_the_fix(tmp_path: Any) -> None:
    (tmp_path / "server.mjs").write_text("")
    with pytest.raises(LocalIdpError, match=r"npm ci --prefix local_idp"):
        LocalIdp(idp_dir=tmp_path).start()


def test_missing_folder_names_the_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("DESKTOP_APP_LOCAL_IDP_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(LocalIdpError, match="DESKTOP_APP_LOCAL_IDP_DIR"):
        LocalIdp().start()


# --------------------------------------------------------------------------- lifetime


def _refuses_connections(endpoint: str) -> bool:
    try:
        request(f"{endpoint}/oidc/jwks")
    except OSError:
        return True
    return False


def test_stop_ends_the_process_cleanly() -> None:
    idp = LocalIdp()
    info = idp.start()
    assert idp.running
    assert request(f"{info.endpoint}/oidc/jwks").status == 200
    started = time.monotonic()
    idp.stop()
    # Closing stdin is enough: no SIGTERM or kill after the grace period was needed.
    assert time.monotonic() - started < 2
    assert idp.returncode == 0
    assert _refuses_connections(info.endpoint)
    idp.stop()  # twice is fine


def test_context_manager_stops_the_process() -> None:
    with LocalIdp() as idp:
        endpoint = idp.info.endpoint
        assert idp.running
    assert not idp.running
    assert _refuses_connections(endpoint)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_ends_the_process_cleanly() -> None:
    idp = LocalIdp()
    info = idp.start()
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while idp.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert idp.returncode == 0
    idp.stop()


# --------------------------------------------------------------------------- a whole sign-in


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_authorization_code_flow_with_pkce_refresh_rotation_and_replay(
    local_idp: LocalIdpInfo,
) -> None:
    from playwright.async_api import async_playwright

    # The app's loopback listener: any free port on 127.0.0.1 (RFC 8252 7.3).
    callback: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    async def on_callback(req: web.Request) -> web.Response:
        if not callback.done():
            callback.set_result(dict(req.query))
        return web.Response(text="Signed in. You can close this window.")

    app = web.Application()
    app.router.add_get("/callback", on_callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    redirect_uri = f"http://127.0.0.1:{port}/callback"

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    url = f"{local_idp.issuer}/auth?" + urlencode(
        {
            "client_id": local_idp.app_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "openid offline_access profile email read:profile",
            "resource": local_idp.api_resource,
            "prompt": "consent",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )

    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = await browser.new_page()
                page.set_default_timeout(20_000)
                await page.goto(url)
                assert await page.title() == "Sign in"
                await page.get_by_label("Username").fill("alice")
                await page.get_by_label("Password").fill("alice-password")
                await page.get_by_role("button", name="Sign in").click()
                query = await asyncio.wait_for(callback, 20)
                await page.wait_for_url(f"{redirect_uri}?*")
            finally:
                await browser.close()
    finally:
        await runner.cleanup()

    assert query["state"] == state
    assert query["iss"] == local_idp.issuer  # RFC 9207
    assert "error" not in query

    token_url = f"{local_idp.issuer}/token"
    async with aiohttp.ClientSession() as http:

        async def token(**form: str) -> tuple[int, dict[str, Any]]:
            async with http.post(token_url, data={"client_id": local_idp.app_id, **form}) as resp:
                return resp.status, await resp.json()

        status, tokens = await token(
            grant_type="authorization_code",
            code=query["code"],
            redirect_uri=redirect_uri,
            code_verifier=verifier,
        )
        assert status == 200, tokens
        assert set(tokens) >= {"access_token", "id_token", "refresh_token", "expires_in"}
        assert tokens["token_type"] == "Bearer"

        async with http.get(f"{local_idp.issuer}/jwks") as resp:
            jwks = jwt.PyJWKSet.from_dict(await resp.json())
        header = jwt.get_unverified_header(tokens["id_token"])
        assert header["alg"] == "ES384"
        claims = jwt.decode(
            tokens["id_token"],
            jwks[header["kid"]].key,
            algorithms=["ES384"],
            audience=local_idp.app_id,
            issuer=local_idp.issuer,
        )
        assert claims["nonce"] == nonce
        assert claims["sub"] == "usr_alice"
        assert claims["name"] == "Alice Example"
        assert claims["username"] == "alice"
        assert claims["picture"].startswith("https://")
        assert claims["email"] == "alice@example.test"
        assert claims["email_verified"] is True

        # The code-exchange access token is opaque and good for userinfo only.
        assert tokens["access_token"].count(".") != 2
        async with http.get(
            f"{local_idp.issuer}/me",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        ) as resp:
            assert resp.status == 200
            userinfo = await resp.json()
        assert userinfo["username"] == "alice"
        assert userinfo["email"] == "alice@example.test"

        # Refresh with resource= (as the Logto SDK does): a JWT access token for the API,
        # and a new refresh token.
        first_refresh = tokens["refresh_token"]
        status, refreshed = await token(
            grant_type="refresh_token",
            refresh_token=first_refresh,
            resource=local_idp.api_resource,
        )
        assert status == 200, refreshed
        assert refreshed["refresh_token"] != first_refresh
        api_header = jwt.get_unverified_header(refreshed["access_token"])
        api_claims = jwt.decode(
            refreshed["access_token"],
            jwks[api_header["kid"]].key,
            algorithms=["ES384"],
            audience=local_idp.api_resource,
            issuer=local_idp.issuer,
        )
        assert api_claims["sub"] == "usr_alice"
        assert api_claims["client_id"] == local_idp.app_id
        assert api_claims["scope"] == "read:profile"

        # Replaying the used refresh token revokes the grant, the new refresh token included.
        status, error = await token(grant_type="refresh_token", refresh_token=first_refresh)
        assert (status, error["error"]) == (400, "invalid_grant")
        status, error = await token(
            grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
        )
        assert (status, error["error"]) == (400, "invalid_grant")
