"""What an :class:`~desktop_app.auth.session.AuthSession` tells its observers, and the seams it
takes: light on purpose (no aiohttp, pydantic or cryptography), so a UI can import it and paint
its first window before the rest of the auth stack has loaded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from desktop_app.errors import DesktopAppError

BrowserOpener = Callable[[str], bool]
Observer = Callable[["Snapshot"], None]


class State(enum.Enum):
    """Where the session is. Errors keep the state they happened in and set ``Snapshot.error``,
    except a failed sign-in, which lands in ``ERROR`` until the next action."""

    RESTORING = "restoring"
    SIGNED_OUT = "signed_out"
    WAITING_FOR_BROWSER = "waiting_for_browser"
    COMPLETING = "completing"
    SIGNED_IN = "signed_in"
    SIGNING_OUT = "signing_out"
    ERROR = "error"


@dataclass(frozen=True)
class Snapshot:
    """Everything a UI needs to render the session; never holds a token."""

    state: State
    profile: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    error: DesktopAppError | None = None
    notice: str = ""
    offline: bool = False
    # While waiting: the listener's one-time start URL the browser was sent to (it leads to the
    # authorization request; a fresh one comes from AuthSession.new_sign_in_link()).
    sign_in_url: str | None = None
    browser_opened: bool = True
    waiting_since: float | None = None
    timeout: float = 0.0
    storage_label: str = ""
    busy: bool = False


@dataclass(frozen=True)
class TokenStatus:
    """What the UI may say about the tokens (never the tokens themselves)."""

    access_token_expires_at: float | None
    refresh_available: bool
    storage_label: str


def default_browser_opener(url: str) -> bool:
    """Open ``url`` in the system browser (RFC 8252 8.12: never an embedded user-agent)."""
    import webbrowser  # not needed before the first sign-in

    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False
