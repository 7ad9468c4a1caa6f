"""Every state of the main window, driven through the real AuthSession: the browser is headless
Chromium (``person``), the identity provider the local Logto-compatible one (``local_idp``), the
keyring an in-memory backend. Widgets are found by their accessible names."""

from __future__ import annotations

import html
import json
import socket
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from demo.local_idp import LocalIdpInfo
from desktop_app.app import DesktopApp
from tests.fixtures.chromium import (
    ChromiumPerson,
    look_only,
    sign_in_as,
    wrong_password_then,
)
from tests.fixtures.keyrings import InMemoryKeyring, LockedKeyring
from tests.ui.conftest import WAIT_MS, OffsetClock, find

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

MakeApp = Callable[..., DesktopApp]


def settings_for(idp: LocalIdpInfo, **extra: object) -> dict[str, object]:
    return {
        "endpoint": idp.endpoint,
        "app_id": idp.app_id,
        "resources": idp.api_resource,
        "scopes": "email",
        **extra,
    }


def click(qtbot: Any, window: QWidget, name: str) -> None:
    button = find(window, name, QAbstractButton)
    assert button.isVisible(), f"{name!r} is hidden"
    assert button.isEnabled(), f"{name!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_page(qtbot: Any, app: DesktopApp, page: str, timeout: int = WAIT_MS) -> None:
    """Until ``page`` shows, from the session (not the stored session shown before it)."""
    vm = app.view_model
    qtbot.waitUntil(lambda: vm.page == page and not vm.stored_session_shown, timeout=timeout)


def all_text(window: QWidget) -> str:
    parts = [w.text() for w in window.findChildren(QLabel)]
    parts += [w.toPlainText() for w in window.findChildren(QPlainTextEdit)]
    return "\n".join(parts)


def signed_in_app(
    qtbot: Any,
    make_app: MakeApp,
    idp: LocalIdpInfo,
    person: ChromiumPerson,
    keyring: InMemoryKeyring,
    **kwargs: Any,
) -> DesktopApp:
    app = make_app(
        overrides=settings_for(idp),
        keyring_backend=keyring,
        open_browser=person.opener(sign_in_as("alice", idp.password_of("alice"))),
        **kwargs,
    )
    wait_page(qtbot, app, "signed_out")
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click(qtbot, app.window, "Sign in")
    return app


# ---------------------------------------------------------------------- signed out


