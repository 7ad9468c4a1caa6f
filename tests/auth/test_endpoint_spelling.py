"""One spelling of a Logto endpoint (config.endpoint_spelling) for every place that uses one:
the saved settings, the keyring service name and the client's issuer. The three were written
separately once and disagreed on a default port, an IDN host and an IPv6 literal, so one
tenant could get two keyring entries, or an issuer that never matches Logto's."""

from __future__ import annotations

import pytest

from desktop_app import config
from desktop_app.auth.http import web_origin
from desktop_app.auth.logto_client import LogtoNativeClient
from desktop_app.auth.storage import SessionOnlyStorage, service_name_for
from desktop_app.errors import ConfigError

SPELLINGS = [
    ("https://tenant.logto.app/", "https://tenant.logto.app"),
    ("HTTPS://Tenant.Logto.APP", "https://tenant.logto.app"),
    ("https://tenant.logto.app:443", "https://tenant.logto.app"),
    ("https://tenant.logto.app:8443/", "https://tenant.logto.app:8443"),
    ("http://localhost:80", "http://localhost"),
    ("http://LocalHost:3001//", "http://localhost:3001"),
    ("https://Bücher.example", "https://xn--bcher-kva.example"),
    ("http://[0:0::1]:3001/", "http://[::1]:3001"),
    ("http://[::1]:443", "http://[::1]:443"),  # 443 is no default for http
]


@pytest.mark.parametrize(("typed", "endpoint"), SPELLINGS)
def test_every_caller_spells_the_endpoint_the_same(typed: str, endpoint: str) -> None:
    assert config.endpoint_spelling(typed) == endpoint
    assert config.validate_endpoint(typed) == endpoint
    assert config.validate({"endpoint": typed, "app_id": "app"}).endpoint == endpoint
    assert service_name_for(typed, "app") == f"desktop_app:{endpoint}#app"
    client = LogtoNativeClient(typed, "app", SessionOnlyStorage())
    assert client.endpoint == endpoint
    assert client.issuer == f"{endpoint}/oidc"
    # An endpoint is its own web origin, the form the form_post Origin check compares.
    assert web_origin(client.issuer) == endpoint


@pytest.mark.parametrize(("typed", "endpoint"), SPELLINGS)
def test_a_saved_endpoint_keeps_its_keyring_entry(typed: str, endpoint: str) -> None:
    # What the settings saved names the same entry as what was typed: nobody is signed out by
    # saving the settings again.
    assert service_name_for(endpoint, "app") == service_name_for(typed, "app")


@pytest.mark.parametrize(
    "typed", ["https://tenant.logto.app/base", "ftp://tenant.logto.app", "https://x:0"]
)
def test_what_the_settings_refuse_no_caller_accepts(typed: str) -> None:
    for use in (
        config.endpoint_spelling,
        config.validate_endpoint,
        lambda e: service_name_for(e, "app"),
        lambda e: LogtoNativeClient(e, "app", SessionOnlyStorage()),
    ):
        with pytest.raises(ConfigError) as caught:
            use(typed)
        assert caught.value.field == "endpoint"


def test_plain_http_off_this_machine_is_refused_by_the_settings_only() -> None:
    # A policy for what a person may type (tokens over plain http); the spelling is the same, so
    # a test provider reachable only through a proxy can still be used by the client.
    typed = "http://Auth.Example.com:80/"
    with pytest.raises(ConfigError, match="plain http"):
        config.validate_endpoint(typed)
    assert config.endpoint_spelling(typed) == "http://auth.example.com"
    assert service_name_for(typed, "app") == "desktop_app:http://auth.example.com#app"
    assert LogtoNativeClient(typed, "app", SessionOnlyStorage()).issuer == (
        "http://auth.example.com/oidc"
    )
