"""The OAuth2 social connector's configuration: Logto's own config guard checks it at start, and a
bad record stops the provider with a message naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from demo.local_idp import LocalIdp, LocalIdpError, LocalIdpInfo
from tests.fixtures.local_idp import DEFAULT_SOCIAL_CONNECTOR, social_connector_record


def start_with(record: Any) -> LocalIdpInfo:
    value = record if isinstance(record, str) else json.dumps(record)
    idp = LocalIdp(env={"LOCAL_IDP_SOCIAL_CONNECTOR": value})
    try:
        return idp.start()
    finally:
        idp.stop()


@pytest.mark.parametrize(
    ("record", "field", "detail"),
    [
        (social_connector_record(drop=["clientId"]), "config.clientId", "is required"),
        (social_connector_record(drop=["clientSecret"]), "config.clientSecret", "is required"),
        (
            social_connector_record(drop=["authorizationEndpoint"]),
            "config.authorizationEndpoint",
            "is required",
        ),
        (social_connector_record(drop=["tokenEndpoint"]), "config.tokenEndpoint", "is required"),
        (
            social_connector_record(drop=["userInfoEndpoint"]),
            "config.userInfoEndpoint",
            "is required",
        ),
        (
            social_connector_record(tokenEndpointAuthMethod="private_key_jwt"),
            "config.tokenEndpointAuthMethod",
            "received 'private_key_jwt'",
        ),
        (
            social_connector_record(tokenEndpointResponseType="xml"),
            "config.tokenEndpointResponseType",
            "received 'xml'",
        ),
        (
            social_connector_record(
                tokenEndpointAuthMethod="client_secret_jwt",
                clientSecretJwtSigningAlgorithm="RS256",
            ),
            "config.clientSecretJwtSigningAlgorithm",
            "received 'RS256'",
        ),
        (social_connector_record(responseType="token"), "config.responseType", "code"),
        (
            social_connector_record(grantType="client_credentials"),
            "config.grantType",
            "authorization_code",
        ),
        (social_connector_record(profileMap={"id": 5}), "config.profileMap.id", "string"),
        (social_connector_record(customConfig={"prompt": 1}), "config.customConfig.prompt", ""),
        (social_connector_record(tokenEndpoint="not a url"), "config.tokenEndpoint", "http(s)"),
        ({**DEFAULT_SOCIAL_CONNECTOR, "colour": "red"}, "colour", "unknown key"),
        ({**DEFAULT_SOCIAL_CONNECTOR, "target": "no spaces"}, "target", ""),
        ({k: v for k, v in DEFAULT_SOCIAL_CONNECTOR.items() if k != "config"}, "config", ""),
        (
            social_connector_record(upstream={"tokenResponseType": "xml"}),
            "upstream.tokenResponseType",
            "",
        ),
    ],
)
def test_a_bad_connector_config_stops_the_provider_naming_the_field(
    record: dict[str, Any], field: str, detail: str
) -> None:
    with pytest.raises(LocalIdpError) as caught:
        start_with(record)
    message = str(caught.value)
    assert f"social connector {field}:" in message
    assert detail in message


def test_unreadable_json_and_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(LocalIdpError, match="social connector JSON: not valid JSON"):
        start_with("{not json")
    missing = tmp_path / "nope.json"
    with pytest.raises(LocalIdpError, match="social connector file: cannot read"):
        start_with(str(missing))


def test_the_record_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "connector.json"
    record = social_connector_record(scope="profile")
    record |= {"id": "example-co", "target": "example", "name": "Example Co"}
    path.write_text(json.dumps(record), encoding="utf-8")
    info = start_with(str(path))
    connector = info.social_connector
    assert connector is not None
    assert (connector.id, connector.target, connector.name) == (
        "example-co",
        "example",
        "Example Co",
    )
    assert connector.direct_sign_in == "social:example"
    assert connector.callback_uri == f"{info.endpoint}/callback/example-co"
    assert connector.scope == "profile"


def test_defaults_are_logtos(social_idp_factory: Any) -> None:
    # Only the required fields: Logto's guard fills in the rest (types.ts / oauth2/types.ts).
    config = {
        key: DEFAULT_SOCIAL_CONNECTOR["config"][key]
        for key in ("authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint")
    } | {"clientId": "local-idp-social", "clientSecret": "local-idp-social-secret"}
    info = social_idp_factory({"config": config})
    connector = info.social_connector
    assert connector is not None
    assert (connector.id, connector.target, connector.name) == ("oauth2", "oauth2", "OAuth2")
    assert connector.token_endpoint_auth_method == "client_secret_post"
    assert connector.token_endpoint_response_type == "query-string"
    assert connector.scope is None
    assert connector.profile_map == {
        "id": "id",
        "name": "name",
        "avatar": "avatar",
        "email": "email",
        "phone": "phone",
    }


def test_the_ready_line_reports_the_connector_and_the_upstream(local_idp: LocalIdpInfo) -> None:
    connector, upstream = local_idp.social_connector, local_idp.upstream
    assert connector is not None
    assert upstream is not None
    assert connector.direct_sign_in == "social:oauth2"
    assert connector.name == "OAuth2"
    assert connector.callback_uri == f"{local_idp.endpoint}/callback/oauth2"
    assert connector.authorization_endpoint == upstream.authorization_endpoint
    assert connector.token_endpoint == upstream.token_endpoint
    assert connector.userinfo_endpoint == upstream.userinfo_endpoint
    assert upstream.endpoint.startswith("http://127.0.0.1:")
    assert upstream.endpoint != local_idp.endpoint
    assert upstream.password_of("octo") == "octo-password"
    assert not hasattr(connector, "client_secret")


def test_no_connector_when_asked(social_idp_factory: Any) -> None:
    info = social_idp_factory("none")
    assert info.social_connectors == ()
    assert info.social_connector is None
    assert info.upstream is None
