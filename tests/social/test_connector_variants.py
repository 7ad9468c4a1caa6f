"""Each OAuth2 connector setting, over plain HTTP (no browser): profileMap (flat, nested, defaults),
tokenEndpointAuthMethod, tokenEndpointResponseType, scope and customConfig, plus Logto's
direct sign-in fallback and the sign-in page's "Continue with <name>" button."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.local_idp import LocalIdpInfo
from tests.fixtures.local_idp import social_connector_record
from tests.social.flow import social_sign_in

pytestmark = pytest.mark.asyncio

NESTED_PROFILE_MAP = {
    "id": "data.user.id",
    "name": "data.user.profile.name",
    "avatar": "data.user.profile.avatar.url",
    "email": "data.user.contact.email",
    "phone": "data.user.contact.phone",
}


async def test_flat_profile_map_gives_the_claims_and_the_identity(local_idp: LocalIdpInfo) -> None:
    outcome = await social_sign_in(local_idp)
    me = outcome.userinfo
    assert (me["name"], me["picture"]) == (
        "Octo Upstream",
        "https://avatars.upstream.test/octo.png",
    )
    assert (me["email"], me["email_verified"]) == ("octo@upstream.test", True)
    assert me["username"] is None
    identity = me["identities"]["oauth2"]
    assert identity["userId"] == "4242"  # a number upstream; Logto's connector makes it a string
    assert identity["details"]["rawData"]["display_name"] == "Octo Upstream"


async def test_nested_profile_map(social_idp_factory: Any) -> None:
    idp = social_idp_factory(social_connector_record(profileMap=NESTED_PROFILE_MAP))
    me = (await social_sign_in(idp)).userinfo
    assert me["name"] == "Octo Nested"
    assert me["picture"] == "https://avatars.upstream.test/octo-nested.png"
    assert me["email"] == "octo.nested@upstream.test"
    details = me["identities"]["oauth2"]["details"]
    assert (details["id"], details["phone"]) == ("nested-4242", "+15555550199")


async def test_profile_map_defaults_apply_to_keys_left_out(social_idp_factory: Any) -> None:
    # Only `id` mapped: name/avatar/email default to "name"/"avatar"/"email", absent upstream.
    idp = social_idp_factory(social_connector_record(profileMap={"id": "login"}))
    me = (await social_sign_in(idp)).userinfo
    assert me["identities"]["oauth2"]["userId"] == "octo"
    assert (me["name"], me["picture"], me["email"], me["email_verified"]) == (
        None,
        None,
        None,
        False,
    )


async def test_a_profile_without_the_mapped_id_fails_with_the_reason(
    social_idp_factory: Any,
) -> None:
    # No profileMap at all: Logto's default maps id from "id", which this upstream lacks.
    idp = social_idp_factory(social_connector_record(drop=["profileMap"]))
    outcome = await social_sign_in(idp)
    assert not outcome.callback
    assert 'does not fit profileMap.id ("id")' in outcome.alert


async def test_an_upstream_user_with_only_an_id(local_idp: LocalIdpInfo) -> None:
    me = (await social_sign_in(local_idp, username="plain", password="plain-password")).userinfo
    assert me["identities"]["oauth2"]["userId"] == "7"
    assert (me["name"], me["picture"], me["email"]) == (None, None, None)


async def test_scope_is_sent_and_honoured(social_idp_factory: Any) -> None:
    idp = social_idp_factory(social_connector_record(scope="profile"))
    outcome = await social_sign_in(idp)
    query = parse_qs(urlsplit(outcome.upstream_authorize_url).query)
    assert query["scope"] == ["profile"]
    assert outcome.userinfo["email"] is None  # the upstream serves `mail` only with `email`


async def test_custom_config_goes_into_the_authorization_request(social_idp_factory: Any) -> None:
    idp = social_idp_factory(
        social_connector_record(customConfig={"prompt": "login", "allowSignup": "false"})
    )
    outcome = await social_sign_in(idp)
    query = parse_qs(urlsplit(outcome.upstream_authorize_url).query)
    # As in Logto's connector: passed through, keys snake_cased (snakecase-keys).
    assert query["prompt"] == ["login"]
    assert query["allow_signup"] == ["false"]
    assert query["client_id"] == ["local-idp-social"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{idp.endpoint}/callback/oauth2"]
    assert query["state"][0]
    assert "allow_signup=false" in outcome.upstream_page
    assert outcome.userinfo["name"] == "Octo Upstream"


@pytest.mark.parametrize("response_type", ["json", "query-string"])
@pytest.mark.parametrize(
    ("method", "alg"),
    [
        ("client_secret_post", None),
        ("client_secret_basic", None),
        ("client_secret_jwt", "HS256"),
        ("client_secret_jwt", "HS384"),
        ("client_secret_jwt", "HS512"),
    ],
)
async def test_each_auth_method_and_token_response_type(
    social_idp_factory: Any, method: str, alg: str | None, response_type: str
) -> None:
    config: dict[str, Any] = {
        "tokenEndpointAuthMethod": method,
        "tokenEndpointResponseType": response_type,
    }
    if alg:
        config["clientSecretJwtSigningAlgorithm"] = alg
    idp = social_idp_factory(social_connector_record(**config))
    assert idp.upstream.token_endpoint_auth_method == method
    assert idp.upstream.token_response_type == response_type
    outcome = await social_sign_in(idp)
    assert outcome.userinfo["identities"]["oauth2"]["userId"] == "4242", outcome.alert


@pytest.mark.parametrize(
    ("config", "upstream", "reason"),
    [
        (
            {"tokenEndpointAuthMethod": "client_secret_basic"},
            {"tokenEndpointAuthMethod": "client_secret_post"},
            "token endpoint answered HTTP 401: invalid_client (this client is registered for "
            "client_secret_post, not client_secret_basic)",
        ),
        (
            {},
            {"clientSecret": "rotated-at-the-provider"},
            "token endpoint answered HTTP 401: invalid_client (client authentication failed)",
        ),
        (
            {
                "tokenEndpointAuthMethod": "client_secret_jwt",
                "clientSecretJwtSigningAlgorithm": "HS256",
            },
            {"clientSecretJwtSigningAlgorithm": "HS512"},
            "invalid_client (client_assertion must be signed with HS512)",
        ),
        (
            {"tokenEndpointResponseType": "json"},
            {"tokenResponseType": "query-string"},
            "the token response from OAuth2 could not be read as json",
        ),
    ],
)
async def test_token_request_failures_are_explained(
    social_idp_factory: Any, config: dict[str, Any], upstream: dict[str, Any], reason: str
) -> None:
    idp = social_idp_factory(social_connector_record(upstream=upstream, **config))
    outcome = await social_sign_in(idp)
    assert not outcome.callback  # Logto stays on its sign-in page and says why
    assert reason in outcome.alert
    assert "Sign in" in outcome.page


async def test_denial_at_the_upstream_is_shown_on_the_sign_in_page(local_idp: LocalIdpInfo) -> None:
    outcome = await social_sign_in(local_idp, deny=True)
    assert not outcome.callback
    assert (
        outcome.alert == "access was denied at OAuth2 (access_denied: The user denied the request)"
    )


async def test_the_sign_in_page_offers_continue_with_the_connector(social_idp_factory: Any) -> None:
    record = social_connector_record() | {
        "id": "example-co",
        "target": "example",
        "name": "Example Co",
    }
    idp = social_idp_factory(record)
    outcome = await social_sign_in(idp, direct_sign_in=None)
    assert outcome.userinfo["identities"]["example"]["userId"] == "4242"


async def test_unknown_direct_sign_in_target_falls_back_to_the_sign_in_page(
    local_idp: LocalIdpInfo,
) -> None:
    outcome = await social_sign_in(local_idp, direct_sign_in="social:nope")
    assert not outcome.upstream_authorize_url
    assert "<h1>Sign in</h1>" in outcome.page
    assert "<code>social:nope</code>, but there is no such connector here" in outcome.page
    assert "Continue with OAuth2" in outcome.page


async def test_the_same_identity_is_the_same_user_and_another_is_not(
    social_idp_factory: Any,
) -> None:
    idp = social_idp_factory(social_connector_record())
    first = (await social_sign_in(idp)).userinfo
    again = (await social_sign_in(idp, direct_sign_in=None)).userinfo
    other = (await social_sign_in(idp, username="plain", password="plain-password")).userinfo
    assert first["sub"] == again["sub"]
    assert other["sub"] != first["sub"]


async def test_a_forged_callback_is_refused(local_idp: LocalIdpInfo) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{local_idp.endpoint}/callback/oauth2?code=x&state=y", allow_redirects=False
        ) as resp,
    ):
        # No interaction in this browser: nothing to continue, and nothing is redeemed.
        assert resp.status == 400
        assert "expired" in (await resp.text()).lower()
