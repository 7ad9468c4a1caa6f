"""Signing in to the desktop app with the OAuth2 social connector, end to end: AuthSession with
``direct_sign_in="social:oauth2"``, the local Logto-compatible provider, its upstream OAuth 2.0
provider, and headless Chromium playing the person."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import KeyringStorage
from desktop_app.config import Settings
from desktop_app.errors import AuthorizationError
from tests.fixtures.chromium import (
    ChromiumPerson,
    continue_with_social,
    deny_at_upstream_then_cancel,
    sign_in_upstream_as,
    upstream_sign_in_fails_then_cancel,
)
from tests.fixtures.keyrings import InMemoryKeyring
from tests.fixtures.local_idp import social_connector_record

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DIRECT = "social:oauth2"


@pytest_asyncio.fixture
async def make_session(person: ChromiumPerson) -> AsyncIterator[Any]:
    sessions: list[AuthSession] = []

    def make(
        idp: Any, script: Any, scopes: tuple[str, ...] = ("email", "identities")
    ) -> AuthSession:
        settings = Settings(
            endpoint=idp.endpoint,
            app_id=idp.app_id,
            scopes=scopes,
            social_target="oauth2",
            social_name="OAuth2",
        )
        session = AuthSession(
            settings,
            storage=KeyringStorage.for_app(
                settings.endpoint, settings.app_id, backend=InMemoryKeyring()
            ),
            open_browser=person.opener(script),
            clock=time.time,
        )
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()


async def test_direct_social_sign_in_lands_signed_in_with_the_mapped_profile(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, sign_in_upstream_as("octo", "octo-password"))
    await session.sign_in(direct_sign_in=DIRECT)

    assert session.state is State.SIGNED_IN
    profile = session.profile
    assert profile["name"] == "Octo Upstream"
    assert profile["picture"] == "https://avatars.upstream.test/octo.png"
    assert profile["email"] == "octo@upstream.test"
    assert profile["email_verified"] is True
    identity = profile["identities"]["oauth2"]
    assert identity["userId"] == "4242"
    assert identity["details"]["rawData"]["mail"] == "octo@upstream.test"
    # Logto's first screen was skipped: the script found the upstream's page at once. The
    # request (direct_sign_in with it) was pushed; the browser got only the start link.
    assert "/start/" in person.opened_urls[-1]
    assert "direct_sign_in" not in person.opened_urls[-1]
    assert "return to the app" in person.last_result().lower() or "close" in person.last_result()


async def test_identities_need_the_identities_scope(local_idp: Any, make_session: Any) -> None:
    session = make_session(local_idp, sign_in_upstream_as("octo", "octo-password"), ("email",))
    await session.sign_in(direct_sign_in=DIRECT)
    assert session.profile["name"] == "Octo Upstream"
    assert session.profile.get("identities") is None


async def test_a_second_sign_in_is_the_same_user(local_idp: Any, make_session: Any) -> None:
    first = make_session(local_idp, sign_in_upstream_as("octo", "octo-password"))
    await first.sign_in(direct_sign_in=DIRECT)
    second = make_session(local_idp, sign_in_upstream_as("octo", "octo-password"))
    await second.sign_in(direct_sign_in=DIRECT)
    assert first.profile["sub"] == second.profile["sub"]


async def test_continue_with_oauth2_on_the_sign_in_page(local_idp: Any, make_session: Any) -> None:
    session = make_session(
        local_idp, continue_with_social("Continue with OAuth2", "octo", "octo-password")
    )
    await session.sign_in()
    assert session.profile["identities"]["oauth2"]["userId"] == "4242"


async def test_denying_at_the_upstream_comes_back_as_access_denied(
    local_idp: Any, make_session: Any, person: ChromiumPerson
) -> None:
    session = make_session(local_idp, deny_at_upstream_then_cancel())
    with pytest.raises(AuthorizationError) as caught:
        await session.sign_in(direct_sign_in=DIRECT)
    assert caught.value.error == "access_denied"
    assert "access was denied at OAuth2" in caught.value.description
    assert session.state is State.ERROR
    # Logto's sign-in page said why, before the person cancelled.
    assert person.last_result() == (
        "access was denied at OAuth2 (access_denied: The user denied the request)"
    )


async def test_an_upstream_token_error_comes_back_as_a_clear_error(
    social_idp_factory: Any, make_session: Any, person: ChromiumPerson
) -> None:
    # The provider rotated the client secret; the connector still has the old one.
    idp = social_idp_factory(social_connector_record(upstream={"clientSecret": "rotated"}))
    session = make_session(idp, upstream_sign_in_fails_then_cancel("octo", "octo-password"))
    with pytest.raises(AuthorizationError) as caught:
        await session.sign_in(direct_sign_in=DIRECT)
    assert caught.value.error == "access_denied"
    assert "OAuth2's token endpoint answered HTTP 401: invalid_client" in caught.value.description
    assert "token endpoint answered HTTP 401" in person.last_result()


@pytest.mark.parametrize(
    "config",
    [
        {"tokenEndpointAuthMethod": "client_secret_post", "tokenEndpointResponseType": "json"},
        {
            "tokenEndpointAuthMethod": "client_secret_basic",
            "tokenEndpointResponseType": "query-string",
        },
        {
            "tokenEndpointAuthMethod": "client_secret_jwt",
            "clientSecretJwtSigningAlgorithm": "HS512",
            "tokenEndpointResponseType": "json",
            "profileMap": {
                "id": "data.user.id",
                "name": "data.user.profile.name",
                "avatar": "data.user.profile.avatar.url",
                "email": "data.user.contact.email",
            },
        },
    ],
    ids=["client_secret_post", "client_secret_basic", "client_secret_jwt"],
)
async def test_each_token_endpoint_auth_method_end_to_end(
    social_idp_factory: Any, make_session: Any, config: dict[str, Any]
) -> None:
    idp = social_idp_factory(social_connector_record(**config))
    session = make_session(idp, sign_in_upstream_as("octo", "octo-password"))
    await session.sign_in(direct_sign_in=DIRECT)
    assert session.state is State.SIGNED_IN
    expected = "nested-4242" if "profileMap" in config else "4242"
    assert session.profile["identities"]["oauth2"]["userId"] == expected
    assert session.profile["email"]
