"""HTTP for the auth core: one aiohttp session, a timeout on every request, typed errors.

Connection failures become :class:`~desktop_app.errors.NetworkError` (the server never saw the
request), a timeout or dropped connection after sending becomes
:class:`~desktop_app.errors.ResponseLostError` (it may have), and OAuth error bodies (RFC 6749
5.2, or Logto's ``{code, message}``) become :class:`~desktop_app.errors.IdpError` subclasses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from desktop_app.errors import (
    IdpError,
    InvalidGrantError,
    NetworkError,
    ResponseLostError,
)

USER_AGENT = "desktop_app (logto-python 0.2.1)"

# A urlencoded form body: a mapping, or pairs when a name repeats (RFC 8707 ``resource``).
Form = Mapping[str, str] | Sequence[tuple[str, str]]

# What each request is for, in words for people: messages never name the protocol step
# ("discovery", "revocation") without saying what it means.
_DOING = {
    "discovery": "while looking up its sign-in settings",
    "signing keys": "while fetching the keys that prove its answers are genuine",
    "token": "while getting your sign-in tokens",
    "user info": "while loading your profile",
    "revocation": "while ending your session at Logto",
    "sign-in": "while starting the sign-in",
}


def doing(what: str) -> str:
    """``what`` (a request's short name) as a phrase for people, e.g. "while loading your
    profile"."""
    return _DOING.get(what, f"while handling the {what} request")


class Http:
    """One aiohttp session with a timeout on every request and errors turned into ours."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        self._endpoint = endpoint
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _unreachable(self, what: str, exc: BaseException) -> NetworkError:
        host = urlsplit(self._endpoint).hostname or self._endpoint
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            # Not a refused connection: no server of that name was found at all.
            return NetworkError(
                f"The Logto server's name {host} could not be found.",
                advice="Check the endpoint in Settings for a typo; if it is right, check your "
                "internet connection (or VPN), then try again.",
                detail=f"{type(exc).__name__} {doing(what)}",
            )
        return NetworkError(
            f"Could not reach the Logto server at {self._endpoint} {doing(what)}.",
            advice="Check your internet connection and the endpoint in Settings, then try again.",
            detail=f"{type(exc).__name__}",
        )

    def _lost(self, what: str, exc: BaseException) -> ResponseLostError:
        return ResponseLostError(
            f"Could not reach the Logto server at {self._endpoint} {doing(what)}: it did not "
            "answer in time or dropped the connection.",
            advice="Check your internet connection, then try again.",
            detail=f"{type(exc).__name__}",
        )

    async def send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: Form | None = None,
        headers: Mapping[str, str] | None = None,
        read_body: bool = True,
    ) -> Any:
        """Send a request; return its JSON body (None when empty); raise NetworkError/IdpError.

        A failure to connect raises :class:`NetworkError` (the server never saw the request);
        a timeout or dropped connection after that raises :class:`ResponseLostError` (it may
        have). ``read_body=False`` ignores the body of a successful answer (RFC 7009 2.2).
        """
        try:
            async with self._client().request(
                method, url, data=data, headers=headers, allow_redirects=False
            ) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise self._unreachable(what, exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise self._lost(what, exc) from None
        if not read_body and status < 400:
            return None
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            payload = ValueError
        if status >= 400:
            raise idp_error(what, status, payload)
        if payload is ValueError:
            raise _unreadable(what, status)
        return payload

    async def json(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: Form | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Like :meth:`send`, but an empty or non-object body is an error too."""
        payload = await self.send(method, url, what=what, data=data, headers=headers)
        if not isinstance(payload, dict):
            raise _unreadable(what, None)
        return payload

    async def probe(self, url: str, *, what: str) -> tuple[int, str, str]:
        """GET without following redirects: (status, Location, body text)."""
        try:
            async with self._client().get(url, allow_redirects=False) as resp:
                text = (await resp.content.read(64 * 1024)).decode("utf-8", "replace")
                return resp.status, resp.headers.get("Location", ""), text
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise self._unreachable(what, exc) from None


def _unreadable(what: str, status: int | None) -> IdpError:
    return IdpError(
        f"The Logto server sent an unreadable answer {doing(what)}.",
        status=status,
        advice="Try again later; if it keeps happening, check the endpoint in Settings.",
    )


def idp_error(what: str, status: int, payload: object) -> IdpError:
    """An OAuth error body (RFC 6749 5.2) or Logto's ``{code, message}`` as a typed error."""
    error = description = ""
    if isinstance(payload, dict):
        error = str(payload.get("error") or payload.get("code") or "")
        description = str(payload.get("error_description") or payload.get("message") or "")
    # Descriptions are written by the IdP for people; keep them short and single-line.
    description = " ".join(description.split())[:300]
    # Only the token endpoint (and revocation) speak about grants; elsewhere it is just an error.
    if error in {"invalid_grant", "oidc.invalid_grant"} and what in {"token", "revocation"}:
        return InvalidGrantError(
            "Your session has expired or was ended.",
            error=error,
            description=description,
            status=status,
            advice="Please sign in again.",
        )
    error = error.removeprefix("oidc.")
    if what == "token" and error in {"invalid_client", "unauthorized_client"}:
        # The sign-in itself was accepted, so the app exists: Logto wants a client secret (a
        # Traditional web app) or does not let this app type sign people in. A public client
        # has no secret (RFC 8252 8.4); the redirect URI is not the problem here.
        return IdpError(
            "The app in Logto is not a Native app (it may be a Traditional web app, which "
            "needs a client secret a desktop app cannot keep).",
            error=error,
            description=description,
            status=status,
            advice="In the Logto Console, create an application of type Native, add the "
            "redirect URI http://127.0.0.1/callback, and put its App ID in Settings.",
        )
    if error == "invalid_client":
        return IdpError(
            f"Logto does not accept this app ({description or error}).",
            error=error,
            description=description,
            status=status,
            advice="Check the App ID in Settings and that the app in the Logto Console is a "
            "Native app.",
        )
    if what == "token" and error == "invalid_target":
        # RFC 8707 2: the refresh token was not granted for that API.
        return IdpError(
            "Logto will not issue a token for this API: it was not part of your sign-in.",
            error=error,
            description=description,
            status=status,
            advice="Add the API's identifier (exactly as in the Logto Console) to the API "
            "resources in Settings, then sign out and sign in again.",
        )
    text = description or error or f"HTTP {status}"
    return IdpError(
        f"The Logto server refused a request {doing(what)}: {text}.",
        error=error,
        description=description,
        status=status,
        advice="Try again; if it keeps happening, check your settings.",
    )
