"""Fixtures for the end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from desktop_app.auth.session import AuthSession
from desktop_app.auth.storage import KeyringStorage
from tests.e2e.helpers import settings_for
from tests.fixtures.chromium import ChromiumPerson
from tests.fixtures.keyrings import InMemoryKeyring


@pytest_asyncio.fixture
async def make_session(
    person: ChromiumPerson,
) -> AsyncIterator[Any]:
    """``make_session(idp, script, backend=..., clock=..., **settings changes)``: an AuthSession
    on ``idp`` whose browser is Chromium running ``script``; all closed after the test."""
    sessions: list[AuthSession] = []

    def make(
        idp: Any, script: Any, *, backend: Any = None, clock: Any = time.time, **changes: Any
    ) -> AuthSession:
        settings = settings_for(idp, **changes)
        backend = backend if backend is not None else InMemoryKeyring()
        session = AuthSession(
            settings,
            storage=KeyringStorage.for_app(settings.endpoint, settings.app_id, backend=backend),
            open_browser=person.opener(script),
            clock=clock,
        )
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()
