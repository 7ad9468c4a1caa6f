"""The stored session as the keyring holds it, read without the SDK stack.

Start-up shows the signed-in page from this (issue 13 item 2). The SDK stack (logto, pydantic,
aiohttp, PyJWT, cryptography) takes longer to import than everything else the app does before
that page, and none of it is needed to *show* a session that was checked when it was stored:
:class:`~desktop_app.auth.logto_client.LogtoNativeClient` verifies an ID token (signature,
issuer, audience, nonce; OIDC Core 3.1.3.7) before it keeps it, and only kept tokens reach the
keyring.

What it shows is only what the stored data says, and it says it is not the final word:

* the profile is the stored ID token's claims (what :meth:`AuthSession.restore
  <desktop_app.auth.session.AuthSession.restore>` shows too, before any userinfo);
* the token status is the stored expiry: an expired access token is shown as expired;
* the snapshot is ``busy``, so nothing that needs the SDK can be clicked, until the real
  :class:`~desktop_app.auth.session.AuthSession` has restored the session (its result, be it
  the same page, a refreshed token, offline, or "please sign in again", replaces this).

Light on purpose: the standard library and :mod:`desktop_app.auth.state` only.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

from desktop_app.auth.organizations import Organization, organizations_in
from desktop_app.auth.state import Snapshot, State, TokenStatus

if TYPE_CHECKING:
    from desktop_app.config import Settings

SESSION_KEYS: Final = frozenset({"idToken", "refreshToken", "accessTokenMap"})
"""The SDK's storage keys that make a signed-in session: the ones a store keeps beyond the
process (:class:`~desktop_app.auth.storage.KeyringStorage`) and a new sign-in replaces.
``signInSession`` (the PKCE verifier and state) is deliberately not one of them. Here, not in
the client, so that the keyring storage knows them without importing the SDK."""

# Claims about the token rather than the person: not part of the profile shown.
TECHNICAL_CLAIMS = frozenset(
    {
        "iss",
        "aud",
        "exp",
        "iat",
        "nbf",
        "at_hash",
        "c_hash",
        "nonce",
        "auth_time",
        "sid",
        "jti",
        "azp",
        "acr",
        "amr",
    }
)


def profile_from(
    id_token_claims: Mapping[str, Any], userinfo: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    """The person's profile: the ID token's claims about them, updated by userinfo.

    Userinfo is newer than the ID token (OIDC Core 5.3.2): what it sends wins, an explicit
    null removes the claim, and what it leaves out keeps the ID token's value.
    """
    claims = {k: v for k, v in id_token_claims.items() if k not in TECHNICAL_CLAIMS}
    merged = claims | dict(userinfo or {})
    return MappingProxyType({k: v for k, v in merged.items() if v is not None})


def stored_claims(token: str) -> dict[str, Any]:
    """The payload of a JWS compact token (RFC 7515 7.1) that was verified before it was
    stored; ``{}`` when it is not one. The same claims as
    :func:`~desktop_app.auth.logto_client.decode_unverified`, without loading PyJWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class _Tokens(Protocol):
    def get(self, key: str) -> str | None: ...

    @property
    def location_label(self) -> str: ...

    @property
    def backend_name(self) -> str: ...


@dataclass(frozen=True)
class StoredSession:
    """A read-only view of a loaded :class:`~desktop_app.auth.storage.TokenStorage`: what the
    signed-in page shows before the SDK has loaded. Never holds or hands out a token."""

    settings: Settings
    claims: Mapping[str, Any]
    access_token_expiry: Mapping[str, float]
    refresh_available: bool
    storage_label: str
    keyring_backend: str

    @classmethod
    def from_storage(cls, settings: Settings, storage: _Tokens) -> StoredSession | None:
        """The session ``storage`` holds after ``await storage.load()``; None when it holds
        none (or an ID token that cannot be read: the real restore then decides)."""
        id_token = storage.get("idToken")
        claims = stored_claims(id_token) if id_token else {}
        if not claims.get("sub"):
            return None
        return cls(
            settings=settings,
            claims=MappingProxyType(claims),
            access_token_expiry=MappingProxyType(_expiries(storage.get("accessTokenMap"))),
            refresh_available=bool(storage.get("refreshToken")),
            storage_label=storage.location_label,
            keyring_backend=storage.backend_name,
        )

    @property
    def snapshot(self) -> Snapshot:
        """Signed in with the stored profile, busy until the real session has restored it."""
        return Snapshot(
            State.SIGNED_IN,
            profile=profile_from(self.claims),
            storage_label=self.storage_label,
            keyring_backend=self.keyring_backend,
            busy=True,
        )

    def id_token_claims(self) -> dict[str, Any]:
        """All claims of the stored ID token, for "Token details"."""
        return dict(self.claims)

    def token_status(self, resource: str = "") -> TokenStatus:
        return TokenStatus(
            access_token_expires_at=self.access_token_expiry.get(resource),
            refresh_available=self.refresh_available,
            storage_label=self.storage_label,
        )

    def organizations(self) -> tuple[Organization, ...]:
        return organizations_in(profile_from(self.claims))


def _expiries(raw: str | None) -> dict[str, float]:
    """``expiresAt`` per resource from the SDK's stored ``accessTokenMap`` (its
    ``AccessTokenMap`` model: ``{"x": {resource: {"token": ..., "expiresAt": seconds}}}``)."""
    try:
        entries = json.loads(raw or "")["x"]
    except (ValueError, KeyError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    expiries = {}
    for resource, entry in entries.items():
        expires = entry.get("expiresAt") if isinstance(entry, dict) else None
        if isinstance(expires, int | float) and not isinstance(expires, bool):
            expiries[str(resource)] = float(expires)
    return expiries
