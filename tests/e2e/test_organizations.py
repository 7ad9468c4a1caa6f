"""Logto organizations end to end: sign-in with the organization scopes and resource, the
person's organizations with names and roles, and organization tokens from the refresh grant,
against the local provider (which issues them the way Logto 1.37.1 does)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio

from desktop_app.auth.organizations import Organization
from desktop_app.auth.session import AuthSession, State
from desktop_app.errors import ConfigError, IdpError
from tests.e2e.helpers import token_request
from tests.fixtures.chromium import sign_in_as
from tests.fixtures.keyrings import InMemoryKeyring

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

REPORT_SCOPES = ("read:reports", "write:reports")


@pytest_asyncio.fixture
async def sign_in(make_session: Any, local_idp: Any) -> Any:
    async def start(
        username: str, *, organizations: bool = True, backend: Any = None
    ) -> AuthSession:
        session: AuthSession = make_session(
            local_idp,
            sign_in_as(username, local_idp.password_of(username)),
            backend=backend,
            scopes=("email", *REPORT_SCOPES),
            resources=(),
            organizations=organizations,
        )
        await session.sign_in()
        assert session.state is State.SIGNED_IN
        return session

    return start


async def test_the_person_sees_their_organizations_with_names_and_roles(sign_in: Any) -> None:
    session = await sign_in("alice")
    claims = session.id_token_claims()
    assert claims["organizations"] == ["org_acme", "org_globex"]
    assert claims["organization_roles"] == ["org_acme:admin", "org_globex:member"]
    assert "organization_data" not in claims  # names come from /oidc/me only
    assert session.organizations() == (
        Organization("org_acme", "Acme Corp", "Where Alice runs the reports", ("admin",)),
        Organization("org_globex", "Globex", "", ("member",)),
    )


async def test_an_organization_token_is_for_that_organization_and_rotates_the_refresh_token(
    sign_in: Any, local_idp: Any
) -> None:
    backend = InMemoryKeyring()
    session = await sign_in("alice", backend=backend)
    first_refresh = session.storage.get("refreshToken")

    token = await session.organization_token("org_acme")

    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES384"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "urn:logto:organization:org_acme"
    assert claims["sub"] == session.profile["sub"]
    assert claims["iss"] == local_idp.issuer
    assert set(claims["scope"].split()) == set(REPORT_SCOPES)  # admin: both
    assert claims["exp"] - claims["iat"] == 3600
    # The grant rotated the refresh token, and the keyring has the new one.
    rotated = session.storage.get("refreshToken")
    assert rotated
    assert rotated != first_refresh
    assert rotated in next(iter(backend.values()))
    # Cached: asked again, no second refresh.
    assert await session.organization_token("org_acme") == token
    assert session.storage.get("refreshToken") == rotated
    # A member only gets the member role's scopes.
    globex = jwt.decode(
        await session.organization_token("org_globex"), options={"verify_signature": False}
    )
    assert globex["aud"] == "urn:logto:organization:org_globex"
    assert globex["scope"] == "read:reports"
    # The first refresh token was used up (replaying it ends the grant, so this comes last).
    status, body = await token_request(
        local_idp, grant_type="refresh_token", refresh_token=first_refresh
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_parallel_callers_share_one_organization_token_refresh(sign_in: Any) -> None:
    session = await sign_in("alice")
    first_refresh = session.storage.get("refreshToken")
    tokens = await asyncio.gather(*(session.organization_token("org_acme") for _ in range(4)))
    assert len(set(tokens)) == 1
    assert session.storage.get("refreshToken") != first_refresh


async def test_not_a_member_is_refused_in_words_and_the_session_goes_on(
    sign_in: Any, local_idp: Any
) -> None:
    session = await sign_in("alice")
    refresh = session.storage.get("refreshToken")
    with pytest.raises(IdpError) as caught:
        await session.organization_token("org_initech")
    assert caught.value.status == 403
    assert caught.value.error == "access_denied"
    assert "not a member" in caught.value.message
    # Logto did not use the refresh token up: still stored, still works.
    assert session.state is State.SIGNED_IN
    assert session.storage.get("refreshToken") == refresh
    assert await session.organization_token("org_globex")


async def test_a_person_without_organizations_has_none(sign_in: Any) -> None:
    session = await sign_in("bob")
    assert session.organizations() == ()
    assert session.id_token_claims()["organizations"] == []


async def test_without_the_organizations_scope_logto_refuses_and_userinfo_refuses_org_tokens(
    sign_in: Any, local_idp: Any
) -> None:
    plain = await sign_in("alice", organizations=False)
    assert plain.organizations() == ()
    status, body = await token_request(
        local_idp,
        grant_type="refresh_token",
        refresh_token=plain.storage.get("refreshToken"),
        organization_id="org_acme",
    )
    assert (status, body["error"]) == (403, "insufficient_scope")

    session = await sign_in("alice")
    token = await session.organization_token("org_acme")
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{local_idp.issuer}/me", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        assert resp.status == 401


async def test_asking_for_an_organization_token_with_organizations_off_says_what_to_turn_on(
    sign_in: Any,
) -> None:
    session = await sign_in("alice", organizations=False)
    refresh = session.storage.get("refreshToken")
    with pytest.raises(ConfigError) as caught:
        await session.organization_token("org_acme")
    assert caught.value.field == "organizations"
    assert "Turn on Organizations in Settings" in caught.value.user_message
    assert session.storage.get("refreshToken") == refresh  # nothing was sent
