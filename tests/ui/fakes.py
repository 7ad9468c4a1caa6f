"""A stand-in for :class:`~desktop_app.auth.session.AuthSession` for widget tests.

It has the session's public surface that the view model uses and records what the window asked
for; a test moves it between states with :meth:`FakeSession.emit`, exactly as the real session
reports its snapshots. Flows against the real session, provider and browser are in
``test_main_window.py``; these tests are about what the window shows and how it is operated.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from desktop_app.auth.organizations import Organization
from desktop_app.auth.state import Observer, Snapshot, State, TokenStatus
from desktop_app.config import Settings


class FakeSession:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(endpoint="https://tenant.logto.app", app_id="app123")
        self.snapshot = Snapshot(State.SIGNED_OUT)
        self.calls: list[tuple[Any, ...]] = []
        self.claims: dict[str, Any] = {"sub": "usr_1", "iat": 1_700_000_000, "exp": 1_700_003_600}
        self.access_token_expires_at: float | None = time.time() + 3600
        self.storage_label = "OS keyring (test)"
        self.sign_in_started = asyncio.Event()
        self._observers: list[Observer] = []
        self.member_of: tuple[Organization, ...] = ()

    @property
    def state(self) -> State:
        return self.snapshot.state

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def emit(self, state: State, **changes: Any) -> None:
        self.snapshot = Snapshot(state, **changes)
        for observer in list(self._observers):
            observer(self.snapshot)

    def token_status(self, resource: str = "") -> TokenStatus:
        return TokenStatus(self.access_token_expires_at, True, self.storage_label)

    def id_token_claims(self) -> dict[str, Any]:
        return dict(self.claims)

    async def restore(self) -> None:
        self.calls.append(("restore",))

    async def sign_in(self, mode: str = "signIn", direct_sign_in: str | None = None) -> None:
        self.calls.append(("sign_in", mode, direct_sign_in))

    def cancel(self) -> None:
        self.calls.append(("cancel",))

    async def open_browser_again(self) -> bool:
        self.calls.append(("open_browser_again",))
        return True

    async def refresh_profile(self) -> None:
        self.calls.append(("refresh_profile",))

    async def sign_out(self, *, end_browser_session: bool = False) -> None:
        self.calls.append(("sign_out", end_browser_session))

    async def access_token_claims(self, resource: str) -> dict[str, Any]:
        self.calls.append(("access_token_claims", resource))
        return {"aud": resource, "sub": "usr_1"}

    def organizations(self) -> tuple[Organization, ...]:
        return self.member_of

    async def organization_token_claims(self, organization_id: str) -> dict[str, Any]:
        self.calls.append(("organization_token_claims", organization_id))
        return {"aud": f"urn:logto:organization:{organization_id}", "scope": "read:reports"}

    async def close(self) -> None:
        self.calls.append(("close",))
