"""One error tree for desktop_app. Every error carries a message written for people.

::

    DesktopAppError                 message (what happened) + advice (what to do next)
    ├── ConfigError                 bad settings: names the field and the value's problem
    ├── StorageError                the keyring could not be used
    │   └── KeyringUnavailableError no backend, locked, or failing; never falls back to plaintext
    │       └── UnencryptedKeyringError the keyring in use stores secrets unencrypted: refused
    └── AuthError                   anything in the sign-in flow
        ├── NetworkError            the identity provider could not be reached (offline, timeout)
        │   ├── ResponseLostError   the request went out but no answer came back (it may have acted)
        │   └── ProxyError          the HTTP proxy in use refused us (no connection, wrong login)
        ├── IdpError                the identity provider answered with an error (error, description)
        │   ├── InvalidGrantError   the session is over (refresh token revoked/expired): sign in again
        │   ├── RedirectUriError    the redirect URI is not registered for the app
        │   └── AuthorizationError  the browser came back with ``error=`` (e.g. access_denied)
        ├── TokenValidationError    an ID token, issuer, nonce or subject failed the OIDC checks
        ├── SignInCancelled         the person cancelled in the app
        ├── SignInTimeout           nothing came back from the browser in time
        └── BrowserForcedHttpsError timed out after TLS reached the plain-HTTP loopback listener

Messages never contain tokens, codes, verifiers or secrets: callers pass only descriptions that
the identity provider wrote for people, and ``detail`` (logged, not shown) is held to the same rule.
"""

from __future__ import annotations

from typing import ClassVar


class DesktopAppError(Exception):
    """Base of every error desktop_app raises on purpose.

    ``message`` says what happened, ``advice`` what the person can do next; both are shown.
    ``detail`` is technical context for the log only.
    """

    def __init__(self, message: str, *, advice: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice
        self.detail = detail

    @property
    def user_message(self) -> str:
        """The message and the advice together, as a window or a CLI shows them."""
        return f"{self.message} {self.advice}".strip()

    def __str__(self) -> str:
        # What a traceback or a log line shows: the person's text, then the technical context
        # (held to the same no-secrets rule). Windows show user_message, never str().
        if self.detail:
            return f"{self.user_message} [{self.detail}]"
        return self.user_message


class ConfigError(DesktopAppError):
    """A setting is missing or invalid; ``field`` names it.

    The message comes first, as in every error of the tree: ``ConfigError(message, field=...)``.
    """

    def __init__(self, message: str, *, field: str, advice: str = "", detail: str = "") -> None:
        super().__init__(message, advice=advice, detail=detail)
        self.field = field


class StorageError(DesktopAppError):
    """The token store could not be read or written."""


class KeyringUnavailableError(StorageError):
    """The OS keyring is missing, locked or failing. Tokens are never written elsewhere instead.

    ``backend`` names the keyring backend in use (for the UI), or is empty when none was found.
    """

    def __init__(
        self, message: str, *, advice: str = "", detail: str = "", backend: str = ""
    ) -> None:
        super().__init__(message, advice=advice, detail=detail)
        self.backend = backend


class UnencryptedKeyringError(KeyringUnavailableError):
    """The keyring backend in use does not encrypt what it stores (a plaintext file, say), so
    tokens are not kept there. The person can choose session-only mode instead."""


class AuthError(DesktopAppError):
    """Something in the sign-in flow failed."""


class NetworkError(AuthError):
    """The identity provider could not be reached: offline, refused, or too slow."""


class ResponseLostError(NetworkError):
    """A request was sent but no answer came back (timeout, dropped connection).

    Unlike a refused connection, the server may have acted on it: a refresh token sent this way
    may already have been rotated, so it must not be sent again (Logto revokes the grant on replay).
    """


class ProxyError(NetworkError):
    """The HTTP proxy in use could not be reached or refused the request (HTTP 407: missing or
    wrong credentials). The identity provider never saw the request."""


class IdpError(AuthError):
    """The identity provider answered with an OAuth/OIDC error.

    ``error`` is the OAuth error code (e.g. ``invalid_request``); ``description`` is the
    provider's own human-readable ``error_description`` when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str = "",
        description: str = "",
        status: int | None = None,
        advice: str = "",
        detail: str = "",
    ) -> None:
        super().__init__(message, advice=advice, detail=detail)
        self.error = error
        self.description = description
        self.status = status


class InvalidGrantError(IdpError):
    """The refresh token (or code) is no longer valid: the person must sign in again."""


class RedirectUriError(IdpError):
    """The identity provider does not accept this app's redirect URI."""


class TokenValidationError(AuthError):
    """A token or response failed the checks of OpenID Connect Core 3.1.3.7 / 5.3.2 / RFC 9207."""


class AuthorizationError(IdpError):
    """The authorization endpoint redirected back with ``error`` (RFC 6749 4.1.2.1): the
    provider's answer, so an :class:`IdpError` with its ``error`` and ``description``."""

    # What the standard error codes mean for the person (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6).
    # The provider's own description ("End-User aborted interaction") goes to the log only.
    _MEANINGS: ClassVar[dict[str, str]] = {
        "access_denied": "the sign-in was cancelled or refused in the browser",
        "invalid_scope": "Logto refused one of the requested scopes",
        "invalid_target": "Logto refused one of the requested API resources",
        "unsupported_response_type": "Logto does not allow this kind of sign-in for the app",
        "login_required": "Logto needs you to sign in again",
        "consent_required": "Logto needs you to agree to what the app asks for",
        "interaction_required": "Logto needs you to sign in again",
        "server_error": "Logto ran into a problem of its own",
        "temporarily_unavailable": "Logto is busy or down for a moment",
    }

    def __init__(self, error: str, description: str = "", *, advice: str = "") -> None:
        meaning = self._MEANINGS.get(error)
        text = meaning or f"Logto answered {(description or error)!r}"
        super().__init__(
            f"Sign-in did not complete: {text}.",
            error=error,
            description=description,
            advice=advice,
            detail=f"error={error!r} description={description!r}",
        )


class SignInCancelled(AuthError):
    """The person cancelled the sign-in in the app."""

    def __init__(self) -> None:
        super().__init__("Sign-in was cancelled.")


class SignInTimeout(AuthError):
    """The browser did not come back to the app before the timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"Sign-in timed out: nothing came back from the browser within {seconds:g} seconds.",
            advice="Click Sign in to try again.",
        )
        self.seconds = seconds


class BrowserForcedHttpsError(AuthError):
    """The sign-in timed out after a TLS handshake arrived on the plain-HTTP loopback listener.

    The handshake alone proves nothing (any local program can send one), so this is raised only
    when nothing came back in time; ``seconds`` is that timeout.
    """

    def __init__(self, seconds: float | None = None) -> None:
        waited = f" within {seconds:g} seconds" if seconds is not None else ""
        super().__init__(
            f"Sign-in timed out: nothing came back from the browser{waited}, and something "
            "tried to reach this app over HTTPS, while the sign-in callback is plain HTTP on "
            "127.0.0.1. A browser that forces HTTPS does that.",
            advice="If your browser uses 'Always use secure connections' / HTTPS-only mode, "
            "allow http://127.0.0.1 there, then sign in again.",
        )
        self.seconds = seconds
