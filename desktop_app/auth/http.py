"""HTTP for the auth core: one aiohttp session, a timeout on every request, typed errors.

Connection failures become :class:`~desktop_app.errors.NetworkError` (the server never saw the
request), a timeout or dropped connection after sending becomes
:class:`~desktop_app.errors.ResponseLostError` (it may have), and OAuth error bodies (RFC 6749
5.2, or Logto's ``{code, message}``) become :class:`~desktop_app.errors.IdpError` subclasses.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from desktop_app.auth.proxy import Proxy, proxy_for
from desktop_app.errors import (
    ConfigError,
    IdpError,
    InvalidGrantError,
    NetworkError,
    ProxyError,
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


def web_origin(url: str) -> str:
    """The origin a browser sends in ``Origin`` for pages at ``url`` (RFC 6454 6.1): scheme,
    host (lower case, IDN as punycode), port unless the default; no path. ValueError for what
    has no web origin (not http(s), no host, a bad port, credentials)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    port = parts.port  # ValueError for a port that is not one
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} has no http(s) origin")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} carries credentials; an origin has none")
    host = parts.hostname.lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")  # browsers send IDN hosts as punycode
    if ":" in host:
        host = f"[{host}]"
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


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

    def _proxy(self, url: str) -> Proxy | None:
        try:
            return proxy_for(url)
        except ConfigError as exc:
            raise ProxyError(exc.message, advice=exc.advice) from None

    def _proxy_args(
        self, url: str, proxy: Proxy | None, headers: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """aiohttp's arguments for ``url`` through ``proxy``, the proxy's login included."""
        if proxy is None:
            return {"headers": headers}
        if not proxy.username:
            return {"proxy": proxy.url, "headers": headers}
        # RFC 9110 11.7.2. For https it goes on the CONNECT request only, never into the
        # tunnel to Logto; a plain-http request is sent to the proxy itself, which consumes it
        # (a hop-by-hop field). aiohttp copies proxy_headers only onto CONNECT.
        login = {"Proxy-Authorization": aiohttp.encode_basic_auth(proxy.username, proxy.password)}
        if url.lower().startswith("https:"):
            return {"proxy": proxy.url, "proxy_headers": login, "headers": headers}
        return {"proxy": proxy.url, "headers": {**(headers or {}), **login}}

    def _proxy_refused(self, what: str, proxy: Proxy, status: int) -> ProxyError:
        if status == 407:
            if proxy.username:
                message = (
                    f"The proxy {proxy.display} did not accept the user name and password "
                    f"set in {proxy.source} {doing(what)}."
                )
                advice = "Check the user name and password in the proxy setting, then try again."
            else:
                message = (
                    f"The proxy {proxy.display} asks for a user name and password {doing(what)}."
                )
                advice = (
                    "Put them in the proxy setting (http://user:password@proxy:port in "
                    f"{proxy.source}), then try again."
                )
            return ProxyError(message, advice=advice, detail=f"HTTP {status} from the proxy")
        return ProxyError(
            f"The proxy {proxy.display} refused to connect to the Logto server at "
            f"{self._endpoint} {doing(what)} (HTTP {status}).",
            advice="Check that the proxy allows this address, or ask whoever runs it.",
            detail=f"HTTP {status} from the proxy",
        )

    def _failed(self, what: str, proxy: Proxy | None, exc: BaseException) -> NetworkError:
        """A request that raised, as one of our errors (the proxy named when there is one)."""
        if proxy is not None:
            if isinstance(exc, aiohttp.ClientHttpProxyError):
                # CONNECT refused; tinyproxy says 401 (not 407) to a wrong login.
                return self._proxy_refused(what, proxy, 407 if exc.status == 401 else exc.status)
            if isinstance(exc, aiohttp.ClientProxyConnectionError):
                return ProxyError(
                    f"Could not reach the proxy {proxy.display} (set in {proxy.source}) "
                    f"{doing(what)}.",
                    advice="Check that the proxy is running and the proxy setting is right, "
                    "or unset it to connect directly; then try again.",
                    detail=type(exc).__name__,
                )
        if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
            return self._unreachable(what, exc, proxy)
        return self._lost(what, exc, proxy)

    def _unreachable(
        self, what: str, exc: BaseException, proxy: Proxy | None = None
    ) -> NetworkError:
        if proxy is not None:
            return NetworkError(
                f"Could not reach the Logto server at {self._endpoint} through the proxy "
                f"{proxy.display} {doing(what)}.",
                advice="Check your network, the proxy setting and the endpoint in Settings, "
                "then try again.",
                detail=type(exc).__name__,
            )
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

    def _lost(self, what: str, exc: BaseException, proxy: Proxy | None = None) -> ResponseLostError:
        if proxy is not None:
            return ResponseLostError(
                f"No answer came from the Logto server at {self._endpoint} through the proxy "
                f"{proxy.display} {doing(what)}: the proxy did not answer in time or dropped "
                "the connection.",
                advice="Check that the proxy works (or unset it to connect directly), then "
                "try again.",
                detail=type(exc).__name__,
            )
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
        proxy = self._proxy(url)
        try:
            async with self._client().request(
                method,
                url,
                data=data,
                allow_redirects=False,
                **self._proxy_args(url, proxy, headers),
            ) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise self._failed(what, proxy, exc) from None
        if proxy is not None and _proxy_refused_login(proxy, status, resp.headers, body, headers):
            # A plain-http request through the proxy: its refusal comes as the answer itself.
            raise self._proxy_refused(what, proxy, 407)
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
        proxy = self._proxy(url)
        try:
            async with self._client().get(
                url, allow_redirects=False, **self._proxy_args(url, proxy, None)
            ) as resp:
                text = (await resp.content.read(64 * 1024)).decode("utf-8", "replace")
                status, location = resp.status, resp.headers.get("Location", "")
                headers = resp.headers
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = self._failed(what, proxy, exc)
            if isinstance(error, ProxyError):
                raise error from None
            raise self._unreachable(what, exc, proxy) from None
        if proxy is not None and _proxy_refused_login(proxy, status, headers, b"", None):
            raise self._proxy_refused(what, proxy, 407)
        return status, location, text


def _proxy_refused_login(
    proxy: Proxy,
    status: int,
    answer: Mapping[str, str],
    body: bytes,
    sent: Mapping[str, str] | None,
) -> bool:
    """Whether a plain-http answer is the proxy refusing our login, not the server's answer.

    407 always is (RFC 9110 15.5.8). tinyproxy answers a *wrong* login with 401 and a Basic
    challenge instead; Logto never asks a public client for Basic authentication and its own
    401s carry JSON, so a non-JSON Basic challenge to a request without ``Authorization`` is
    the proxy's.
    """
    if status == 407:
        return True
    if status != 401 or not proxy.username or (sent and "Authorization" in sent):
        return False
    challenge = answer.get("WWW-Authenticate", "").lower()
    return challenge.startswith("basic") and not body.lstrip().startswith(b"{")


def _unreadable(what: str, status: int | None) -> IdpError:
    return IdpError(
        f"The Logto server sent an unreadable answer {doing(what)}.",
        status=status,
        advice="Try again later; if it keeps happening, check the endpoint in Settings.",
    )


def oauth_error(payload: object) -> tuple[str, str]:
    """``(error, error_description)`` of an OAuth error body (RFC 6749 5.2) or of Logto's
    ``{code, message}`` (its ``oidc.`` prefix dropped); empty strings when ``payload`` (parsed
    JSON, or the raw body as text or bytes) is not one, e.g. an HTML error page."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError:
            return "", ""
    if not isinstance(payload, dict):
        return "", ""
    error = str(payload.get("error") or payload.get("code") or "").removeprefix("oidc.")
    description = str(payload.get("error_description") or payload.get("message") or "")
    # Descriptions are written by the IdP for people; keep them short and single-line.
    return error, " ".join(description.split())[:300]


_NOT_NATIVE = (
    # The sign-in itself was accepted, so the app exists: Logto wants a client secret (a
    # Traditional web app) or does not let this app type sign people in. A public client has no
    # secret (RFC 8252 8.4); the redirect URI is not the problem here.
    "The app in Logto is not a Native app (it may be a Traditional web app, which needs a "
    "client secret a desktop app cannot keep).",
    "In the Logto Console, create an application of type Native, add the redirect URI "
    "http://127.0.0.1/callback, and put its App ID in Settings.",
)
# What the token endpoint's refusals mean here: (message, advice) by ``error``.
_TOKEN_REFUSALS = {
    "invalid_client": _NOT_NATIVE,
    "unauthorized_client": _NOT_NATIVE,
    # Logto's organization token grant (with 403): not a member (any more), or no such
    # organization.
    "access_denied": (
        "Logto will not issue a token for that organization: you are not a member of it.",
        "Pick another organization; if you were just added, sign out and sign in again.",
    ),
    "insufficient_scope": (
        "Logto will not issue organization tokens: organizations were not part of your sign-in.",
        "Turn on Organizations in Settings, then sign out and sign in again.",
    ),
    # RFC 8707 2: the refresh token was not granted for that API.
    "invalid_target": (
        "Logto will not issue a token for this API: it was not part of your sign-in.",
        "Add the API's identifier (exactly as in the Logto Console) to the API resources in "
        "Settings, then sign out and sign in again.",
    ),
}


def idp_error(what: str, status: int, payload: object) -> IdpError:
    """An OAuth error body (see :func:`oauth_error`) as a typed error."""
    error, description = oauth_error(payload)
    # Only the token endpoint (and revocation) speak about grants; elsewhere it is just an error.
    if error == "invalid_grant" and what in {"token", "revocation"}:
        return InvalidGrantError(
            "Your session has expired or was ended.",
            error=error,
            description=description,
            status=status,
            advice="Please sign in again.",
        )
    refusal = _TOKEN_REFUSALS.get(error) if what == "token" else None
    if refusal is not None and (error != "access_denied" or status == 403):
        message, advice = refusal
        return IdpError(message, error=error, description=description, status=status, advice=advice)
    if error == "invalid_client":
        return IdpError(
            f"Logto does not accept this app ({description or error}).",
            error=error,
            description=description,
            status=status,
            advice="Check the App ID in Settings and that the app in the Logto Console is a "
            "Native app.",
        )
    text = description or error or f"HTTP {status}"
    return IdpError(
        f"The Logto server refused a request {doing(what)}: {text}.",
        error=error,
        description=description,
        status=status,
        advice="Try again; if it keeps happening, check your settings.",
    )
