"""The only module that imports ``logto``: the pinned SDK (0.2.1), fixed for a native public client.

The SDK keeps its data model here (``Storage`` keys, ``AccessTokenMap``, ``SignInSession``,
``TokenResponse``, ``LogtoConfig``) and builds the authorization URL (``signIn``, with PKCE and
state); its ``OidcCore`` is subclassed for the requests. The flow around them (code exchange,
refresh, what is stored when) is composed here behind the snake_case facade
:class:`LogtoNativeClient`, using public SDK names only: per-call data (the nonce of this
sign-in, the subject a refresh must keep) is passed as arguments to
:meth:`_NativeOidcCore.verify_id_token`, never left on a shared object. Every SDK name the
wrapper relies on is pinned by tests/auth/test_sdk_contract.py (``inspect.signature`` and
behaviour), so a different SDK build fails there instead of in a person's sign-in. Each defect
and its fix:

1. ``fetchTokenByCode`` posts ``client_secret=None``; Logto rejects a Native (public) app with
   ``invalid_client``. We post no secret at all (RFC 6749 2.3, RFC 8252 8.4).
2. ``PyJWKClient`` fetches JWKS with blocking I/O inside a coroutine. We fetch JWKS with aiohttp,
   cache it, and fetch once more when an unknown ``kid`` shows up (key rotation); ID-token
   verification then only reads the cache.
3. No timeouts and raw aiohttp/pydantic errors. Every request has a timeout and fails with a typed
   error from :mod:`desktop_app.errors`.
4. No refresh lock. One refresh at a time, in this process (``asyncio.Lock``) and across every
   process of the user that shares the keyring entry (a lock file, see :mod:`desktop_app.auth.refresh_guard`);
   the stored session is read again under the lock, and the rotated refresh token is written to
   the keyring before anything uses the new tokens (Logto revokes the grant on replay). A refresh
   token is presented at most once: see :meth:`LogtoNativeClient.access_token`.
5. ``signIn`` deletes ``accessToken`` (a key that does not exist) so the previous user's
   ``accessTokenMap`` survives a new sign-in, and it drops the ID and refresh tokens from memory
   while the keyring keeps them, so a cancelled sign-in leaves the two disagreeing. The previous
   session now stays whole, in memory and in the keyring, until the new sign-in's tokens are
   stored; every token of it is dropped then, and a previous account's refresh token is revoked
   once the new account's tokens are stored (a failed or cancelled sign-in keeps it).
6. No ``nonce``, no RFC 9207 ``iss`` check, no check that userinfo ``sub`` equals the ID token's.
   All three are added (OIDC Core 3.1.2.1, 3.1.3.7, 5.3.2; RFC 9207 2.4).
7. ``signOut`` only builds a URL. We also revoke the refresh token (RFC 7009) and wipe storage.
8. An endpoint with a trailing slash gives ``//oidc`` URLs; the endpoint is spelled first as the
   settings spell it (:func:`~desktop_app.config.endpoint_spelling`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import logto
import pydantic
from logto.LogtoClient import AccessToken, AccessTokenMap, SignInSession
from logto.OidcCore import OidcCore

from desktop_app.auth.http import Http, oauth_error, web_origin
from desktop_app.auth.refresh_guard import RefreshGuard
from desktop_app.auth.stored_session import SESSION_KEYS
from desktop_app.config import endpoint_spelling
from desktop_app.errors import (
    AuthorizationError,
    ConfigError,
    DesktopAppError,
    IdpError,
    InvalidGrantError,
    NetworkError,
    RedirectUriError,
    ResponseLostError,
    TokenValidationError,
)

if TYPE_CHECKING:  # storage imports keyring, which the client itself never needs
    from desktop_app.auth.storage import TokenStorage

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 15.0
# Asymmetric algorithms only: never "none", never HMAC with a public client's (absent) secret.
SUPPORTED_ALGORITHMS = (
    "ES384",
    "ES256",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)
CLOCK_SKEW = 60  # seconds of leeway for exp/iat/nbf, as the SDK allows for access tokens

InteractionMode = Literal["signIn", "signUp"]
_ORG_URN = "urn:logto:organization:"  # organization tokens are not API resources
_ORG_SCOPE = logto.UserInfoScope.organizations.value


def organization_resource(organization_id: str) -> str:
    """The audience of an organization token, which is also its key in the token cache."""
    return f"{_ORG_URN}{organization_id}"


@dataclass(frozen=True)
class SignInRequest:
    """An authorization request in flight. ``url`` holds state and a code challenge: never log it.

    ``params`` are the authorization parameters (pairs: ``resource`` may repeat), sent in the
    URL without PAR or in the body of the push with it (``par_endpoint`` set, RFC 9126).
    """

    url: str
    state: str
    redirect_uri: str
    params: tuple[tuple[str, str], ...] = ()
    authorization_endpoint: str = ""
    par_endpoint: str | None = None


@dataclass(frozen=True)
class PushedRequest:
    """A pushed authorization request (RFC 9126 2.2): the short URL the browser may carry."""

    url: str
    expires_at: float  # time.monotonic()


@dataclass(frozen=True)
class SignOutResult:
    """How sign-out went: local data is always gone; ``revoked`` says whether Logto was told."""

    revoked: bool
    end_session_url: str | None
    problem: str = ""


# --------------------------------------------------------------------------- JWKS


class _Jwks:
    """Signing keys fetched without blocking, cached, and fetched again for an unknown ``kid``."""

    def __init__(self, http: Http, uri: str) -> None:
        self._http = http
        self._uri = uri
        self._keys: dict[str, jwt.PyJWK] = {}
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        data = await self._http.json("GET", self._uri, what="signing keys")
        entries = data.get("keys")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries if isinstance(entries, list) else []:
            # Skip what cannot verify an ID token here: symmetric keys (a public client has no
            # shared secret), encryption keys, and keys PyJWT cannot load (an "alg" of "none"
            # raises NotImplementedError there, so one bad entry must not break the others).
            if (
                not isinstance(entry, dict)
                or entry.get("kty") == "oct"
                or entry.get("use") == "enc"
            ):
                continue
            try:
                key = jwt.PyJWK(entry)
            except (jwt.PyJWTError, NotImplementedError, ValueError, TypeError, KeyError):
                continue
            keys[key.key_id or ""] = key
        if not keys:
            raise TokenValidationError(
                "The Logto server published signing keys this app cannot read.",
                advice="Try again later; if it keeps happening, check the endpoint in Settings.",
            )
        self._keys = keys
        logger.debug("Fetched %d signing key(s)", len(self._keys))

    async def ensure(self, token: str) -> None:
        """Make sure the key for ``token``'s ``kid`` is cached: fetch once if it is not."""
        kid = _header(token).get("kid") or ""
        async with self._lock:
            if not self._keys or (kid and kid not in self._keys):
                await self._fetch()

    def key_for(self, header: Mapping[str, Any]) -> jwt.PyJWK:
        """The cached key for a token with this (unverified) JOSE ``header``."""
        kid = header.get("kid") or ""
        if kid in self._keys:
            return self._keys[kid]
        if not kid and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise TokenValidationError(
            "The ID token was signed with a key the Logto server does not publish.",
            advice="Try signing in again; if it keeps happening, the server may be misconfigured.",
        )


