"""One reader of OAuth error bodies (RFC 6749 5.2, and Logto's ``{code, message}``) for both
the answers of Http.send and the sign-in probe's body."""

from __future__ import annotations

import pytest

from desktop_app.auth.http import idp_error, oauth_error
from desktop_app.errors import InvalidGrantError


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "invalid_request", "error_description": "no"}, ("invalid_request", "no")),
        ('{"error": "invalid_scope"}', ("invalid_scope", "")),
        (b'{"code": "oidc.invalid_redirect_uri", "message": "m"}', ("invalid_redirect_uri", "m")),
        ({"error": "x", "error_description": " two\n  lines\t"}, ("x", "two lines")),
        ({"error": "x", "error_description": "y" * 400}, ("x", "y" * 300)),
        ("<html>Bad Gateway</html>", ("", "")),
        ("", ("", "")),
        ('["error"]', ("", "")),
        (None, ("", "")),
    ],
)
def test_error_fields_are_read_the_same_from_text_bytes_and_parsed_json(
    body: object, expected: tuple[str, str]
) -> None:
    assert oauth_error(body) == expected


def test_logto_spelling_of_invalid_grant_is_the_same_error() -> None:
    for payload in ({"error": "invalid_grant"}, {"code": "oidc.invalid_grant", "message": "gone"}):
        error = idp_error("token", 400, payload)
        assert isinstance(error, InvalidGrantError)
        assert error.error == "invalid_grant"