def test_signed_out_shows_name_buttons_and_endpoint(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(
        overrides=settings_for(local_idp, social_target="oauth2", social_name="Example SSO"),
        keyring_backend=memory_keyring,
    )
    wait_page(qtbot, app, "signed_out")
    w = app.window
    assert app.window.current_page == "signed_out"
    assert find(w, "App name", QLabel).text() == "Desktop App"
    assert not find(w, "App icon", QLabel).pixmap().isNull()
    assert find(w, "Sign in", QPushButton).isVisible()
    assert find(w, "Create account", QPushButton).isVisible()
    social = find(w, "Continue with social account", QPushButton)
    assert social.isVisible()
    assert social.text().replace("&", "") == "Continue with Example SSO"  # Alt+T
    endpoint = find(w, "Logto endpoint", QLabel).text()
    assert local_idp.endpoint in endpoint
    assert local_idp.app_id in endpoint


def test_no_social_button_without_a_target(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    wait_page(qtbot, app, "signed_out")
    assert not find(app.window, "Continue with social account", QPushButton).isVisible()


def test_every_control_has_an_accessible_name(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    wait_page(qtbot, app, "signed_out")
    kinds = (QAbstractButton, QLineEdit, QCheckBox, QComboBox, QPlainTextEdit, QLabel)
    unnamed = [
        type(w).__name__
        for kind in kinds
        for w in app.window.findChildren(kind)
        if not w.accessibleName()
        and w.objectName() != "qt_scrollarea_viewport"
        and not type(w).__name__.startswith("QMenu")
        and w.parent() is not None
        and "qt_" not in w.objectName()
    ]
    assert unnamed == []


# ---------------------------------------------------------------------- signing in


def test_sign_in_shows_profile_and_token_status(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    w = app.window
    assert w.current_page == "signed_in"
    assert find(w, "Name", QLabel).text() == "Alice Example"
    assert find(w, "Username", QLabel).text() == "Username: alice"
    email = find(w, "Email", QLabel)
    assert "alice@example.test" in email.text()
    assert "verified" in email.text()
    assert w.email_verified
    assert find(w, "User ID", QLabel).text() == "User ID: usr_alice"
    status = find(w, "Token status", QLabel).text()
    assert "Access token expires at" in status
    assert "Refresh token: available" in status
    assert "OS keyring (InMemoryKeyring" in status or "Tokens stored in: OS keyring" in status
    assert not find(w, "Offline note", QLabel).isVisible()
    # The picture URL of the test user does not resolve: initials instead.
    avatar = find(w, "Avatar", QLabel)
    qtbot.waitUntil(lambda: not app.window._avatar_loader.pending, timeout=20_000)
    assert avatar.property("placeholder") is True
    assert app.view_model.initials == "AE"
    assert "eyJ" not in all_text(w)  # never a raw token on screen
    assert memory_keyring.entries  # the session was saved


def test_token_details_and_api_token(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    w = app.window
    panel = find(w, "Token details panel")
    assert not panel.isVisible()
    click(qtbot, w, "Token details")
    assert panel.isVisible()
    id_claims = json.loads(find(w, "ID token claims", QPlainTextEdit).toPlainText())
    assert id_claims["sub"] == "usr_alice"
    assert id_claims["iss"] == local_idp.issuer
    assert find(w, "API resource", QComboBox).currentText() == local_idp.api_resource
    api_view = find(w, "API token claims", QPlainTextEdit)
    with qtbot.waitSignal(app.view_model.api_claims_changed, timeout=WAIT_MS):
        click(qtbot, w, "Get API token")
    claims = json.loads(api_view.toPlainText())
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert local_idp.api_resource in aud
    assert claims["sub"] == "usr_alice"
    assert "eyJ" not in all_text(w)


def test_refresh_profile(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    busy: list[bool] = []
    app.view_model.busy_changed.connect(busy.append)
    click(qtbot, app.window, "Refresh profile")
    qtbot.waitUntil(lambda: busy == [True, False], timeout=WAIT_MS)
    assert app.view_model.page == "signed_in"
    assert find(app.window, "Name", QLabel).text() == "Alice Example"
    assert not app.window.banner.isVisible()


def test_window_comes_to_front_after_sign_in(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raised: list[str] = []
    monkeypatch.setattr(
        "desktop_app.ui.main_window.MainWindow.raise_", lambda s: raised.append("raise")
    )
    monkeypatch.setattr(
        "desktop_app.ui.main_window.MainWindow.activateWindow", lambda s: raised.append("activate")
    )
    app = make_app(
        overrides=settings_for(local_idp),
        keyring_backend=memory_keyring,
        open_browser=person.opener(sign_in_as("alice", local_idp.password_of("alice"))),
    )
    wait_page(qtbot, app, "signed_out")
    app.window.showMinimized()
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click_hidden(app.window, "Sign in")
    assert raised == ["raise", "activate"]
    assert not app.window.isMinimized()


def click_hidden(window: QWidget, name: str) -> None:
    find(window, name, QAbstractButton).click()


def test_wrong_password_then_right(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    password = local_idp.password_of("alice")
    app = make_app(
        overrides=settings_for(local_idp),
        keyring_backend=memory_keyring,
        open_browser=person.opener(wrong_password_then("alice", "not-" + password, password)),
    )
    wait_page(qtbot, app, "signed_out")
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        click(qtbot, app.window, "Sign in")
    # The window says "signed in" before the tab has been told; the app (on this thread) still
    # answers the tab, so wait for the browser without blocking the event loop.
    qtbot.waitUntil(person.runs[-1].done, timeout=WAIT_MS)
    assert "incorrect" in person.last_result().lower()
    assert find(app.window, "Name", QLabel).text() == "Alice Example"


def test_sign_out_wipes_and_optionally_ends_browser_session(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    w = app.window
    opened = len(person.opened_urls)
    checkbox = find(w, "End browser session too", QCheckBox)
    checkbox.setChecked(True)
    assert app.prefs.end_browser_session  # remembered in QSettings
    click(qtbot, w, "Sign out")
    wait_page(qtbot, app, "signed_out")
    assert find(w, "Message text", QLabel).text() == "Signed out."
    assert not memory_keyring.entries
    assert len(person.opened_urls) == opened + 1
    assert "/session/end" in person.opened_urls[-1]


def test_sign_out_with_logto_down_opens_no_dead_page(
    qtbot: Any, make_app: MakeApp, person: ChromiumPerson, memory_keyring: InMemoryKeyring
) -> None:
    """Issue 12 item 11: Logto unreachable at sign-out. Local data goes, the notice says Logto
    could not be told (not in bold), and its end-session page, dead too, is not opened."""
    from demo.local_idp import LocalIdp

    idp = LocalIdp()
    info = idp.start()
    try:
        app = signed_in_app(qtbot, make_app, info, person, memory_keyring)
        idp.stop()
        find(app.window, "End browser session too", QCheckBox).setChecked(True)
        opened = len(person.opened_urls)
        click(qtbot, app.window, "Sign out")
        wait_page(qtbot, app, "signed_out")
        assert len(person.opened_urls) == opened
        assert not memory_keyring.entries
        banner = find(app.window, "Message text", QLabel)
        assert "could not be told" in banner.text()
        assert not banner.font().bold()
    finally:
        if idp.running:
            idp.stop()


# ---------------------------------------------------------------------- waiting


def test_waiting_state_cancel_copy_and_open_again(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = make_app(
        overrides=settings_for(local_idp),
        keyring_backend=memory_keyring,
        open_browser=person.opener(look_only()),
    )
    wait_page(qtbot, app, "signed_out")
    click(qtbot, app.window, "Sign in")
    qtbot.waitUntil(lambda: app.view_model.has_sign_in_link, timeout=WAIT_MS)
    w = app.window
    assert w.current_page == "waiting"
    assert find(w, "Waiting title", QLabel).text() == "Continue in your browser"
    elapsed = find(w, "Elapsed time", QLabel)
    assert elapsed.text().startswith("Waiting 0:0")
    assert elapsed.text().endswith("of 5:00")
    # The timer ticks each second.
    first = elapsed.text()
    qtbot.waitUntil(lambda: elapsed.text() != first, timeout=3000)

    first_link = app.view_model.snapshot.sign_in_url  # type: ignore[union-attr]
    click(qtbot, w, "Copy sign-in link")
    copied = QGuiApplication.clipboard().text()
    # A fresh one-time start link on the listener (the opened one may be used up already).
    assert copied == app.view_model.snapshot.sign_in_url  # type: ignore[union-attr]
    assert copied != first_link
    assert copied.startswith("http://127.0.0.1:")
    assert "/start/" in copied
    assert "copied" in find(w, "Message text", QLabel).text()
    QGuiApplication.clipboard().clear()

    opened = len(person.opened_urls)
    click(qtbot, w, "Open browser again")
    qtbot.waitUntil(lambda: len(person.opened_urls) == opened + 1, timeout=WAIT_MS)
    assert person.opened_urls[-1] not in {person.opened_urls[-2], copied}

    click(qtbot, w, "Cancel sign-in")
    wait_page(qtbot, app, "signed_out")
    assert find(w, "Message text", QLabel).text() == "Sign-in was cancelled."
    assert not app.window.banner.property("error")


def test_sign_in_timeout_returns_to_signed_out(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = make_app(
        overrides=settings_for(local_idp, sign_in_timeout=5),
        keyring_backend=memory_keyring,
        open_browser=person.opener(look_only()),
    )
    wait_page(qtbot, app, "signed_out")
    click(qtbot, app.window, "Sign in")
    wait_page(qtbot, app, "waiting")
    assert find(app.window, "Elapsed time", QLabel).text().endswith("of 0:05")
    wait_page(qtbot, app, "signed_out", timeout=20_000)
    assert "timed out" in find(app.window, "Message text", QLabel).text()


# ---------------------------------------------------------------------- errors


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_idp_down_shows_plain_words(
    qtbot: Any, make_app: MakeApp, person: ChromiumPerson, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(
        overrides={"endpoint": f"http://127.0.0.1:{closed_port()}", "app_id": "desktop-app"},
        keyring_backend=memory_keyring,
        open_browser=person.opener(look_only()),
    )
    wait_page(qtbot, app, "signed_out")
    click(qtbot, app.window, "Sign in")
    wait_page(qtbot, app, "error")
    w = app.window
    assert w.current_page == "signed_out"  # with the error above it, ready to retry
    assert "Could not reach the Logto server" in find(w, "Message text", QLabel).text()
    assert "Settings" in find(w, "What to do", QLabel).text()
    assert w.banner.property("error") is True
    assert person.opened_urls == []  # no browser for an unreachable IdP


def test_keyring_unavailable_at_start(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, locked_keyring: LockedKeyring
) -> None:
    app = make_app(overrides=settings_for(local_idp), keyring_backend=locked_keyring)
    wait_page(qtbot, app, "error")
    w = app.window
    assert "keyring" in find(w, "Message text", QLabel).text().lower()
    assert find(w, "What to do", QLabel).text()  # per-OS advice from the error
    assert find(w, "Sign in", QPushButton).isVisible()


# ---------------------------------------------------------------------- restore at start


def test_restore_at_start_without_browser(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    opened = len(person.opened_urls)
    later = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    wait_page(qtbot, later, "signed_in")
    assert find(later.window, "Name", QLabel).text() == "Alice Example"
    assert len(person.opened_urls) == opened


def _watch_pages(app: DesktopApp) -> tuple[list[str], dict[str, Any]]:
    """The pages the app shows from now on, and what the signed-in page showed first."""
    pages: list[str] = []
    first: dict[str, Any] = {}
    w = app.window

    def changed(page: str) -> None:
        pages.append(page)
        if page == "signed_in" and not first:
            first.update(
                session_built=app.view_model.session is not None,
                name=find(w, "Name", QLabel).text(),
                tokens=find(w, "Token status", QLabel).text(),
                sign_out_enabled=find(w, "Sign out", QPushButton).isEnabled(),
            )

    app.view_model.page_changed.connect(changed)
    return pages, first


def test_a_stored_session_is_shown_before_the_sdk_restores_it(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
) -> None:
    """Issue 13 item 2: the signed-in page comes from the keyring entry before the session
    (and the SDK stack) exists, busy until the session has restored it; no other page shows
    in between (no "restoring" or signed-out flash)."""
    signed_in_app(qtbot, make_app, local_idp, person, memory_keyring)
    later = make_app(start=False, overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    pages, first = _watch_pages(later)
    later.start()
    wait_page(qtbot, later, "signed_in")
    assert first == {
        "session_built": False,
        "name": "Alice Example",
        "tokens": first["tokens"],
        "sign_out_enabled": False,  # nothing that needs the session until it is there
    }
    assert "Access token expires at" in first["tokens"]
    assert pages == ["starting", "signed_in"]
    qtbot.waitUntil(lambda: not later.view_model.busy, timeout=WAIT_MS)
    assert find(later.window, "Sign out", QPushButton).isEnabled()
    assert later.view_model.session is not None


def test_a_stored_expired_access_token_shows_as_expired_then_refreshed(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
    clock: OffsetClock,
) -> None:
    signed_in_app(qtbot, make_app, local_idp, person, memory_keyring, clock=clock)
    clock.offset = 2 * 3600  # the stored access token (1 h) is now expired
    before = dict(memory_keyring.entries)
    later = make_app(
        start=False, overrides=settings_for(local_idp), keyring_backend=memory_keyring, clock=clock
    )
    pages, first = _watch_pages(later)
    later.start()
    wait_page(qtbot, later, "signed_in")
    qtbot.waitUntil(lambda: not later.view_model.busy, timeout=WAIT_MS)
    assert not first["session_built"]
    assert first["name"] == "Alice Example"
    assert "Access token expired at" in first["tokens"]  # what the keyring holds, no more
    assert "Access token expires at" in find(later.window, "Token status", QLabel).text()
    assert pages == ["starting", "signed_in"]
    assert memory_keyring.entries != before  # refreshed: the rotated refresh token is saved


def test_restore_after_revocation_asks_to_sign_in_again(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
    clock: OffsetClock,
) -> None:
    first = signed_in_app(qtbot, make_app, local_idp, person, memory_keyring, clock=clock)
    saved = dict(memory_keyring.entries)
    click(qtbot, first.window, "Sign out")  # revokes the refresh token at the IdP
    wait_page(qtbot, first, "signed_out")
    memory_keyring.entries.update(saved)  # a stale copy of the revoked session
    clock.offset = 2 * 3600
    later = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring, clock=clock)
    wait_page(qtbot, later, "signed_out")
    assert "Please sign in again" in find(later.window, "Message text", QLabel).text()


def test_restore_offline_shows_cached_profile(
    qtbot: Any,
    make_app: MakeApp,
    local_idp_factory: Callable[..., LocalIdpInfo],
    person: ChromiumPerson,
    memory_keyring: InMemoryKeyring,
    clock: OffsetClock,
) -> None:
    idp = local_idp_factory()
    signed_in_app(qtbot, make_app, idp, person, memory_keyring, clock=clock)
    # Sign-in and restore use the same endpoint; move to a closed port by re-keying the entries.
    from desktop_app.auth.storage import service_name_for

    down = f"http://127.0.0.1:{closed_port()}"
    old_service = service_name_for(idp.endpoint, idp.app_id)
    new_service = service_name_for(down, idp.app_id)
    for (service, user), value in list(memory_keyring.entries.items()):
        if service == old_service:
            memory_keyring.entries[(new_service, user)] = value
    clock.offset = 2 * 3600
    later = make_app(
        overrides={"endpoint": down, "app_id": idp.app_id},
        keyring_backend=memory_keyring,
        clock=clock,
    )
    wait_page(qtbot, later, "signed_in")
    assert later.view_model.offline
    assert find(later.window, "Offline note", QLabel).isVisible()
    assert find(later.window, "Name", QLabel).text() == "Alice Example"


# ---------------------------------------------------------------------- misc


def test_about_box(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    from desktop_app import __version__

    app = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    wait_page(qtbot, app, "signed_out")
    app.window.about_action.trigger()
    dialog = app.window.about_dialog
    assert dialog is not None
    assert dialog.isVisible()
    text = find(dialog, "About text", QLabel).text()
    assert __version__ in text
    assert local_idp.endpoint in text
    # Licence and maintainer as pyproject.toml states them (through the installed metadata).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    maintainer = project["maintainers"][0]
    assert f"Licence: {project['license']}" in text
    assert html.escape(f"Maintainer: {maintainer['name']} <{maintainer['email']}>") in text
    dialog.close()


def test_quit_shortcut(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(overrides=settings_for(local_idp), keyring_backend=memory_keyring)
    assert app.window.quit_action.shortcut().toString() == "Ctrl+Q"
    with qtbot.waitSignal(app.window.quit_requested):
        app.window.quit_action.trigger()
    assert app._finished is not None
    assert app._finished.done()
