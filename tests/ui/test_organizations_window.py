"""The window's organizations: names and roles in Token details, an organization token for the
one picked, a plain sentence for someone in none; through the real app, the local provider
(organizations like Logto 1.37.1) and headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit

from demo.local_idp import LocalIdpInfo
from desktop_app.app import DesktopApp
from tests.fixtures.chromium import ChromiumPerson, sign_in_as
from tests.fixtures.keyrings import InMemoryKeyring
from tests.ui.conftest import WAIT_MS, find
from tests.ui.test_main_window import all_text, click, wait_page

pytestmark = pytest.mark.e2e

MakeApp = Callable[..., DesktopApp]


def signed_in(
    qtbot: Any,
    make_app: MakeApp,
    idp: LocalIdpInfo,
    person: ChromiumPerson,
    username: str,
    *,
    organizations: bool = True,
) -> DesktopApp:
    app = make_app(
        overrides={
            "endpoint": idp.endpoint,
            "app_id": idp.app_id,
            "scopes": "email read:reports write:reports",
            "organizations": organizations,
        },
        keyring_backend=InMemoryKeyring(),
        open_browser=person.opener(sign_in_as(username, idp.password_of(username))),
    )
    wait_page(qtbot, app, "signed_out")
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click(qtbot, app.window, "Sign in")
    click(qtbot, app.window, "Token details")
    return app


def test_pick_an_organization_and_see_its_token(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, person: ChromiumPerson
) -> None:
    app = signed_in(qtbot, make_app, local_idp, person, "alice")
    w = app.window
    combo = find(w, "Organization", QComboBox)
    assert combo.isVisible()
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Acme Corp (admin)",
        "Globex (member)",
    ]
    assert not find(w, "Organizations", QLabel).isVisible()  # the "none" sentence
    combo.setCurrentIndex(1)
    with qtbot.waitSignal(app.view_model.api_claims_changed, timeout=WAIT_MS):
        click(qtbot, w, "Get organization token")
    claims = json.loads(find(w, "API token claims", QPlainTextEdit).toPlainText())
    assert claims["aud"] == "urn:logto:organization:org_globex"
    assert claims["scope"] == "read:reports"
    assert "eyJ" not in all_text(w)  # never a raw token on screen


def test_someone_in_no_organization_reads_a_sentence(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, person: ChromiumPerson
) -> None:
    app = signed_in(qtbot, make_app, local_idp, person, "bob")
    sentence = find(app.window, "Organizations", QLabel)
    assert sentence.isVisible()
    assert sentence.text() == "You are not a member of any organization in this Logto tenant."
    assert not find(app.window, "Organization", QComboBox).isVisible()


def test_nothing_about_organizations_when_they_are_off(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, person: ChromiumPerson
) -> None:
    app = signed_in(qtbot, make_app, local_idp, person, "alice", organizations=False)
    assert not find(app.window, "Organizations heading", QLabel).isVisible()
    assert not find(app.window, "Organization", QComboBox).isVisible()
    assert not find(app.window, "Organizations", QLabel).isVisible()
