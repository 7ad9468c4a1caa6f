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
