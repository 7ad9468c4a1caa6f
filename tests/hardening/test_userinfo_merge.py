"""Userinfo is merged into the ID token's claims without wiping them (issue 10, item 2):
a claim userinfo leaves out keeps the ID token's value, an explicit null removes it, and
claims the SDK's model does not declare survive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from desktop_app.auth.session import State
from tests.fixtures.fake_idp import FakeIdp, serve_fake_idp
from tests.hardening.helpers import Sessions

pytestmark = pytest.mark.asyncio


@dataclass
class ProfileIdp(FakeIdp):
    """Answers userinfo with exactly ``userinfo_body`` (plus ``sub``)."""

    userinfo_body: dict[str, Any] = field(default_factory=dict)

    async def userinfo(self, request: web.Request) -> web.StreamResponse:
        self.requests["userinfo"] += 1
        return web.json_response({"sub": self.sub, **self.userinfo_body})


@pytest_asyncio.fixture
async def fake_idp() -> AsyncIterator[ProfileIdp]:
    """This module's provider (and so its ``sessions``): ID token claims for userinfo to meet."""
    async with serve_fake_idp(
        ProfileIdp(
            id_token_overrides={
                "email": "fake@example.com",
                "picture": "https://example.com/fake.png",
                "name": "Name From ID Token",
            }
        )
    ) as served:
        yield served


async def test_absent_userinfo_claims_keep_the_id_token_values(
    fake_idp: ProfileIdp, sessions: Sessions
) -> None:
    fake_idp.userinfo_body = {"name": "Name From Userinfo"}
    session = sessions()
    await session.sign_in()
    assert session.state is State.SIGNED_IN
    assert fake_idp.requests["userinfo"] == 1
    profile = dict(session.profile)
    assert profile["name"] == "Name From Userinfo"  # userinfo is newer and wins
    assert profile["email"] == "fake@example.com"
    assert profile["picture"] == "https://example.com/fake.png"
    assert None not in profile.values()


async def test_an_explicit_null_removes_the_claim(fake_idp: ProfileIdp, sessions: Sessions) -> None:
    fake_idp.userinfo_body = {"picture": None}
    session = sessions()
    await session.sign_in()
    assert "picture" not in session.profile
    assert session.profile["email"] == "fake@example.com"


async def test_claims_the_sdk_model_does_not_declare_are_kept(
    fake_idp: ProfileIdp, sessions: Sessions
) -> None:
    fake_idp.userinfo_body = {"roles": ["admin"], "organization_data": [{"id": "o1"}]}
    session = sessions()
    await session.sign_in()
    await session.refresh_profile()
    assert session.profile["roles"] == ["admin"]
    assert session.profile["organization_data"] == [{"id": "o1"}]
    assert session.profile["email"] == "fake@example.com"
