"""The languages sent to Logto's sign-in page (OIDC Core 3.1.2.1 ``ui_locales``): the OS's,
unless Settings names others; none at all when nothing is known."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app.auth.session import AuthSession
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.config import Settings, validate
from desktop_app.errors import ConfigError
from tests.auth.test_logto_defects import REDIRECT_URI


def session_for(idp: Any, os_languages: tuple[str, ...], **settings: Any) -> AuthSession:
    return AuthSession(
        Settings(endpoint=idp.endpoint, app_id=idp.app_id, **settings),
        storage=SessionOnlyStorage(),
        ui_locales=os_languages,
    )


async def params_of(session: AuthSession) -> dict[str, str]:
    try:
        request = await session.client.create_sign_in_request(REDIRECT_URI)
    finally:
        await session.close()
    return dict(request.params)


@pytest.mark.asyncio
async def test_the_os_languages_go_to_the_sign_in_page_in_order(local_idp: Any) -> None:
    params = await params_of(session_for(local_idp, ("de-DE", "de", "en")))
    assert params["ui_locales"] == "de-DE de en"


@pytest.mark.asyncio
async def test_settings_override_the_os_languages(local_idp: Any) -> None:
    params = await params_of(session_for(local_idp, ("de-DE",), ui_locales=("fr-CH", "fr")))
    assert params["ui_locales"] == "fr-CH fr"


@pytest.mark.asyncio
async def test_no_languages_known_sends_none(local_idp: Any) -> None:
    assert "ui_locales" not in await params_of(session_for(local_idp, ()))


def test_settings_take_language_tags_and_refuse_anything_else() -> None:
    base = {"endpoint": "https://tenant.logto.app", "app_id": "app"}
    assert validate({**base, "ui_locales": "de_CH, de  en"}).ui_locales == ("de-CH", "de", "en")
    assert validate({**base, "ui_locales": ["pt-BR"]}).ui_locales == ("pt-BR",)
    assert validate({**base, "ui_locales": ""}).ui_locales == ()
    with pytest.raises(ConfigError) as caught:
        validate({**base, "ui_locales": "de <script>"})
    assert caught.value.field == "ui_locales"
    assert "is not a language tag" in caught.value.message
