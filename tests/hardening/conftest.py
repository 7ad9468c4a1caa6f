"""Fixtures for the hardening tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fixtures.fake_idp import FakeIdp
from tests.hardening.helpers import Sessions


@pytest_asyncio.fixture
async def sessions(fake_idp: FakeIdp) -> AsyncIterator[Sessions]:
    """``sessions(backend=..., clock=..., timeout=...)`` builds AuthSessions on fake_idp."""
    made = Sessions(fake_idp)
    yield made
    await made.close()
