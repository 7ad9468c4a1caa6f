"""Which proxy a URL goes through: the person's settings, read by the standard library, with
our rules on top (never loopback, ALL_PROXY counted, only http/https proxies, no credentials
shown). The real proxy is in tests/proxy."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from desktop_app.auth.http import _proxy_refused_login
from desktop_app.auth.proxy import Proxy, proxy_for
from desktop_app.errors import ConfigError


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3001/oidc/token",
        "http://127.8.9.1/",
        "http://localhost:3001/",
        "http://app.localhost/",
        "http://[::1]:3001/",
    ],
)
def test_loopback_never_goes_through_a_proxy(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.test:3128")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example.test:3128")
    assert proxy_for(url) is None


def test_the_scheme_proxy_with_its_login_and_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://me%40corp:p%3Ass@proxy.example.test:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://other.example.test:8080")
    proxy = proxy_for("https://tenant.logto.app/oidc/token")
    assert proxy == Proxy(
        url="http://proxy.example.test:3128",
        username="me@corp",
        password="p:ss",
        source="the HTTPS_PROXY environment variable",
    )
    assert proxy.display == "proxy.example.test:3128"
    assert proxy_for("http://tenant.example.test/") == Proxy(
        url="http://other.example.test:8080", source="the HTTP_PROXY environment variable"
    )


def test_all_proxy_counts_when_no_scheme_proxy_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "proxy.example.test:3128")  # no scheme: http
    proxy = proxy_for("https://tenant.logto.app/")
    assert proxy is not None
    assert proxy.url == "http://proxy.example.test:3128"
    assert proxy.source == "the ALL_PROXY environment variable"


@pytest.mark.parametrize(
    ("no_proxy", "proxied"),
    [
        ("tenant.logto.app", False),
        (".logto.app", False),
        ("logto.app", False),
        ("*", False),
        ("tenant.logto.app:443", False),
        ("other.example.test", True),
        ("", True),
    ],
)
def test_no_proxy_is_honoured(
    no_proxy: str, proxied: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert (proxy_for("https://tenant.logto.app:443/oidc") is not None) is proxied


def test_a_socks_proxy_is_a_clear_error_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://me:hunter2@proxy.example.test:1080")
    with pytest.raises(ConfigError) as caught:
        proxy_for("https://tenant.logto.app/")
    assert "only HTTP or HTTPS proxies" in caught.value.message
    assert "socks5://proxy.example.test:1080" in caught.value.message
    assert "hunter2" not in caught.value.user_message


def test_no_proxy_setting_means_a_direct_connection() -> None:
    assert proxy_for("https://tenant.logto.app/", proxies={}) is None


LOGIN = Proxy(url="http://proxy.example.test:3128", username="me", password="pw")


@pytest.mark.parametrize(
    ("status", "challenge", "body", "sent", "expected"),
    [
        (407, "Basic", b"", None, True),
        # tinyproxy's answer to a wrong login: 401 and a Basic challenge, HTML body.
        (401, 'Basic realm="Tinyproxy"', b"<html>", None, True),
        # Logto's own 401s are JSON (or Bearer challenges), and answer an Authorization we sent.
        (401, 'Basic realm="x"', b'{"error": "invalid_client"}', None, False),
        (401, 'Bearer error="invalid_token"', b"", None, False),
        (401, 'Basic realm="x"', b"<html>", {"Authorization": "Bearer x"}, False),
        (200, "", b"{}", None, False),
    ],
)
def test_when_an_answer_is_the_proxy_refusing_the_login(
    status: int, challenge: str, body: bytes, sent: dict[str, str] | None, expected: bool
) -> None:
    headers = CIMultiDict({"WWW-Authenticate": challenge} if challenge else {})
    assert _proxy_refused_login(LOGIN, status, headers, body, sent) is expected
    no_login = Proxy(url=LOGIN.url)
    assert _proxy_refused_login(no_login, status, headers, body, sent) is (status == 407)
