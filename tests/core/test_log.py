"""The redacting log filter: the second line of defence behind never logging secrets."""

from __future__ import annotations

import logging

import pytest

from desktop_app.log import REDACTED, RedactingFilter, redact

JWT = "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    "text",
    [
        f"token {JWT} expired",
        "GET /callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
        "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA",
        "{'code_verifier': 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r'}",
        '{"access_token": "SlAV32hkKG", "id_token": "abc"}',
        "Authorization: Bearer mF_9.B5f-4.1JqM",
        "password=hunter2-secret",
    ],
)
def test_secrets_are_redacted(text: str) -> None:
    out = redact(text)
    for secret in (
        JWT,
        "SplxlOBeZQQYbYS6WxSbIA",
        "af0ifjsldkj",
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r",
        "SlAV32hkKG",
        "mF_9.B5f-4.1JqM",
        "hunter2-secret",
    ):
        assert secret not in out
    assert REDACTED in out


def test_filter_rewrites_args_and_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.DEBUG, logger="test.redaction"):
            try:
                raise ValueError(f"bad token {JWT}")
            except ValueError:
                logger.exception("failed with %s", "code=abcdef123")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert JWT not in text
    assert "abcdef123" not in text


@pytest.mark.parametrize(
    "text",
    [
        "Session state: signed_in",
        "Session state: waiting_for_browser",
        "The token endpoint answered with status code: 500",
        "Sign-in failed: InvalidGrantError",
        "Could not revoke the refresh token: Logto did not answer.",
        "Loopback GET '/callback' -> 303",
        "Missing authorization: the person cancelled",
        "nonce mismatch; code exchange refused; state unknown",
        "grant_type=refresh_token",
    ],
)
def test_ordinary_messages_survive(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("http://127.0.0.1:5000/callback?state=s3cr3t-state&code=abc", "s3cr3t-state"),
        ("TokenResponse(access_token='opaque-access-1', expires_in=3600)", "opaque-access-1"),
        ("{'state': 'dict-state-1', 'x': 1}", "dict-state-1"),
        ('{"refresh_token":"json-refresh-1"}', "json-refresh-1"),
        ("Cookie: _session=cookie-value-1", "cookie-value-1"),
        ("{'Authorization': 'Basic YmFzaWMtY3JlZHM='}", "YmFzaWMtY3JlZHM="),
        ("request_uri=urn:ietf:params:oauth:request_uri:par-1", "par-1"),
    ],
)
def test_secrets_in_query_json_repr_and_header_context_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out
