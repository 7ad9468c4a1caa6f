"""Walk the accessibility tree (what a screen reader sees) of every Settings state and of the main
window's first screens: no control without a name, no two controls with the same name, every
field with a description, every focusable widget reachable by name.

The walk goes through ``QAccessible.queryAccessibleInterface`` and the interfaces' children, the
same tree AT-SPI exposes on Linux, so a control that Qt shows to assistive technology without a
name is caught even when its widget has one somewhere else (and the other way round).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QSpinBox, QWidget

from demo.local_idp import LocalIdpInfo
from desktop_app.app import DesktopApp
from desktop_app.config import Settings
from desktop_app.ui.settings_dialog import SettingsDialog
from tests.fixtures.keyrings import InMemoryKeyring
from tests.ui.conftest import WAIT_MS, find

Role = QAccessible.Role
# Roles a person operates: each needs a name of its own.
CONTROLS = {
    Role.PushButton,
    Role.CheckBox,
    Role.RadioButton,
    Role.EditableText,
    Role.SpinBox,
    Role.ComboBox,
    Role.ButtonMenu,
    Role.ButtonDropDown,
    Role.Slider,
    Role.Link,
    Role.PageTab,
    Role.MenuItem,
}


def walk(iface: QAccessibleInterface, depth: int = 0) -> Iterator[QAccessibleInterface]:
    """Every visible interface under ``iface`` (depth-first)."""
    assert depth < 50, "accessibility tree loops"
    for index in range(iface.childCount()):
        child = iface.child(index)
        if child is None or not child.isValid():
            continue
        if child.state().invisible:
            continue
        yield child
        yield from walk(child, depth + 1)


def controls(root: QWidget) -> list[QAccessibleInterface]:
    iface = QAccessible.queryAccessibleInterface(root)
    assert iface is not None
    return [child for child in walk(iface) if child.role() in CONTROLS]


def describe(iface: QAccessibleInterface) -> str:
    widget = iface.object()
    return (
        f"{iface.role().name} {type(widget).__name__} text={iface.text(QAccessible.Text.Value)!r}"
    )


def assert_named(root: QWidget) -> list[QAccessibleInterface]:
    """Every control under ``root`` has a name, and no two share one."""
    found = controls(root)
    assert found, "the walk found no controls at all"
    unnamed = [describe(c) for c in found if not c.text(QAccessible.Text.Name).strip()]
    assert not unnamed, f"controls without a name: {unnamed}"
    names = [c.text(QAccessible.Text.Name) for c in found if isinstance(c.object(), QWidget)]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"controls sharing a name: {duplicates}"
    # And every widget the keyboard reaches is one of them, by name.
    for widget in root.findChildren(QWidget):
        if (
            widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & widget.focusPolicy().TabFocus
            and widget.focusProxy() is None
        ):
            iface = QAccessible.queryAccessibleInterface(widget)
            assert iface is not None
            assert iface.text(QAccessible.Text.Name).strip(), f"{type(widget).__name__} unnamed"
    return found


def assert_fields_described(root: QWidget) -> None:
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLineEdit | QSpinBox) and widget.isVisible():
            if isinstance(widget.parentWidget(), QSpinBox):
                continue  # the spin box's own editor: the spin box carries the description
            iface = QAccessible.queryAccessibleInterface(widget)
            assert iface is not None
            assert iface.text(QAccessible.Text.Description).strip(), widget.accessibleName()


# ---------------------------------------------------------------------- Settings states


def _plain(d: SettingsDialog) -> None:
    pass


def _advanced(d: SettingsDialog) -> None:
    d.advanced_toggle.setChecked(True)


def _errors(d: SettingsDialog) -> None:
    d.endpoint.setText("https://my tenant.logto.app")
    d.app_id.setText("")
    d.advanced_toggle.setChecked(True)
    d.redirect_port.setValue(80)
    d.resources.setText("not a url")
    d.save_button.click()


STATES: dict[str, tuple[dict[str, Any], Callable[[SettingsDialog], None]]] = {
    "plain": ({}, _plain),
    "first run": ({"first_run": True}, _plain),
    "advanced open": ({}, _advanced),
    "every error shown": ({}, _errors),
    "demo without keyring": ({"persistent": False, "keyring_available": False}, _advanced),
}


@pytest.mark.parametrize("state", list(STATES))
def test_every_settings_control_has_a_name_and_every_field_a_description(
    qtbot: Any, state: str
) -> None:
    kwargs, arrange = STATES[state]
    dialog = SettingsDialog(Settings(endpoint="https://a.logto.app", app_id="abc"), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    arrange(dialog)
    QApplication.processEvents()
    found = assert_named(dialog)
    assert_fields_described(dialog)
    names = {c.text(QAccessible.Text.Name) for c in found}
    assert {"Logto endpoint", "App ID", "Advanced", "Save", "Cancel"} <= names


def test_an_error_is_part_of_the_fields_description(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(endpoint="https://a.logto.app", app_id="abc"))
    qtbot.addWidget(dialog)
    dialog.show()
    _errors(dialog)
    iface = QAccessible.queryAccessibleInterface(dialog.endpoint)
    assert iface is not None
    description = iface.text(QAccessible.Text.Description)
    assert description.startswith("Error: The Logto endpoint contains a space")
    assert "Logto Console" in description  # the help is still there after the error


# ---------------------------------------------------------------------- main window


def test_the_first_run_window_and_dialog_have_named_controls(
    qtbot: Any, make_app: Callable[..., DesktopApp], memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(keyring_backend=memory_keyring)
    qtbot.waitUntil(lambda: app.view_model.page == "not_configured", timeout=WAIT_MS)
    assert_named(app.window)
    assert app.settings_dialog is not None
    qtbot.waitUntil(app.settings_dialog.isVisible)
    assert_named(app.settings_dialog)


def test_the_signed_out_window_has_named_controls(
    qtbot: Any,
    make_app: Callable[..., DesktopApp],
    local_idp: LocalIdpInfo,
    memory_keyring: InMemoryKeyring,
) -> None:
    app = make_app(
        overrides={"endpoint": local_idp.endpoint, "app_id": local_idp.app_id},
        keyring_backend=memory_keyring,
    )
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    found = assert_named(app.window)
    assert find(app.window, "Sign in", QPushButton) in [c.object() for c in found]


def test_the_walk_catches_an_unnamed_control(qtbot: Any) -> None:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QVBoxLayout

    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    layout.addWidget(QPushButton("Named"))
    icon_only = QPushButton(QIcon(), "")  # what an icon-only button looks like to a reader
    layout.addWidget(icon_only)
    root.show()
    with pytest.raises(AssertionError, match="without a name"):
        assert_named(root)
    icon_only.setAccessibleName("Refresh")
    assert_named(root)
