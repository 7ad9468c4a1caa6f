"""The Settings dialog (issue 12): errors shown whole in AA red, broken endpoints refused inline,
the required fields first and the rest under Advanced, and the keyboard paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyleFactory,
    QWidget,
)

from desktop_app import config
from desktop_app.config import Settings
from desktop_app.errors import ConfigError
from desktop_app.ui import theme
from desktop_app.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import find
from tests.ui.test_contrast import contrast

PALETTES = {
    "light": lambda: QStyleFactory.create("Fusion").standardPalette(),
    "dark": theme.dark_palette,
}


@pytest.fixture
def scheme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The application palette of the scheme named by the test's parameter, then the old one
    (the app follows the application palette; a widget's own palette is undone by its style
    sheet)."""
    old = qapp.palette()
    qapp.setPalette(PALETTES[request.param]())
    yield request.param
    qapp.setPalette(old)


def open_dialog(qtbot: Any, settings: Settings | None = None, **kwargs: Any) -> SettingsDialog:
    dialog = SettingsDialog(
        settings or Settings(endpoint="https://a.logto.app", app_id="abc"), **kwargs
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def settle(qtbot: Any) -> None:
    """Run what is posted (layout requests, palette propagation); no sleeping."""
    QApplication.processEvents()


def shown_whole(label: QWidget, dialog: QWidget) -> bool:
    """Every line of ``label`` is inside the dialog and the label is tall enough for its text."""
    top_left = label.mapTo(dialog, QPoint(0, 0))
    bottom_right = label.mapTo(dialog, QPoint(label.width() - 1, label.height() - 1))
    inside = dialog.rect().contains(top_left) and dialog.rect().contains(bottom_right)
    tall_enough = label.height() >= label.heightForWidth(label.width())
    # Not hidden under the edge of a scroll area either.
    viewport = next(
        (a.viewport() for a in dialog.findChildren(QScrollArea) if a.isAncestorOf(label)), None
    )
    in_view = viewport is None or (
        viewport.rect().contains(label.mapTo(viewport, QPoint(0, 0)))
        and viewport.rect().contains(
            label.mapTo(viewport, QPoint(label.width() - 1, label.height() - 1))
        )
    )
    return inside and tall_enough and in_view


def drawn_text(widget: QWidget) -> tuple[str, str]:
    """(text colour, background) of ``widget`` as drawn: the background is the commonest
    pixel, the text colour the pixel that differs most from it (a glyph's solid stem)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    counts: dict[int, int] = {}
    for y in range(image.height()):
        for x in range(image.width()):
            rgb = image.pixel(x, y)
            counts[rgb] = counts.get(rgb, 0) + 1
    background = QColor(max(counts, key=lambda k: counts[k])).name()
    text = max((QColor(rgb).name() for rgb in counts), key=lambda c: contrast(c, background))
    return text, background


def text_contrast(widget: QWidget) -> float:
    """The contrast of ``widget``'s text against its background, as the person sees it."""
    return contrast(*drawn_text(widget))


# ---------------------------------------------------------------------- item 1: errors fit


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
@pytest.mark.parametrize(
    ("field", "name", "value"),
    [
        ("app_id", "App ID", ""),
        ("resources", "API resources", "not a url"),
        ("redirect_port", "Callback port", 80),
    ],
)
def test_an_error_makes_the_dialog_grow_and_is_never_clipped(
    qtbot: Any, scheme: str, field: str, name: str, value: object
) -> None:
    dialog = open_dialog(qtbot)
    height = dialog.height()
    widget = find(dialog, name)
    if isinstance(widget, QSpinBox):
        widget.setValue(int(value))  # type: ignore[call-overload]
    else:
        widget.setText(value)
    find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    error = find(dialog, f"{name} error", QLabel)
    assert error.isVisible()
    assert dialog.error_text(field)
    assert shown_whole(error, dialog), (error.geometry(), dialog.size())
    assert dialog.height() > height  # it grew rather than squeezing the text


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_error_text_is_at_least_4_5_to_1(qtbot: Any, scheme: str) -> None:
    dialog = open_dialog(qtbot)
    find(dialog, "App ID", QLineEdit).setText("")
    find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    assert text_contrast(find(dialog, "App ID error", QLabel)) >= 4.5


@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_help_text_is_at_least_4_5_to_1(qtbot: Any, scheme: str) -> None:
    dialog = open_dialog(qtbot)
    settle(qtbot)
    help_label = next(
        label
        for label in dialog.findChildren(QLabel)
        if label.isVisible() and label.text().startswith("On your Native app")
    )
    assert text_contrast(help_label) >= 4.5


# ---------------------------------------------------------------------- item 3: endpoints


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("https://my tenant.logto.app", "space"),
        ("https://tenant.logto.app\u200b", "invisible"),
        ("https://" + "a" * 5000 + ".logto.app", "too long"),
        ("https://" + "a" * 70 + ".logto.app", "not a valid host name"),
        ("https://" + ".".join(["abcdefghij"] * 24) + ".app", "host is too long"),
        ("https://a_b.logto.app", "not a valid host name"),
        ("https://-tenant.logto.app", "not a valid host name"),
        ("https://tenant.logto.app/api", "path"),
        ("https://tenant.logto.app/oidc", "/oidc"),
        ("https://tenant.logto.app:0", "bad port"),
        ("https://tenant.logto.app:99999", "bad port"),
    ],
)
def test_broken_endpoints_are_refused_with_a_clear_message(endpoint: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.validate({"endpoint": endpoint, "app_id": "abc"})
    assert caught.value.field == "endpoint"
    assert says in caught.value.user_message
    assert len(caught.value.user_message) < 240  # never echoes a pasted paragraph


@pytest.mark.parametrize(
    ("endpoint", "saved"),
    [
        ("https://tenant.logto.app", "https://tenant.logto.app"),
        (" https://Tenant.Logto.App/ ", "https://tenant.logto.app"),
        ("https://auth.example.com:8443", "https://auth.example.com:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:3001", "http://127.0.0.1:3001"),
        ("http://localhost:3001", "http://localhost:3001"),
        ("http://[::1]:3001", "http://[::1]:3001"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ],
)
def test_good_endpoints_are_kept_in_one_canonical_form(endpoint: str, saved: str) -> None:
    assert config.validate({"endpoint": endpoint, "app_id": "abc"}).endpoint == saved


@pytest.mark.parametrize(
    "endpoint", ["https://my tenant.logto.app", "https://" + "a" * 5000 + ".logto.app"]
)
def test_a_broken_endpoint_is_refused_inline_and_the_dialog_stays_its_size(
    qtbot: Any, endpoint: str
) -> None:
    dialog = open_dialog(qtbot)
    width = dialog.width()
    find(dialog, "Logto endpoint", QLineEdit).setText(endpoint)
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    error = find(dialog, "Logto endpoint error", QLabel)
    assert error.isVisible()
    assert dialog.isVisible()
    assert dialog.width() == width
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width()
    assert dialog.height() <= screen.height()
    assert shown_whole(error, dialog)


def test_a_huge_value_in_any_field_cannot_widen_the_dialog(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    width = dialog.width()
    find(dialog, "App ID", QLineEdit).setText("x" * 5000 + "!")
    find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    error = find(dialog, "App ID error", QLabel)
    assert error.isVisible()
    assert "…" in error.text()
    assert dialog.width() == width
    assert shown_whole(error, dialog)


# ---------------------------------------------------------------------- redesign


def test_required_fields_first_with_help_and_the_rest_under_advanced(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    endpoint = find(dialog, "Logto endpoint", QLineEdit)
    app_id = find(dialog, "App ID", QLineEdit)
    assert endpoint.isVisible()
    assert app_id.isVisible()
    assert "Logto Console" in endpoint.accessibleDescription()
    assert "Logto Console" in app_id.accessibleDescription()
    advanced = find(dialog, "Advanced")
    assert not advanced.isChecked()
    for name in ("Extra scopes", "API resources", "Callback path", "Callback port"):
        assert not find(dialog, name).isVisible()
    advanced.click()
    for name in ("Extra scopes", "API resources", "Callback path", "Callback port"):
        assert find(dialog, name).isVisible()
    assert endpoint.y() < app_id.y() < find(dialog, "Extra scopes").mapTo(dialog, QPoint()).y()


def test_an_error_in_an_advanced_field_opens_advanced_and_focuses_the_field(qtbot: Any) -> None:
    dialog = open_dialog(
        qtbot, Settings(endpoint="https://a.logto.app", app_id="abc", redirect_path="/cb")
    )
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    find(dialog, "Advanced").click()
    find(dialog, "Callback path", QLineEdit).setText("callback")
    find(dialog, "Advanced").click()  # closed again: the problem is now out of sight
    find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    assert find(dialog, "Advanced").isChecked()
    path = find(dialog, "Callback path", QLineEdit)
    assert path.isVisible()
    assert path.hasFocus()
    assert "must start with" in dialog.error_text("redirect_path")
    assert path.accessibleDescription().startswith("Error: ")


def test_every_problem_is_shown_at_once_on_save(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    find(dialog, "Logto endpoint", QLineEdit).setText("https://x.logto.app/path")
    find(dialog, "App ID", QLineEdit).setText("")
    find(dialog, "Advanced").click()
    find(dialog, "Callback port", QSpinBox).setValue(80)
    find(dialog, "Save", QPushButton).click()
    assert "path" in dialog.error_text("endpoint")
    assert "not set" in dialog.error_text("app_id")
    assert "out of range" in dialog.error_text("redirect_port")


def test_a_field_is_checked_when_the_person_leaves_it_and_cleared_when_fixed(
    qtbot: Any,
) -> None:
    dialog = open_dialog(qtbot)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    endpoint = find(dialog, "Logto endpoint", QLineEdit)
    endpoint.setFocus()
    endpoint.selectAll()
    qtbot.keyClicks(endpoint, "https://my tenant.logto.app")
    qtbot.keyClick(endpoint, Qt.Key.Key_Tab)  # leave the field: no Save needed
    assert "space" in dialog.error_text("endpoint")
    assert find(dialog, "App ID", QLineEdit).hasFocus()
    endpoint.setFocus()
    endpoint.selectAll()
    qtbot.keyClicks(endpoint, "https://my-tenant.logto.app")
    assert dialog.error_text("endpoint") == ""  # cleared while typing the fix


def test_tabbing_past_an_empty_required_field_does_not_scold(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, Settings(endpoint="", app_id=""), first_run=True)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    endpoint = find(dialog, "Logto endpoint", QLineEdit)
    endpoint.setFocus()
    qtbot.keyClick(endpoint, Qt.Key.Key_Tab)
    assert dialog.error_text("endpoint") == ""
    find(dialog, "Save", QPushButton).click()
    assert "not set" in dialog.error_text("endpoint")


# ---------------------------------------------------------------------- keyboard


def test_enter_saves_from_a_field(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        qtbot.keyClick(find(dialog, "Logto endpoint", QLineEdit), Qt.Key.Key_Return)
    assert blocker.args[0].endpoint == "https://a.logto.app"
    assert not dialog.isVisible()


def test_escape_cancels_without_saving(qtbot: Any) -> None:
    saved: list[Settings] = []
    dialog = open_dialog(qtbot, save=saved.append)
    find(dialog, "App ID", QLineEdit).setText("changed")
    with qtbot.assertNotEmitted(dialog.settings_accepted), qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(find(dialog, "App ID", QLineEdit), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert saved == []


def test_enter_on_advanced_opens_it_instead_of_saving(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    advanced = find(dialog, "Advanced")
    advanced.setFocus()
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        qtbot.keyClick(advanced, Qt.Key.Key_Return)
    assert advanced.isChecked()
    assert find(dialog, "Extra scopes").isVisible()


def focus_order(qtbot: Any, dialog: SettingsDialog, steps: int) -> list[str]:
    names = []
    for _ in range(steps):
        widget = QApplication.focusWidget()
        assert widget is not None
        names.append(widget.accessibleName())
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    return names


def test_tab_follows_the_reading_order(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    find(dialog, "Logto endpoint", QLineEdit).setFocus()
    assert focus_order(qtbot, dialog, 5) == [
        "Logto endpoint",
        "App ID",
        "Advanced",
        "Save",
        "Cancel",
    ]
    find(dialog, "Advanced").click()
    find(dialog, "Logto endpoint", QLineEdit).setFocus()
    assert focus_order(qtbot, dialog, 14) == [
        "Logto endpoint",
        "App ID",
        "Advanced",
        "Extra scopes",
        "API resources",
        "Organizations",
        "Sign-in page languages",
        "Callback path",
        "Callback port",
        "Social connector target",
        "Social connector name",
        "Session only",
        "Save",
        "Cancel",
    ]


def mnemonic(text: str) -> str | None:
    index = text.replace("&&", "").find("&")
    return text.replace("&&", "")[index + 1].lower() if index >= 0 else None


def test_every_field_has_a_label_buddy_with_its_own_mnemonic(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    find(dialog, "Advanced").click()
    buddies = {label.buddy(): label for label in dialog.findChildren(QLabel) if label.buddy()}
    keys: list[str] = []
    for name, field in dialog._fields.items():  # every field the dialog edits
        if name in {"session_only", "organizations"}:
            assert isinstance(field, QCheckBox)
            text = field.text()  # a check box is its own label
        else:
            assert field in buddies, f"{name} has no label buddy"
            text = buddies[field].text()
        key = mnemonic(text)
        assert key, f"{name}'s label {text!r} has no mnemonic"
        keys.append(key)
    for button in (find(dialog, "Save"), find(dialog, "Cancel"), find(dialog, "Advanced")):
        key = mnemonic(button.text())
        assert key, button.text()
        keys.append(key)
    assert len(keys) == len(set(keys)), keys  # a repeated letter only cycles the focus


def test_a_mnemonic_moves_the_focus_to_its_field(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    find(dialog, "Logto endpoint", QLineEdit).setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert find(dialog, "App ID", QLineEdit).hasFocus()


def test_the_save_button_is_the_primary_action(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    save = find(dialog, "Save", QPushButton)
    assert save.isDefault()
    assert save.property("primary") is True


# ---------------------------------------------------------------------- what is saved where


def test_the_note_names_the_real_settings_file(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    dialog = open_dialog(
        qtbot, Settings(endpoint="https://a.logto.app", app_id="a", config_path=path)
    )
    note = find(dialog, "Where settings are saved", QLabel).text()
    assert str(path) in note
    assert "keyring" in note


def test_the_demo_says_nothing_is_saved(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, persistent=False)
    note = find(dialog, "Where settings are saved", QLabel).text()
    assert "Nothing is saved" in note
    assert "config.toml" not in note


def test_without_a_keyring_session_only_is_on_and_explained(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, persistent=False, keyring_available=False)
    find(dialog, "Advanced").click()
    session_only = find(dialog, "Session only")
    assert session_only.isChecked()
    assert "No usable keyring" in session_only.accessibleDescription()
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        find(dialog, "Save", QPushButton).click()
    assert blocker.args[0].session_only


def test_with_a_keyring_session_only_is_offered_as_the_way_out(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    session_only = find(dialog, "Session only")
    assert not session_only.isChecked()
    assert "no keyring" in session_only.accessibleDescription()


def test_a_save_failure_is_shown_whole(qtbot: Any) -> None:
    def fail(_settings: Settings) -> None:
        raise OSError(28, "No space left on device")

    dialog = open_dialog(qtbot, save=fail)
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        find(dialog, "Save", QPushButton).click()
    settle(qtbot)
    error = find(dialog, "Settings error", QLabel)
    assert "No space left on device" in error.text()
    assert "[Errno" not in error.text()  # written for people, not a repr
    assert find(dialog, "App ID", QLineEdit).text() == "abc"  # nothing typed is lost
    assert shown_whole(error, dialog)


def test_error_colour_follows_a_switch_to_dark(qtbot: Any, qapp: QApplication) -> None:
    dialog = open_dialog(qtbot)
    find(dialog, "App ID", QLineEdit).setText("")
    find(dialog, "Save", QPushButton).click()
    error = find(dialog, "App ID error", QLabel)
    assert contrast(drawn_text(error)[0], theme.LIGHT.error) < 1.1
    old = qapp.palette()
    qapp.setPalette(theme.dark_palette())
    try:
        settle(qtbot)
        assert contrast(drawn_text(error)[0], theme.DARK.error) < 1.1
        assert text_contrast(error) >= 4.5
    finally:
        qapp.setPalette(old)


def test_the_focus_starts_in_the_first_empty_required_field(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, Settings(endpoint="https://a.logto.app", app_id=""))
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert find(dialog, "App ID", QLineEdit).hasFocus()


def test_a_stored_value_that_breaks_the_rules_is_flagged_on_open(qtbot: Any) -> None:
    # What open_settings builds from a config file written before the rules got stricter.
    stored = Settings(endpoint="https://tenant.logto.app/api", app_id="")
    dialog = open_dialog(qtbot, stored, first_run=True)
    assert "path" in dialog.error_text("endpoint")
    assert dialog.error_text("app_id") == ""  # empty is for Save to point out


def test_valid_settings_open_without_errors(qtbot: Any) -> None:
    dialog = open_dialog(qtbot)
    assert all(dialog.error_text(name) == "" for name in dialog._fields)
    assert not find(dialog, "Advanced").isChecked()
