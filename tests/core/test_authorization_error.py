"""An error the browser brings back is told in the app's words, not the provider's."""

from __future__ import annotations

import pytest

from desktop_app.errors import AuthorizationError


@pytest.mark.parametrize(
    ("error", "description", "says"),
    [
        ("access_denied", "End-User aborted interaction", "cancelled or refused in the browser"),
        ("invalid_scope", "requested scope is not allowed", "requested scopes"),
        ("login_required", "End-User authentication is required", "sign in again"),
    ],
)
def test_a_known_error_is_told_in_plain_words(error: str, description: str, says: str) -> None:
    exc = AuthorizationError(error, description)
    assert says in exc.message
    assert description not in exc.user_message  # the provider's raw text is for the log
    assert description in exc.detail


def test_an_unknown_error_quotes_what_logto_said() -> None:
    exc = AuthorizationError("custom_error", "Something <b>odd</b>")
    assert "Logto answered 'Something <b>odd</b>'" in exc.message
    assert exc.error == "custom_error"
