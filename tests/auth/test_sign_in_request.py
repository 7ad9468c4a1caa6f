"""What the client asks Logto for, and what it hands the browser: the authorization request
(PAR when offered, form_post when listed, ``prompt=login`` after an explicit sign-out) and the
end-session URL (never an ID token in it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from aiohttp import web

from demo.local_idp import LocalIdpInfo
from desktop_app.auth.http import web_origin
from desktop_app.auth.logto_client import LogtoNativeClient
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.errors import AuthorizationError, IdpError, NetworkError, RedirectUriError
from tests.auth.test_logto_defects import REDIRECT_URI, our_client, sign_in
from tests.fixtures.fake_idp import FakeIdp, closed_port_url

SECRET_PARAMS = {"state", "nonce", "code_challenge", "redirect_uri", "scope", "prompt"}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def local_client(idp: LocalIdpInfo, **kw: Any) -> LogtoNativeClient:
    return LogtoNativeClient(idp.endpoint, idp.app_id, SessionOnlyStorage(), **kw)


# --------------------------------------------------------------------------- end-session


@pytest.mark.asyncio
async def test_end_session_url_carries_no_id_token(fake_idp: FakeIdp) -> None:
    client = our_client(fake_idp)
    await sign_in(client, fake_idp)
    id_token = client.id_token
    assert id_token

    result = await client.sign_out(post_logout_redirect_uri="http://127.0.0.1:53682/signed-out")

    assert result.end_session_url is not None
    assert result.end_session_url.startswith(f"{fake_idp.issuer}/session/end?")
    assert query_of(result.end_session_url) == {
        "client_id": [client.app_id],
        "post_logout_redirect_uri": ["http://127.0.0.1:53682/signed-out"],
    }
    assert id_token not in result.end_session_url
    assert result.revoked  # revocation is still its own request
    assert fake_idp.requests["revocation"] == 1
    await client.close()


# --------------------------------------------------------------------------- prompt


@pytest.mark.asyncio
async def test_prompt_is_consent_by_default_and_login_consent_when_asked(
    fake_idp: FakeIdp,
) -> None:
    client = our_client(fake_idp)
    usual = await client.create_sign_in_request(REDIRECT_URI)
    assert query_of(usual.url)["prompt"] == ["consent"]
    switching = await client.create_sign_in_request(REDIRECT_URI, prompt_login=True)
    assert query_of(switching.url)["prompt"] == ["login consent"]
    assert dict(switching.params)["prompt"] == "login consent"
    assert "select_account" not in switching.url  # Logto refuses it
    await client.close()


# --------------------------------------------------------------------------- response mode


@pytest.mark.asyncio
async def test_query_mode_when_discovery_does_not_list_form_post(fake_idp: FakeIdp) -> None:
    client = our_client(fake_idp)
    assert await client.form_post_origin() is None
    request = await client.create_sign_in_request(REDIRECT_URI)
    assert "response_mode" not in query_of(request.url)
    assert request.par_endpoint is None
    await client.close()


@pytest.mark.asyncio
async def test_form_post_when_discovery_lists_it(fake_idp: FakeIdp) -> None:
    fake_idp.discovery_overrides["response_modes_supported"] = ["query", "fragment", "form_post"]
    client = our_client(fake_idp)
    assert await client.form_post_origin() == fake_idp.endpoint
    request = await client.create_sign_in_request(REDIRECT_URI)
    assert query_of(request.url)["response_mode"] == ["form_post"]
    # The preflight asks in query mode, so a refusal would come back as a readable redirect.
    await client.check_redirect_uri(request)
    await client.close()


@pytest.mark.parametrize(
    ("issuer", "origin"),
    [
        ("https://Tenant.Logto.app/oidc", "https://tenant.logto.app"),
        ("https://tenant.logto.app:443/oidc", "https://tenant.logto.app"),
        ("http://127.0.0.1:3001/oidc", "http://127.0.0.1:3001"),
        ("http://localhost:80/oidc", "http://localhost"),
        ("https://auth.example.com:8443/oidc", "https://auth.example.com:8443"),
        ("https://bücher.example/oidc", "https://xn--bcher-kva.example"),
        ("http://[::1]:3001/oidc", "http://[::1]:3001"),
    ],
)
def test_origin_is_what_a_browser_sends(issuer: str, origin: str) -> None:
    assert web_origin(issuer) == origin


# --------------------------------------------------------------------------- PAR


@pytest.mark.asyncio
async def test_par_request_leaves_only_client_id_and_request_uri_for_the_browser(
    local_idp: LocalIdpInfo,
) -> None:
    client = local_client(local_idp, resources=(local_idp.api_resource,))
    request = await client.create_sign_in_request(REDIRECT_URI, prompt_login=True)
    assert request.par_endpoint == f"{local_idp.issuer}/request"
    params = dict(request.params)
    assert params["response_mode"] == "form_post"
    assert params["prompt"] == "login consent"
    assert params["code_challenge_method"] == "S256"
    assert {"state", "nonce", "code_challenge", "resource"} <= set(params)

    pushed = await client.push_authorization_request(request)

    assert pushed.url.startswith(f"{local_idp.issuer}/auth?")
    query = dict(parse_qsl(urlsplit(pushed.url).query))
    assert set(query) == {"client_id", "request_uri"}
    assert query["client_id"] == local_idp.app_id
    assert query["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    for name in SECRET_PARAMS:
        assert params[name] not in pushed.url
    # Logto takes it: the browser would be sent to the sign-in form.
    status, location, _ = await client._http.probe(pushed.url, what="sign-in")
    assert status == 303
    assert urlsplit(location).path == "/sign-in"
    await client.close()


@pytest.mark.asyncio
async def test_par_refusals_are_the_same_typed_errors_as_the_preflight(
    local_idp: LocalIdpInfo,
) -> None:
    client = local_client(local_idp)
    request = await client.create_sign_in_request("http://127.0.0.1:50123/other")
    with pytest.raises(RedirectUriError) as wrong_path:
        await client.push_authorization_request(request)
    assert "http://127.0.0.1/other" in wrong_path.value.advice
    await client.close()

    client = local_client(local_idp, resources=("https://unknown.api.test",))
    request = await client.create_sign_in_request(REDIRECT_URI)
    with pytest.raises(AuthorizationError) as unknown_api:
        await client.push_authorization_request(request)
    assert unknown_api.value.error == "invalid_target"
    assert "API resources in Settings" in unknown_api.value.advice
    await client.close()

    client = LogtoNativeClient(local_idp.endpoint, "no-such-app", SessionOnlyStorage())
    request = await client.create_sign_in_request(REDIRECT_URI)
    with pytest.raises(IdpError) as unknown_app:
        await client.push_authorization_request(request)
    assert "no-such-app" in unknown_app.value.message
    assert "App ID" in unknown_app.value.advice
    await client.close()


@pytest.mark.asyncio
async def test_par_endpoint_unreachable_is_a_network_error(fake_idp: FakeIdp) -> None:
    fake_idp.discovery_overrides["pushed_authorization_request_endpoint"] = (
        f"{closed_port_url()}/oidc/request"
    )
    client = our_client(fake_idp, timeout=5)
    request = await client.create_sign_in_request(REDIRECT_URI)
    assert request.par_endpoint is not None
    with pytest.raises(NetworkError):
        await client.push_authorization_request(request)
    await client.close()


@pytest.mark.parametrize(
    "answer",
    [
        {"request_uri": "", "expires_in": 60},
        {"request_uri": "urn:ietf:params:oauth:request_uri:x"},
        {"request_uri": "urn:ietf:params:oauth:request_uri:x", "expires_in": "60"},
        {"expires_in": 60},
    ],
)
@pytest.mark.asyncio
async def test_an_unreadable_par_answer_is_an_idp_error(
    fake_idp: FakeIdp, answer: dict[str, Any]
) -> None:
    async def par(_request: web.Request) -> web.Response:
        return web.json_response(answer, status=201)

    app = web.Application()
    app.router.add_post("/oidc/request", par)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake_idp.discovery_overrides["pushed_authorization_request_endpoint"] = (
        f"http://127.0.0.1:{port}/oidc/request"
    )
    client = our_client(fake_idp)
    try:
        request = await client.create_sign_in_request(REDIRECT_URI)
        with pytest.raises(IdpError, match="unreadable"):
            await client.push_authorization_request(request)
    finally:
        await client.close()
        await runner.cleanup()


@pytest.mark.asyncio
async def test_without_par_the_preflight_still_reads_a_refusal_in_form_post_mode(
    local_idp: LocalIdpInfo,
) -> None:
    import dataclasses

    client = local_client(local_idp, resources=("https://unknown.api.test",))
    request = dataclasses.replace(
        await client.create_sign_in_request(REDIRECT_URI), par_endpoint=None
    )
    assert dict(request.params)["response_mode"] == "form_post"
    # Asked as the browser would, the refusal is a page that would post it to the app, not a
    # redirect whose query names it.
    status, location, _ = await client._http.probe(request.url, what="sign-in")
    assert status not in {301, 302, 303, 307, 308}
    assert not location
    # The preflight asks in query mode, so it gets the refusal as a redirect and names it.
    with pytest.raises(AuthorizationError) as caught:
        await client.check_redirect_uri(request)
    assert caught.value.error == "invalid_target"
    await client.close()