def _header(token: str) -> dict[str, Any]:
    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.PyJWTError:
        raise TokenValidationError("The Logto server sent a malformed ID token.") from None


def decode_unverified(token: str) -> dict[str, Any]:
    """The claims of a JWT that was verified before (or an access token we only display)."""
    try:
        return dict(jwt.decode(token, options={"verify_signature": False}))
    except jwt.PyJWTError:
        return {}


# --------------------------------------------------------------------------- SDK subclasses


class _NativeOidcCore(OidcCore):
    """``OidcCore`` with async, time-limited I/O and full ID-token validation."""

    def __init__(
        self,
        metadata: logto.OidcProviderMetadata,
        http: Http,
        app_id: str,
        document: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(metadata)  # builds an (unused) PyJWKClient; it does no I/O until used
        # The SDK's metadata model drops fields it does not declare (revocation_endpoint,
        # authorization_response_iss_parameter_supported): keep the whole document.
        self.document: Mapping[str, Any] = document or {}
        self.http = http
        self.app_id = app_id
        self.jwks = _Jwks(http, metadata.jwks_uri)

    async def _token_request(self, data: dict[str, str]) -> logto.TokenResponse:
        payload = await self.http.json(
            "POST", self.metadata.token_endpoint, what="token", data=data
        )
        try:
            response = logto.TokenResponse(**payload)
        except (pydantic.ValidationError, TypeError):
            raise IdpError("The Logto server sent an incomplete token response.") from None
        if response.id_token is not None:
            await self.jwks.ensure(response.id_token)
        return response

    async def fetchTokenByCode(
        self,
        clientId: str,
        clientSecret: str | None,
        redirectUri: str,
        code: str,
        codeVerifier: str,
    ) -> logto.TokenResponse:
        # Defect 1: a public client sends no client_secret at all (RFC 6749 2.3.1 / RFC 8252 8.4).
        data = {
            "grant_type": "authorization_code",
            "client_id": clientId,
            "redirect_uri": redirectUri,  # must repeat the exact URI, port included (RFC 6749 4.1.3)
            "code": code,
            "code_verifier": codeVerifier,
        }
        if clientSecret:
            data["client_secret"] = clientSecret
        return await self._token_request(data)

    async def fetchTokenByRefreshToken(
        self,
        clientId: str,
        clientSecret: str | None,
        refreshToken: str,
        resource: str = "",
    ) -> logto.TokenResponse:
        data = {"grant_type": "refresh_token", "client_id": clientId, "refresh_token": refreshToken}
        if resource.startswith(_ORG_URN):
            # Logto's organization token: organization_id, and neither resource nor scope.
            data["organization_id"] = resource.removeprefix(_ORG_URN)
        elif resource:
            data["resource"] = resource  # RFC 8707 2.2
        if clientSecret:
            data["client_secret"] = clientSecret
        return await self._token_request(data)

    async def user_info(self, access_token: str) -> dict[str, Any]:
        """The userinfo answer as sent, checked against the SDK's model.

        Only the claims the server sent are returned: an absent claim is not a null one, and
        merging the SDK model's defaults (``None`` for every field it declares) would wipe the
        ID token's ``email``/``name``/``picture``. Claims the model does not declare are kept.
        """
        payload: dict[str, Any] = await self.http.json(
            "GET",
            self.metadata.userinfo_endpoint,
            what="user info",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        try:
            logto.UserInfoResponse(**payload)
        except (pydantic.ValidationError, TypeError):
            raise IdpError("The Logto server sent an unreadable user profile.") from None
        return payload

    async def fetchUserInfo(self, accessToken: str) -> logto.UserInfoResponse:
        return logto.UserInfoResponse(**await self.user_info(accessToken))

    def verifyIdToken(self, idToken: str, clientId: str) -> None:
        """The SDK's entry point, for any SDK code path that still calls it: every check but
        the per-request ones (the wrapper itself calls :meth:`verify_id_token`)."""
        self.verify_id_token(idToken, clientId, nonce=None, sub=None)

    def verify_id_token(
        self, idToken: str, clientId: str, *, nonce: str | None, sub: str | None
    ) -> dict[str, Any]:
        """OIDC Core 3.1.3.7 (and 12.2 for refreshed ID tokens), keys from the async cache.

        ``nonce`` is the one sent with this authorization request (None for a refresh) and
        ``sub`` the signed-in user's (None for a sign-in); both are arguments of this call, so
        two flows can never see each other's. Returns the verified claims.
        """
        header = _header(idToken)
        alg = header.get("alg")
        allowed = set(self.metadata.id_token_signing_alg_values_supported or SUPPORTED_ALGORITHMS)
        if alg not in SUPPORTED_ALGORITHMS or alg not in allowed:
            raise TokenValidationError(
                f"The ID token uses the signing algorithm {alg!r}, which this app does not accept."
            )
        # The header parsed once (PyJWT's parse checks every character of the token).
        key = self.jwks.key_for(header)
        try:
            claims = jwt.decode(
                idToken,
                key.key,
                algorithms=[alg],
                audience=clientId,
                issuer=self.metadata.issuer,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidAudienceError:
            raise TokenValidationError("The ID token was issued for another app.") from None
        except jwt.InvalidIssuerError:
            raise TokenValidationError(
                "The ID token was issued by another server than the configured Logto endpoint."
            ) from None
        except jwt.ExpiredSignatureError:
            raise TokenValidationError(
                "The ID token has expired.", advice="Check that this computer's clock is correct."
            ) from None
        except jwt.ImmatureSignatureError:
            raise TokenValidationError(
                "The ID token is dated in the future.",
                advice="Check that this computer's clock is correct.",
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenValidationError(f"The ID token lacks the {exc.claim!r} claim.") from None
        except jwt.InvalidSignatureError:
            raise TokenValidationError("The ID token's signature is not valid.") from None
        except jwt.PyJWTError as exc:
            raise TokenValidationError(
                "The ID token is not valid.", detail=type(exc).__name__
            ) from None
        if claims["iat"] > time.time() + CLOCK_SKEW:
            raise TokenValidationError(
                "The ID token is dated in the future.",
                advice="Check that this computer's clock is correct.",
            )
        # OIDC Core 3.1.3.7 (4, 5): several audiences need azp, and an azp must name this app.
        aud = claims["aud"]
        several = isinstance(aud, list) and len(aud) > 1
        if (several or "azp" in claims) and claims.get("azp") != clientId:
            raise TokenValidationError("The ID token was issued for another app (azp).")
        if nonce is not None and claims.get("nonce") != nonce:
            raise TokenValidationError(
                "The ID token does not belong to this sign-in (nonce mismatch).",
                advice="Sign in again.",
            )
        if sub is not None and claims["sub"] != sub:
            raise TokenValidationError("The refreshed ID token names a different user.")
        return dict(claims)


def sdk_storage(storage: TokenStorage) -> logto.Storage:
    """``storage`` as the SDK's ``logto.Storage``: TokenStorage implements its get/set/delete
    but is registered as one rather than derived from it, so that storage never imports logto
    (see TokenStorage)."""
    logto.Storage.register(type(storage))
    return cast("logto.Storage", storage)


class _SdkClient(logto.LogtoClient):
    """``LogtoClient`` with injectable HTTP and checked metadata. The wrapper uses only its
    public ``signIn`` (the authorization URL and the PKCE sign-in session) and ``getOidcCore``;
    see tests/auth/test_sdk_contract.py for what is pinned."""

    def __init__(self, config: logto.LogtoConfig, storage: TokenStorage, http: Http) -> None:
        super().__init__(config, sdk_storage(storage))
        self._tokens = storage  # our own reference: the SDK's attribute is private
        self._http = http
        self._core_lock = asyncio.Lock()
        self._native_core: _NativeOidcCore | None = None

    async def getOidcCore(self) -> _NativeOidcCore:
        async with self._core_lock:
            if self._native_core is None:
                self._native_core = await self._discover()
            return self._native_core

    async def _discover(self) -> _NativeOidcCore:
        issuer = f"{self.config.endpoint}/oidc"
        try:
            payload = await self._http.json(
                "GET", f"{issuer}/.well-known/openid-configuration", what="discovery"
            )
        except IdpError as exc:
            if exc.status is not None and exc.status >= 500:
                raise  # a Logto (or a proxy in front of it) in trouble: try again later
            raise _not_logto(self.config.endpoint, exc.status) from None
        try:
            metadata = logto.OidcProviderMetadata(**payload)
        except (pydantic.ValidationError, TypeError):
            raise _not_logto(self.config.endpoint, None) from None
        # OIDC Discovery 4.3: the issuer must be exactly the one we asked about.
        if metadata.issuer != issuer:
            raise TokenValidationError(
                f"The Logto server says its issuer is {metadata.issuer!r}, "
                f"but this app expects {issuer!r}.",
                advice="Set the endpoint in Settings to the one shown in the Logto Console "
                "(the issuer minus /oidc).",
            )
        return _NativeOidcCore(metadata, self._http, self.config.appId, payload)

    async def signIn(
        self, redirectUri: str, interactionMode: logto.InteractionMode | None = None
    ) -> str:
        # Defect 5: the SDK drops idToken/refreshToken from memory here, while the keyring
        # keeps them. The previous session stays until the new one completes.
        id_token, refresh_token = self._tokens.get("idToken"), self._tokens.get("refreshToken")
        url = await super().signIn(redirectUri, interactionMode)
        if id_token is not None:
            self._tokens.set("idToken", id_token)
        if refresh_token is not None:
            self._tokens.set("refreshToken", refresh_token)
        return url


def _code_from(callback_url: str, session: SignInSession) -> str:
    """The authorization code of a callback for ``session`` (the checks the SDK's
    ``handleSignInCallback`` makes, as typed errors; the loopback listener checked state too)."""
    parts = urlsplit(callback_url)
    if parts.path != urlsplit(session.redirectUri).path:
        raise TokenValidationError(
            "The sign-in response was not valid.", detail="callback path does not match"
        )
    query = dict(parse_qsl(parts.query))
    if query.get("state") != session.state:
        raise TokenValidationError(
            "The sign-in response does not belong to this sign-in (state mismatch).",
            advice="Click Sign in again.",
        )
    if "error" in query:
        error = query["error"]
        raise AuthorizationError(
            error, query.get("error_description", ""), advice=_advice_for(error)
        )
    code = query.get("code")
    if not code:
        raise TokenValidationError(
            "The sign-in response was not valid.", detail="no authorization code"
        )
    return code


def _not_logto(endpoint: str, status: int | None) -> IdpError:
    """An HTTP server answered, but it is not Logto (or not at this address)."""
    return IdpError(
        f"{endpoint} is not a Logto endpoint: it does not publish Logto's sign-in settings "
        "(at /oidc/.well-known/openid-configuration).",
        error="not_logto",
        status=status,
        advice="Copy the endpoint from the Logto Console into Settings: it looks like "
        "https://your-tenant.logto.app, or your own Logto's address with no path.",
    )


# --------------------------------------------------------------------------- facade


class LogtoNativeClient:
    """Logto for a native desktop app: sign-in URL, code exchange, refresh, userinfo, sign-out.

    ``storage`` must be loaded before use; every token change is flushed to it before the
    method returns. ``lock_path`` names the lock file shared with other processes that use the
    same keyring entry (see :func:`~desktop_app.auth.refresh_guard.refresh_lock_path`); None keeps locking in this process.
    """

    def __init__(
        self,
        endpoint: str,
        app_id: str,
        storage: TokenStorage,
        *,
        scopes: tuple[str, ...] = (),
        resources: tuple[str, ...] = (),
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
        lock_path: Path | None = None,
        ui_locales: tuple[str, ...] = (),
    ) -> None:
        endpoint = endpoint_spelling(endpoint)  # defect 8: the settings' one spelling
        self.ui_locales = tuple(ui_locales)
        self.endpoint = endpoint
        self.app_id = app_id
        self.resources = tuple(resources)
        self.scopes = tuple(scopes)
        self.storage = storage
        self._clock = clock
        self._http = Http(endpoint, timeout)
        config = logto.LogtoConfig(
            endpoint=endpoint,
            appId=app_id,
            appSecret=None,
            prompt="consent",  # with offline_access: a refresh token (Logto requires both)
            scopes=list(scopes),
            resources=list(resources),
        )
        self._sdk = _SdkClient(config, storage, self._http)
        self._refresh_lock = asyncio.Lock()
        self.guard = RefreshGuard(lock_path)
        self._nonce: dict[str, str] = {}  # state -> nonce, in memory only
        self._claims_of: tuple[str, dict[str, Any]] | None = None  # (ID token, its claims)

    async def close(self) -> None:
        await self._http.close()

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/oidc"

    async def discover(self) -> logto.OidcProviderMetadata:
        """Fetch and check the discovery document (cached for the client's lifetime)."""
        return (await self._sdk.getOidcCore()).metadata

    # ---------------------------------------------------------------- sign-in

    async def form_post_origin(self) -> str | None:
        """The issuer's origin when Logto lists ``form_post`` in ``response_modes_supported``.

        The loopback listener then takes the authorization response only as a form POST from
        that origin (OAuth 2.0 Form Post Response Mode), so it never sits in a URL and therefore
        never in the browser's history. None: query mode, the fallback.
        """
        core = await self._sdk.getOidcCore()
        modes = core.document.get("response_modes_supported")
        if isinstance(modes, list) and "form_post" in modes:
            return web_origin(core.metadata.issuer)
        return None

    async def create_sign_in_request(
        self,
        redirect_uri: str,
        *,
        interaction_mode: InteractionMode = "signIn",
        direct_sign_in: str | None = None,
        login_hint: str | None = None,
        prompt_login: bool = False,
    ) -> SignInRequest:
        """Build the authorization request (PKCE S256, state, nonce). A previous session is kept
        until :meth:`complete_sign_in` stores the new one (defect 5).

        ``prompt_login`` asks Logto to show its sign-in form even over a live browser session
        (OIDC Core 3.1.2.1 ``prompt=login``), so the person can choose who to be after an
        explicit sign-out; Logto refuses ``select_account``.
        """
        url = await self._sdk.signIn(redirect_uri, interaction_mode)
        session = self._sign_in_session()
        assert session is not None
        core = await self._sdk.getOidcCore()
        nonce = secrets.token_urlsafe(32)
        self._nonce = {session.state: nonce}
        endpoint, _, query = url.partition("?")
        params = parse_qsl(query, keep_blank_values=True)
        if prompt_login:
            # With consent kept: Logto issues a refresh token only for offline_access + consent.
            params = [(k, "login consent" if k == "prompt" else v) for k, v in params]
            if not any(k == "prompt" for k, _ in params):
                params.append(("prompt", "login consent"))
        params.append(("nonce", nonce))  # OIDC Core 3.1.2.1: binds the ID token to this request
        if interaction_mode == "signUp":
            params.append(("first_screen", "register"))  # Logto's name for interaction_mode=signUp
        if direct_sign_in:
            params.append(("direct_sign_in", direct_sign_in))
        if login_hint:
            params.append(("login_hint", login_hint))
        if self.ui_locales:
            # OIDC Core 3.1.2.1: the languages for Logto's sign-in page, preferred first.
            params.append(("ui_locales", " ".join(self.ui_locales)))
        if await self.form_post_origin() is not None:
            params.append(("response_mode", "form_post"))
        par = core.document.get("pushed_authorization_request_endpoint")
        return SignInRequest(
            url=f"{endpoint}?{urlencode(params)}",
            state=session.state,
            redirect_uri=redirect_uri,
            params=tuple(params),
            authorization_endpoint=endpoint,
            par_endpoint=par
            if isinstance(par, str) and par.startswith(("https://", "http://"))
            else None,
        )

    async def check_redirect_uri(self, request: SignInRequest) -> None:
        """Ask Logto (without a browser) whether it accepts the request; name the fix if not.

        The authorization endpoint shows a dead-end error page for an unregistered redirect URI
        (RFC 6749 4.1.2.1 forbids redirecting then), so the app would otherwise just wait.
        With PAR the push itself is this check (:meth:`push_authorization_request`).
        """
        # Asked in query mode: a refusal then comes back as a readable redirect, where
        # form_post would answer with a page.
        probe = [(k, v) for k, v in request.params if k != "response_mode"]
        url = f"{request.authorization_endpoint}?{urlencode(probe)}" if probe else request.url
        status, location, body = await self._http.probe(url, what="sign-in")
        if status in {301, 302, 303, 307, 308}:
            query = dict(parse_qsl(urlsplit(location).query))
            if "error" in query and location.startswith(request.redirect_uri):
                raise AuthorizationError(
                    query["error"],
                    query.get("error_description", ""),
                    advice=_advice_for(query["error"]),
                )
            return
        if status == 200:
            return
        error, description = oauth_error(body)
        raise self._refusal(request, status, error, description, body.lower())

    async def push_authorization_request(self, request: SignInRequest) -> PushedRequest:
        """Push the request to Logto's PAR endpoint (RFC 9126 2.1) and return the short URL.

        The browser then carries only ``client_id`` and ``request_uri``: no state, PKCE
        challenge, nonce or redirect URI on a command line or in the history. A refusal is the
        same typed error as from :meth:`check_redirect_uri`.
        """
        if request.par_endpoint is None:
            raise ValueError("Logto did not offer pushed authorization requests")
        try:
            payload = await self._http.json(
                "POST", request.par_endpoint, what="sign-in", data=request.params
            )
        except IdpError as exc:
            if exc.status is None:
                raise
            raise self._refusal(
                request, exc.status, exc.error, exc.description, exc.description.lower()
            ) from None
        request_uri = payload.get("request_uri")
        expires_in = payload.get("expires_in")
        if (
            not isinstance(request_uri, str)
            or not request_uri
            or isinstance(expires_in, bool)
            or not isinstance(expires_in, int)
            or expires_in <= 0
        ):
            raise IdpError(
                "The Logto server sent an unreadable answer to the sign-in request.",
                advice="Try again later; if it keeps happening, check the endpoint in Settings.",
            )
        query = urlencode({"client_id": self.app_id, "request_uri": request_uri})
        return PushedRequest(
            url=f"{request.authorization_endpoint}?{query}",
            expires_at=time.monotonic() + expires_in,
        )

    def _refusal(
        self, request: SignInRequest, status: int, error: str, description: str, lowered: str
    ) -> DesktopAppError:
        """Logto's refusal to start a sign-in, named for the person (probe or PAR)."""
        error = error.removeprefix("oidc.")
        if error == "invalid_redirect_uri" or (
            error in {"", "invalid_request"} and "redirect_uri" in lowered
        ):
            path = urlsplit(request.redirect_uri).path
            return RedirectUriError(
                "Logto does not accept this app's redirect URI.",
                error="invalid_redirect_uri",
                description=description,
                status=status,
                advice="In the Logto Console, open the app: it must be a Native app (a "
                "Traditional web app cannot sign in from a desktop app), with the redirect URI "
                f"http://127.0.0.1{path} registered (Logto ignores the port for Native apps).",
            )
        if error == "invalid_client" or (
            not error
            and ("invalid_client" in lowered or ("client" in lowered and "not found" in lowered))
        ):
            return IdpError(
                f"Logto does not know the app ID {self.app_id!r}.",
                error="invalid_client",
                description=description,
                status=status,
                advice="Copy the App ID of your Native app from the Logto Console into Settings.",
            )
        if error == "unauthorized_client":
            return IdpError(
                "This app's type in Logto does not let it sign people in from a desktop app.",
                error=error,
                description=description,
                status=status,
                advice="In the Logto Console, create an application of type Native, register "
                f"the redirect URI http://127.0.0.1{urlsplit(request.redirect_uri).path}, and put "
                "its App ID in Settings.",
            )
        if error in _AUTHORIZATION_ERRORS:
            # What the authorization endpoint would have sent back to the redirect URI.
            return AuthorizationError(error, description, advice=_advice_for(error))
        detail = f": {description or error}" if (description or error) else f" (HTTP {status})"
        return IdpError(
            f"Logto refused to start the sign-in{detail}.",
            error=error,
            description=description,
            status=status,
            advice="Check the endpoint, app ID, scopes and API resources in Settings, then try "
            "again.",
        )

    async def complete_sign_in(
        self,
        callback_url: str,
        *,
        iss: str | None,
        error: str | None,
        error_description: str | None,
    ) -> None:
        """Exchange the authorization response for tokens and keep them in storage."""
        if error:
            raise AuthorizationError(error, error_description or "", advice=_advice_for(error))
        core = await self._sdk.getOidcCore()
        # RFC 9207 2.4: compare iss when sent; require it when the server says it sends it.
        supports_iss = bool(
            core.document.get("authorization_response_iss_parameter_supported") is True
        )
        if iss is not None and iss != core.metadata.issuer:
            raise TokenValidationError(
                "The sign-in response came from another server than the configured Logto "
                "endpoint (issuer mismatch).",
                advice="Sign in again; if it repeats, check the endpoint in Settings.",
            )
        if iss is None and supports_iss:
            raise TokenValidationError("The sign-in response lacks the issuer (iss) parameter.")
        session = self._sign_in_session()
        if session is None:
            raise TokenValidationError("No sign-in is in progress.", advice="Click Sign in again.")
        nonce = self._nonce.get(session.state)
        # Under the refresh locks: a refresh finishing here or in another process must not
        # write its (older) session over this one.
        async with self._refresh_lock, self.guard.hold():
            # The previous session as stored now: another process may have rotated it.
            await self._reload()
            previous = {key: self.storage.get(key) for key in SESSION_KEYS}
            stored = False
            try:
                code = _code_from(callback_url, session)
                response = await core.fetchTokenByCode(
                    clientId=self.app_id,
                    clientSecret=None,
                    redirectUri=session.redirectUri,
                    code=code,
                    codeVerifier=session.codeVerifier,
                )
                self._forget_tokens()
                self._store(core, response, resource="", nonce=nonce, sub=None)
                stored = True
            except IdpError as exc:
                if exc.error in {"invalid_client", "unauthorized_client"}:
                    # Logto accepted the sign-in but wants a client secret: the app's type.
                    path = urlsplit(session.redirectUri).path
                    exc.advice = (
                        "In the Logto Console, create an application of type Native, register "
                        f"the redirect URI http://127.0.0.1{path}, and put its App ID in Settings."
                    )
                raise
            finally:
                self._nonce = {}
                self.storage.delete("signInSession")
                if not stored:
                    # A rejected answer changes nothing: the previous session, if any, is kept
                    # as it is in the keyring, so memory and keyring still agree.
                    for key, value in previous.items():
                        self.storage.set(key, value)
                await self.storage.flush()
            await self.guard.forget()
        await self._revoke_previous(previous)

    async def _revoke_previous(self, previous: Mapping[str, str | None]) -> None:
        """End the grant of the account this sign-in replaced (RFC 7009), now that the new
        account's tokens are stored. Best effort: the new sign-in stands either way."""
        old_refresh = previous.get("refreshToken")
        if not old_refresh or old_refresh == self.storage.get("refreshToken"):
            return
        old_sub = decode_unverified(previous.get("idToken") or "").get("sub")
        if old_sub is None or old_sub == self.id_token_claims().get("sub"):
            # The same person (or one we cannot tell apart): Logto may have reused the grant
            # for this sign-in (oidc-provider keeps one grant per browser session and app), and
            # revoking a refresh token revokes its whole grant, the new tokens included.
            return
        try:
            await self._revoke(old_refresh)
        except DesktopAppError as exc:
            logger.warning("Could not end the previous account's session at Logto: %s", exc.message)

    def _forget_tokens(self) -> None:
        for key in SESSION_KEYS:
            self.storage.delete(key)

    def _sign_in_session(self) -> SignInSession | None:
        """The PKCE verifier, state and redirect URI the SDK's ``signIn`` stored (in memory)."""
        raw = self.storage.get("signInSession")
        if raw is None:
            return None
        try:
            return SignInSession.model_validate_json(raw)
        except pydantic.ValidationError:
            return None

    def _token_map(self) -> AccessTokenMap:
        raw = self.storage.get("accessTokenMap")
        try:
            return AccessTokenMap.model_validate_json(raw or "")
        except pydantic.ValidationError:
            return AccessTokenMap(x={})

    def _store(
        self,
        core: _NativeOidcCore,
        response: logto.TokenResponse,
        *,
        resource: str,
        nonce: str | None,
        sub: str | None,
    ) -> None:
        """Verify the ID token (with this call's nonce or subject) and keep the tokens, in the
        SDK's storage format. Nothing is stored unless the ID token passes."""
        if response.id_token is not None:
            core.verify_id_token(response.id_token, self.app_id, nonce=nonce, sub=sub)
            self.storage.set("idToken", response.id_token)
        if response.refresh_token is not None:
            self.storage.set("refreshToken", response.refresh_token)
        # The SDK stamps expiry with time.time() and a fixed 60 s margin, so a short-lived
        # token is "expired" as soon as it arrives: use the injected clock and a proportional
        # margin.
        margin = min(60, response.expires_in // 10)
        token_map = self._token_map()
        token_map.x[resource] = AccessToken(
            token=response.access_token,
            expiresAt=int(self._clock()) + response.expires_in - margin,
        )
        self.storage.set("accessTokenMap", token_map.model_dump_json())

    def _cached(self, resource: str) -> str | None:
        token = self._token_map().x.get(resource)
        if token is None or token.expiresAt <= self._clock():
            return None
        return token.token

    def abandon_sign_in(self) -> None:
        """Drop the in-memory PKCE verifier, state and nonce of a cancelled sign-in."""
        self.storage.delete("signInSession")
        self._nonce = {}

    # ---------------------------------------------------------------- tokens

    @property
    def id_token(self) -> str | None:
        return self.storage.get("idToken")

    @property
    def has_refresh_token(self) -> bool:
        return bool(self.storage.get("refreshToken"))

    def id_token_claims(self) -> dict[str, Any]:
        """Claims of the stored ID token (it was verified when it was stored), decoded once
        per token: a sign-in asks for them several times (the profile, the subject checks) and
        each decode checks every character of the token."""
        token = self.id_token
        if not token:
            self._claims_of = None  # no signed-out token lingers here
            return {}
        if self._claims_of is None or self._claims_of[0] != token:
            self._claims_of = (token, decode_unverified(token))
        return dict(self._claims_of[1])

    def access_token_expiry(self, resource: str = "") -> float | None:
        token = self._token_map().x.get(resource)
        return None if token is None else float(token.expiresAt)

    def cached_access_token(self, resource: str = "") -> str | None:
        """A still-valid access token from storage, or None; never touches the network."""
        return self._cached(resource)

    async def access_token(self, resource: str = "") -> str:
        """A valid access token for ``resource`` ("" = userinfo), refreshing at most once at a time.

        Raises InvalidGrantError when the session is over, NetworkError when offline.

        Refresh rules (Logto rotates refresh tokens and revokes the whole grant when a used one
        is presented again):

        * One refresh at a time in this process and, through :class:`RefreshGuard`, across
          processes; under the lock the stored session is read again, since another process may
          have refreshed already (its access token is then used, with no request at all).
        * Nothing is retried. A failure to connect, or a 4xx refusal other than
          ``invalid_grant``, keeps the refresh token: Logto did not use it, so a later call may
          send it.
        * A request that went out but got no usable answer (timeout, dropped connection, HTTP
          5xx, an unreadable success) may have rotated the token at Logto. The token stays in the
          keyring (nothing is lost on a transient error, and sign-out can still revoke it), but
          it is marked "in doubt" and never sent again: the next refresh ends the session with
          "please sign in again" instead of risking a replay that would revoke the grant.
        * ``invalid_grant``, or a refreshed ID token that fails the checks (OIDC Core 12.2),
          ends the session: every token is dropped.
        """
        cached = self._cached(resource)
        if cached is not None:
            return cached
        if resource and resource not in self.resources and not resource.startswith(_ORG_URN):
            # RFC 8707: Logto grants tokens only for the resources asked for at sign-in.
            raise ConfigError(
                f"The API {resource} is not among the API resources in Settings, so Logto will "
                "not issue a token for it.",
                advice="Add it to the API resources in Settings (exactly as its identifier in "
                "the Logto Console), then sign out and sign in again.",
                field="resources",
            )
        if resource.startswith(_ORG_URN) and _ORG_SCOPE not in self.scopes:
            raise ConfigError(
                "Organization tokens need Logto's organizations scope, which this sign-in did "
                "not ask for.",
                field="organizations",
                advice="Turn on Organizations in Settings, then sign out and sign in again.",
            )
        async with self._refresh_lock, self.guard.hold():
            await self._reload()
            # Another caller, here or in another process, may have refreshed while we waited.
            cached = self._cached(resource)
            if cached is not None:
                return cached
            refresh_token = self.storage.get("refreshToken")
            if not refresh_token:
                raise InvalidGrantError(
                    "You are not signed in.", error="login_required", advice="Please sign in."
                )
            if await self.guard.in_doubt(refresh_token):
                # Revoking is not a refresh: it cannot rotate anything, and it ends the grant
                # at Logto if the token was never used after all.
                with contextlib.suppress(DesktopAppError):
                    await self._revoke(refresh_token)
                await self._end_session()
                raise InvalidGrantError(
                    "Your session could not be renewed: the last attempt got no answer, and "
                    "Logto may already have used it.",
                    error="refresh_in_doubt",
                    advice="Please sign in again.",
                )
            core = await self._sdk.getOidcCore()
            try:
                response = await core.fetchTokenByRefreshToken(
                    clientId=self.app_id,
                    clientSecret=None,
                    refreshToken=refresh_token,
                    resource=resource,
                )
                # OIDC Core 12.2: a refreshed ID token names the same user; no nonce check.
                sub = self.id_token_claims().get("sub")
                self._store(core, response, resource=resource, nonce=None, sub=sub)
            except (InvalidGrantError, TokenValidationError):
                # The grant is gone at Logto (revoked, expired, or replayed), or the answer
                # cannot be trusted: nothing here is usable any more, so drop it.
                await self._end_session()
                raise
            except ResponseLostError:
                await self.guard.mark_in_doubt(refresh_token)
                raise
            except IdpError as exc:
                # A success we could not read, or a server failure (5xx) that may have come
                # after the token was used. A 4xx refusal did not use it.
                if exc.status is None or not 400 <= exc.status < 500:
                    await self.guard.mark_in_doubt(refresh_token)
                raise
            # Defect 4: the rotated refresh token must be durable before the new tokens are used.
            await self.storage.flush()
            return response.access_token

    async def organization_token(self, organization_id: str) -> str:
        """An organization token (``aud`` ``urn:logto:organization:<id>``) for one of the
        person's organizations: cached, and refreshed under the same single-flight rules as
        :meth:`access_token` (Logto rotates the refresh token for it too)."""
        return await self.access_token(organization_resource(organization_id))

    async def _reload(self) -> None:
        """Read the stored session again (another process may have rotated it). Unsaved changes
        are written first: they are newer, and dropping them could replay a used token."""
        if self.storage.dirty:
            await self.storage.flush()
        await self.storage.load()

    async def _end_session(self) -> None:
        self._forget_tokens()
        await self.guard.forget()
        await self.storage.flush()

    async def fetch_user_info(self) -> dict[str, Any]:
        """Userinfo (``/oidc/me``), checked to be about the signed-in user (OIDC Core 5.3.2)."""
        token = await self.access_token("")
        core = await self._sdk.getOidcCore()
        info = await core.user_info(token)
        expected = self.id_token_claims().get("sub")
        if info.get("sub") != expected:
            raise TokenValidationError(
                "The Logto server returned the profile of another user.",
                advice="Sign out and sign in again.",
            )
        return info

    # ---------------------------------------------------------------- sign-out

    async def sign_out(self, *, post_logout_redirect_uri: str = "") -> SignOutResult:
        """Revoke the refresh token (RFC 7009), wipe storage, and build the end-session URL."""
        # Wait for a refresh in flight: it may be about to store a new refresh token, which must
        # be the one revoked and must not outlive the wipe.
        # The cross-process lock too: a refresh in another process must finish first, and the
        # session is read again so that the newest refresh token is the one revoked.
        async with self._refresh_lock, self.guard.hold():
            try:
                await self._reload()
            except DesktopAppError as exc:  # the keyring failed: revoke what memory holds
                logger.warning("Could not re-read the session before sign-out: %s", exc.message)
            try:
                return await self._sign_out(post_logout_redirect_uri)
            finally:
                await self.guard.forget()

    async def _revoke(self, refresh_token: str) -> None:
        revocation = (await self._sdk.getOidcCore()).document.get("revocation_endpoint")
        if not isinstance(revocation, str) or not revocation:
            revocation = f"{self.issuer}/token/revocation"
        # RFC 7009 2.1; a public client identifies itself with client_id only. The body of a
        # successful answer is ignored (2.2).
        await self._http.send(
            "POST",
            str(revocation),
            what="revocation",
            data={
                "token": refresh_token,
                "token_type_hint": "refresh_token",
                "client_id": self.app_id,
            },
            read_body=False,
        )

    async def _sign_out(self, post_logout_redirect_uri: str) -> SignOutResult:
        refresh_token = self.storage.get("refreshToken")
        revoked, problem = True, ""
        end_session_url: str | None = None
        try:
            core = await self._sdk.getOidcCore()
            metadata = core.metadata
            if metadata.end_session_endpoint:
                # No id_token_hint: the URL is opened in the browser, whose history keeps it.
                # Logto accepts client_id + post_logout_redirect_uri alone (OIDC RP-Initiated
                # Logout 1.0 section 2; checked on Logto 1.37.1) and ends the session.
                params = {"client_id": self.app_id}
                if post_logout_redirect_uri:
                    params["post_logout_redirect_uri"] = post_logout_redirect_uri
                end_session_url = f"{metadata.end_session_endpoint}?{urlencode(params)}"
            if refresh_token:
                await self._revoke(refresh_token)
        except InvalidGrantError:
            pass  # Logto says the token is no longer valid: there is nothing left to revoke
        except (NetworkError, IdpError, TokenValidationError) as exc:
            # What went wrong, without the advice: it is about retrying a request, and after a
            # sign-out there is nothing left to retry (the local session is gone).
            revoked, problem = False, exc.message
            logger.warning("Could not revoke the refresh token: %s", exc.message)
        finally:
            await self.storage.clear()
        return SignOutResult(revoked=revoked, end_session_url=end_session_url, problem=problem)


# Refusals the authorization endpoint sends back to the redirect URI (RFC 6749 4.1.2.1, OIDC
# Core 3.1.2.6); a PAR endpoint answers them directly (RFC 9126 2.3).
_AUTHORIZATION_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_scope",
        "invalid_target",
        "unsupported_response_type",
        "login_required",
        "consent_required",
        "interaction_required",
    }
)


def _advice_for(error: str) -> str:
    if error == "access_denied":
        return "Sign-in was cancelled or refused in the browser. Click Sign in to try again."
    if error == "invalid_target":
        return (
            "Check the API resources in Settings: each must be an API resource registered in "
            "the Logto Console, spelled exactly as its identifier."
        )
    if error == "invalid_scope":
        return "Check the extra scopes in Settings: Logto does not know one of them."
    if error in {"login_required", "consent_required", "interaction_required"}:
        return "Click Sign in to sign in again."
    return "Click Sign in to try again; if it repeats, check the app's settings in Logto."


__all__ = [
    "AccessTokenMap",
    "InteractionMode",
    "LogtoNativeClient",
    "PushedRequest",
    "SignInRequest",
    "SignOutResult",
    "decode_unverified",
]
