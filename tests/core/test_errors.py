"""The error tree: one argument order, and tracebacks keep the technical detail."""

from __future__ import annotations

import traceback

import pytest

from desktop_app.errors import ConfigError, DesktopAppError, StorageError


def test_config_error_takes_the_message_first_like_every_error() -> None:
    error = ConfigError("The Logto app ID is empty.", field="app_id", advice="Enter it.")
    assert error.message == "The Logto app ID is empty."
    assert error.field == "app_id"
    assert error.user_message == "The Logto app ID is empty. Enter it."
    with pytest.raises(TypeError):
        ConfigError("app_id", "The Logto app ID is empty.")  # type: ignore[call-arg]


def test_a_traceback_shows_the_detail_a_window_does_not() -> None:
    error = StorageError("Could not save.", advice="Try again.", detail="keyring: DBusError")
    assert error.user_message == "Could not save. Try again."
    assert "keyring: DBusError" in str(error)
    shown = "".join(traceback.format_exception(error))
    assert "keyring: DBusError" in shown
    assert str(DesktopAppError("No detail.")) == "No detail."


def test_an_authorization_error_is_the_providers_answer() -> None:
    from desktop_app.errors import AuthorizationError, IdpError

    error = AuthorizationError("access_denied", "The person said no.")
    assert isinstance(error, IdpError)
    assert (error.error, error.description) == ("access_denied", "The person said no.")
    # Told in the app's words; the provider's own text is kept for the log.
    assert error.message == (
        "Sign-in did not complete: the sign-in was cancelled or refused in the browser."
    )
    assert "The person said no." in error.detail
