"""Settings: sources, precedence, validation messages that name the field, saving."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app import config
from desktop_app.errors import ConfigError


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'endpoint = "https://file.logto.app"\napp_id = "file-app"\nscopes = ["email"]\n'
    )
    env = {"DESKTOP_APP_APP_ID": "env-app", "DESKTOP_APP_SCOPES": "email identities"}
    settings = config.load(
        config_path=path, environ=env, overrides={"endpoint": "https://flag.logto.app/"}
    )
    assert settings.endpoint == "https://flag.logto.app"  # trailing slash normalised
    assert settings.app_id == "env-app"
    assert settings.scopes == ("email", "identities")
    # The issuer comes from discovery (logto_client checks it); Settings keeps no second copy.
    assert not hasattr(settings, "issuer")
    assert settings.registered_redirect_uri == "http://127.0.0.1/callback"


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"app_id": "a"}, "endpoint", "not set"),
        ({"endpoint": "ftp://x", "app_id": "a"}, "endpoint", "not an http"),
        ({"endpoint": "http://auth.example.com", "app_id": "a"}, "endpoint", "plain http"),
        ({"endpoint": "https://x.logto.app/oidc", "app_id": "a"}, "endpoint", "/oidc"),
        ({"endpoint": "https://x.logto.app?a=1", "app_id": "a"}, "endpoint", "query"),
        ({"endpoint": "https://x.logto.app"}, "app_id", "not set"),
        ({"endpoint": "https://x.logto.app", "app_id": "a b"}, "app_id", "characters"),
        (
            {"endpoint": "https://x.logto.app", "app_id": "a", "redirect_port": 80},
            "redirect_port",
            "range",
        ),
        (
            {"endpoint": "https://x.logto.app", "app_id": "a", "redirect_port": "x"},
            "redirect_port",
            "number",
        ),
        (
            {"endpoint": "https://x.logto.app", "app_id": "a", "redirect_path": "cb"},
            "redirect_path",
            "start",
        ),
        (
            {"endpoint": "https://x.logto.app", "app_id": "a", "resources": ["api"]},
            "resources",
            "absolute",
        ),
        ({"endpoint": "https://x.logto.app", "app_id": "a", "scopes": ['a"b']}, "scopes", "valid"),
        (
            {"endpoint": "https://x.logto.app", "app_id": "a", "social_target": "Bad Target"},
            "social_target",
            "not valid",
        ),
        ({"endpoint": "https://x.logto.app", "app_id": "a", "colour": "red"}, "colour", "Unknown"),
    ],
)
def test_bad_values_name_their_field(raw: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.validate(raw)
    assert caught.value.field == field
    assert words in caught.value.message


def test_loopback_http_endpoint_is_allowed_for_local_servers() -> None:
    settings = config.validate({"endpoint": "http://127.0.0.1:3001", "app_id": "abc"})
    assert settings.endpoint == "http://127.0.0.1:3001"


def test_broken_toml_says_which_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("endpoint = ")
    with pytest.raises(ConfigError) as caught:
        config.load(config_path=path, environ={})
    assert str(path) in caught.value.message


def test_save_round_trips(tmp_path: Path) -> None:
    settings = config.validate(
        {
            "endpoint": "https://x.logto.app",
            "app_id": "abc",
            "resources": ["https://api.example.com"],
            "social_target": "oauth2",
        }
    )
    path = config.save(settings, tmp_path / "sub" / "config.toml")
    assert config.load(config_path=path, environ={}) == settings
    assert config.is_configured(config_path=path, environ={})
    assert not config.is_configured(config_path=tmp_path / "absent.toml", environ={})


def test_the_app_has_one_name_and_it_is_not_a_logto_app_id() -> None:
    from desktop_app import app

    # APP_ID read like Logto's App ID; the Qt/desktop/config name is desktop_app.APP_NAME only.
    assert not hasattr(app, "APP_ID")
    # vars(): each module's own global, imported from desktop_app (mypy: not a re-export).
    assert vars(app)["APP_NAME"] == vars(config)["APP_NAME"] == "desktop-app"
