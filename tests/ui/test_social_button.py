"""Issue 6 in the window: "Continue with OAuth2" signs in through Logto's OAuth2 social connector
(the local provider runs Logto's own connector package in front of an upstream OAuth 2.0 server)
and the profile shows what came from the upstream, including the linked identity."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from demo.local_idp import LocalIdpInfo
from tests.fixtures.chromium import (
    ChromiumPerson,
    deny_at_upstream_then_cancel,
    sign_in_upstream_as,
)
from tests.fixtures.keyrings import InMemoryKeyring
from tests.ui.conftest import WAIT_MS, find
from tests.ui.test_main_window import MakeApp, all_text, click, settings_for, wait_page

pytestmark = pytest.mark.e2e


def social_settings(idp: LocalIdpInfo) -> dict[str, object]:
    connector = idp.social_connector
    assert connector is not None
    return settings_for(
        idp,
        scopes="email identities",
        social_target=connector.target,
        social_name=connector.name,
    )


def test_continue_with_oauth2_shows_the_mapped_profile_and_linked_identity(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    assert local_idp.upstream is not None
    app = make_app(
        overrides=social_settings(local_idp),
        keyring_backend=memory_keyring,
        open_browser=person.opener(
            sign_in_upstream_as("octo", local_idp.upstream.password_of("octo"))
        ),
    )
    wait_page(qtbot, app, "signed_out")
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click(qtbot, app.window, "Continue with social account")
    # Logto's first screen was skipped: the script found the upstream's page at once. The
    # request (direct_sign_in with it) was pushed; the browser got only the start link.
    assert "/start/" in person.opened_urls[-1]
    assert find(app.window, "Name", QLabel).text() == "Octo Upstream"
    text = all_text(app.window)
    assert "octo@upstream.test" in text
    assert "Linked accounts: OAuth2 (4242)" in text
    first_sub = app.view_model.user_id

    # Signing in again through the connector finds the same Logto user.
    with qtbot.waitSignal(app.view_model.page_changed, timeout=WAIT_MS):
        click(qtbot, app.window, "Sign out")
    wait_page(qtbot, app, "signed_out")
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click(qtbot, app.window, "Continue with social account")
    assert app.view_model.user_id == first_sub


def test_denied_at_the_upstream_comes_back_as_a_clear_error(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = make_app(
        overrides=social_settings(local_idp),
        keyring_backend=memory_keyring,
        open_browser=person.opener(deny_at_upstream_then_cancel()),
    )
    wait_page(qtbot, app, "signed_out")
    click(qtbot, app.window, "Continue with social account")
    qtbot.waitUntil(lambda: app.view_model.banner_is_error, timeout=WAIT_MS)
    assert "Sign-in did not complete" in app.view_model.banner_text
    assert app.view_model.page != "signed_in"
