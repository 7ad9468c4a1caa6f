"""Settings in the demo (issue 12, items 2 and 10): without a keyring, saving Settings keeps the
memory-only fallback, so Sign in still works; the dialog says the demo saves nothing and why
Session only is on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton

from desktop_app.app import DesktopApp
from tests.fixtures.chromium import ChromiumPerson, sign_in_as
from tests.fixtures.keyrings import InMemoryKeyring, LockedKeyring
from tests.ui.conftest import WAIT_MS, find

MakeApp = Callable[..., DesktopApp]
MEMORY = "Memory only (this session)"


def open_settings(qtbot: Any, app: DesktopApp) -> Any:
    app.window.settings_action.trigger()
    dialog = app.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_saving_settings_in_a_demo_without_keyring_keeps_tokens_in_memory(
    qtbot: Any,
    make_app: MakeApp,
    locked_keyring: LockedKeyring,
    person: ChromiumPerson,
    tmp_path: Path,
) -> None:
    app = make_app(
        demo=True,
        keyring_backend=locked_keyring,
        open_browser=person.opener(sign_in_as("alice", "alice-password")),
    )
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    before = app.view_model.session
    assert before is not None
    assert before.storage.location_label == MEMORY

    dialog = open_settings(qtbot, app)
    dialog.social_name.setText("Example SSO")
    find(dialog, "Save", QPushButton).click()

    qtbot.waitUntil(lambda: app.view_model.session is not before, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    session = app.view_model.session
    assert session is not None
    assert session.storage.location_label == MEMORY
    assert "memory only" in find(app.window, "Hint", QLabel).text()
    assert not (tmp_path / "config.toml").exists()  # the demo wrote nothing

    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        find(app.window, "Sign in", QPushButton).click()
    assert find(app.window, "Name", QLabel).text() == "Alice Example"


def test_the_demo_dialog_says_what_happens_without_a_keyring(
    qtbot: Any, make_app: MakeApp, locked_keyring: LockedKeyring
) -> None:
    app = make_app(demo=True, keyring_backend=locked_keyring)
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    dialog = open_settings(qtbot, app)
    note = find(dialog, "Where settings are saved", QLabel).text()
    assert "Nothing is saved" in note
    assert "config.toml" not in note
    find(dialog, "Advanced").click()
    session_only = find(dialog, "Session only")
    assert session_only.isChecked()
    assert "No usable keyring" in session_only.accessibleDescription()


def test_a_signed_in_demo_without_keyring_stays_signed_in_after_a_settings_change(
    qtbot: Any,
    make_app: MakeApp,
    locked_keyring: LockedKeyring,
    person: ChromiumPerson,
) -> None:
    app = make_app(
        demo=True,
        keyring_backend=locked_keyring,
        open_browser=person.opener(sign_in_as("alice", "alice-password")),
    )
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        find(app.window, "Sign in", QPushButton).click()
    storage = app.view_model.session.storage if app.view_model.session is not None else None

    dialog = open_settings(qtbot, app)
    dialog.social_name.setText("Example SSO")
    before = app.view_model.session
    find(dialog, "Save", QPushButton).click()
    qtbot.waitUntil(lambda: app.view_model.session is not before, timeout=WAIT_MS)
    # Restored from the memory it kept, with no browser.
    qtbot.waitUntil(lambda: app.view_model.page == "signed_in", timeout=WAIT_MS)
    assert app.view_model.session is not None
    assert app.view_model.session.storage is storage


def test_a_demo_with_a_keyring_leaves_session_only_to_the_person(
    qtbot: Any, make_app: MakeApp, memory_keyring: InMemoryKeyring, tmp_path: Path
) -> None:
    app = make_app(demo=True, keyring_backend=memory_keyring)
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    dialog = open_settings(qtbot, app)
    assert "Nothing is saved" in find(dialog, "Where settings are saved", QLabel).text()
    session_only = find(dialog, "Session only")
    assert session_only.isEnabled()
    assert not session_only.isChecked()
    find(dialog, "Save", QPushButton).click()
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    assert app.view_model.session is not None
    assert "keyring" in app.view_model.session.storage.location_label.lower()
    # The demo's own keyring entry, not a new one (the same app stays signed in).
    assert app.view_model.session.storage is app.demo_storage
    assert not (tmp_path / "config.toml").exists()
