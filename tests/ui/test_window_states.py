"""The main window's states and how they are operated (issue 12), over a FakeSession: what is
said, what has the focus, what the keyboard does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget

from desktop_app.auth.state import State
from tests.ui.conftest import find
from tests.ui.fakes import FakeSession
from tests.ui.window_fixtures import WindowFor

URL = "http://127.0.0.1:1/oidc/auth?client_id=x"


def waiting(session: FakeSession, **changes: Any) -> None:
    session.emit(
        State.WAITING_FOR_BROWSER,
        busy=True,
        timeout=300,
        waiting_since=time.time(),
        **changes,
    )


# ---------------------------------------------------------------------- item 4: the browser


def test_no_claim_that_a_page_opened_while_the_browser_starts(window_for: WindowFor) -> None:
    session = FakeSession()
    window = window_for(session)
    waiting(session)  # the session shows "waiting" before the browser command has run
    assert window.current_page == "waiting"
    text = find(window, "Waiting explanation", QLabel).text()
    assert "has opened" not in text
    assert find(window, "Waiting title", QLabel).text() == "Opening your browser…"


def test_a_browser_that_failed_says_why_and_points_to_copy_link(
    window_for: WindowFor, qtbot: Any
) -> None:
    session = FakeSession()
    problem = "Chromium refuses to run as the root user, so no sign-in page opened."
    window = window_for(session, browser_problem=lambda: problem)
    waiting(session)
    waiting(
        session,
        sign_in_url=URL,
        browser_opened=False,
        notice="The browser did not open. Copy the sign-in link and open it in your browser.",
    )
    text = find(window, "Waiting explanation", QLabel).text()
    assert problem in text
    assert "Copy sign-in link" in text
    assert "has opened" not in text
    assert find(window, "Waiting title", QLabel).text() == "Your browser did not open"
    copy = find(window, "Copy sign-in link", QPushButton)
    assert copy.isEnabled()
    assert copy.isDefault()  # Enter copies the link
    assert copy.property("primary") is True  # and it looks like the way on
    waiting(session, sign_in_url=URL, browser_opened=True)  # "Open browser again" worked
    assert not copy.property("primary")
    assert not copy.isDefault()
    assert not window.banner.isVisible()  # said once, on the page, not again in a banner


def test_a_browser_that_opened_says_so(window_for: WindowFor) -> None:
    session = FakeSession()
    window = window_for(session)
    waiting(session, sign_in_url=URL, browser_opened=True)
    assert "has opened in your browser" in find(window, "Waiting explanation", QLabel).text()


def test_the_app_opens_the_system_browser_through_system_browser(make_app: Any) -> None:
    from desktop_app.auth.state import SystemBrowser

    app = make_app(start=False)
    assert isinstance(app.open_browser, SystemBrowser)
    app.open_browser.last_problem = "Chromium refuses to run as the root user."
    assert app.view_model._browser_problem() == "Chromium refuses to run as the root user."


# ---------------------------------------------------------------------- item 5: --demo


def test_not_configured_page_offers_the_demo_only_where_it_runs(window_for: WindowFor) -> None:
    from desktop_app.ui.main_window import MainWindow

    without = window_for()
    assert without.current_page == "not_configured"
    assert "run demo" not in find(without, "Setup text", QLabel).text()
    with_demo = MainWindow(without.vm, demo_available=True)
    try:
        assert "./run demo" in find(with_demo, "Setup text", QLabel).text()
    finally:
        with_demo.deleteLater()


def test_the_app_alone_neither_lists_nor_accepts_demo(capsys: Any) -> None:
    """``desktop-app`` (the .deb, the wheel) has no provider to start: --demo is no option."""
    import pytest

    from desktop_app import app

    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    help_text = capsys.readouterr().out
    assert "--demo" not in help_text
    assert "--smoke-test" not in help_text
    assert app.parse_args(["--smoke-test"]).smoke_test  # still works for the installer
    with pytest.raises(SystemExit):
        app.parse_args(["--demo"])
    assert "./run demo" in capsys.readouterr().err


def test_demo_runs_only_through_the_demo_package(capsys: Any) -> None:
    import subprocess
    import sys

    import pytest

    from desktop_app import app

    with pytest.raises(SystemExit):
        app.parse_args(["--help"], demo=True)  # what `python -m demo` asks for
    assert "--demo" in capsys.readouterr().out
    with pytest.raises(ValueError, match="local_idp_factory"):
        app.DesktopApp(demo=True)
    shown = subprocess.run(
        [sys.executable, "-m", "demo", "--help"], capture_output=True, text=True, check=True
    )
    assert "--demo" in shown.stdout


def test_only_a_source_checkout_mentions_the_demo(monkeypatch: Any) -> None:
    import sys

    from desktop_app import app

    assert app.checkout_has_demo()  # this checkout has demo/
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert not app.checkout_has_demo()


# ---------------------------------------------------------------------- item 7: keyboard


def signed_in(session: FakeSession) -> None:
    session.emit(
        State.SIGNED_IN,
        profile={"sub": "usr_1", "name": "Alice Example", "username": "alice"},
    )


def test_escape_cancels_the_wait(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    window.activateWindow()
    waiting(session, sign_in_url=URL)
    qtbot.keyClick(find(window, "Open browser again", QPushButton), Qt.Key.Key_Escape)
    assert ("cancel",) in session.calls


def test_enter_and_space_activate_the_focused_button(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    create = find(window, "Create account", QPushButton)
    create.setFocus()
    qtbot.keyClick(create, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ("sign_in", "signUp", None) in session.calls)
    sign_in = find(window, "Sign in", QPushButton)
    qtbot.keyClick(sign_in, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: ("sign_in", "signIn", None) in session.calls)
    for button in window.findChildren(QPushButton):
        assert button.autoDefault(), button.accessibleName()


def test_focus_ring_is_two_pixels_and_visible(window_for: WindowFor) -> None:
    from desktop_app.ui import theme

    window = window_for(FakeSession())
    sheet = window.styleSheet()
    assert f"QPushButton:focus {{ border: {theme.FOCUS_RING_WIDTH}px solid" in sheet
    assert theme.FOCUS_RING_WIDTH >= 2


def test_shortcuts_for_settings_and_continue_with(window_for: WindowFor) -> None:
    from desktop_app.config import Settings

    session = FakeSession(
        Settings(endpoint="https://t.logto.app", app_id="a", social_target="g", social_name="G")
    )
    window = window_for(session)
    assert not window.settings_action.shortcut().isEmpty()
    assert "&t" in find(window, "Continue with social account", QPushButton).text().lower()


def test_waiting_page_focuses_cancel_and_signed_in_focuses_sign_out(
    window_for: WindowFor, qtbot: Any
) -> None:
    session = FakeSession()
    window = window_for(session)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    waiting(session, sign_in_url=URL)
    assert find(window, "Cancel sign-in", QPushButton).hasFocus()
    signed_in(session)
    assert find(window, "Sign out", QPushButton).hasFocus()


# ---------------------------------------------------------------------- item 8: small windows


def test_the_smallest_window_scrolls_instead_of_clipping(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    window.vm.set_hint("Demo users: alice / alice-password, bob / bob-password\nOAuth2: octo / x")
    window.vm.show_error("Could not reach the Logto server.", "Check the endpoint in Settings.")
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize())
    page = window.pages.currentWidget()
    assert isinstance(page, QScrollArea)
    hint = find(window, "Hint", QLabel)
    content = page.widget()
    assert content is not None
    # The page is as tall as its content needs (so nothing is cut), and scrolls to show it.
    assert content.height() >= content.minimumSizeHint().height()
    assert hint.height() >= hint.heightForWidth(hint.width())
    assert page.verticalScrollBar().maximum() > 0 or content.height() <= page.viewport().height()
    # The banner is above the pages, never on top of the icon.
    banner = window.banner.geometry().translated(window.banner.mapTo(window, QPoint(0, 0)))
    pages = page.geometry().translated(page.mapTo(window, QPoint(0, 0)))
    banner.moveTo(window.banner.mapTo(window, QPoint(0, 0)))
    pages.moveTo(page.mapTo(window, QPoint(0, 0)))
    assert not banner.intersects(pages)


# ---------------------------------------------------------------------- item 9: countdown


def test_the_expiry_countdown_ticks(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    signed_in(session)
    status = find(window, "Token status", QLabel)
    first = status.text()
    assert "(in " in first
    qtbot.waitUntil(lambda: status.text() != first, timeout=3000)
    assert "(in " in status.text()


def test_token_details_show_local_times_not_epochs(window_for: WindowFor) -> None:
    import json

    from PySide6.QtWidgets import QPlainTextEdit

    session = FakeSession()
    window = window_for(session)
    signed_in(session)
    claims = json.loads(find(window, "ID token claims", QPlainTextEdit).toPlainText())
    assert claims["sub"] == "usr_1"
    assert claims["iat"].startswith("2023-11-")  # 1_700_000_000, as a date
    assert claims["iat"].endswith("(1700000000)")


def test_logto_millisecond_times_are_dates_too() -> None:
    import json

    from desktop_app.ui.view_model import claims_text

    shown = json.loads(claims_text({"created_at": 1704067200000, "exp": True, "name": "x"}))
    assert shown["created_at"].startswith(("2024-01-01", "2023-12-31"))  # by time zone
    assert shown["exp"] is True  # not a number: left alone
    assert shown["name"] == "x"


def test_an_oversized_saved_window_comes_back_on_screen(qtbot: Any, tmp_path: Any) -> None:
    from PySide6.QtCore import QByteArray

    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.prefs import UiPrefs
    from desktop_app.ui.view_model import SessionViewModel

    prefs = UiPrefs(tmp_path / "ui.ini")
    huge = MainWindow(SessionViewModel())
    qtbot.addWidget(huge)
    huge.resize(32767, 700)
    prefs.set_geometry(QByteArray(huge.saveGeometry()))
    window = MainWindow(SessionViewModel(), prefs=prefs)
    qtbot.addWidget(window)
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width()


def test_check_box_outline_meets_non_text_contrast(window_for: WindowFor) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QCheckBox

    from desktop_app.ui import theme

    window = window_for(FakeSession())
    box = find(window, "End browser session too", QCheckBox)
    for palette in (window.style().standardPalette(), theme.dark_palette()):
        window.setPalette(palette)  # light, then dark: the window restyles itself
        outline = box.palette().color(QPalette.ColorRole.Window).darker(140)
        base = box.palette().color(QPalette.ColorRole.Base)
        assert contrast(outline, base) >= 3.0, theme.is_dark(palette)


def contrast(a: Any, b: Any) -> float:
    def lum(c: Any) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---------------------------------------------------------------------- item 11: banners


def test_a_notice_is_not_all_bold_and_an_error_headline_is(window_for: WindowFor) -> None:
    from desktop_app.errors import DesktopAppError

    session = FakeSession()
    window = window_for(session)
    session.emit(
        State.SIGNED_OUT,
        notice="Signed out on this computer, but Logto could not be told. "
        "The session will expire on its own.",
    )
    assert window.banner.isVisible()
    assert not find(window, "Message text", QLabel).font().bold()
    session.emit(State.ERROR, error=DesktopAppError("Could not reach Logto.", advice="Check it."))
    assert find(window, "Message text", QLabel).font().bold()
    assert not find(window, "What to do", QLabel).font().bold()


def activate_layout(widget: QWidget | None) -> None:
    """Lay ``widget`` out now (Qt would on its next event), so geometries can be compared."""
    assert widget is not None
    layout = widget.layout()
    assert layout is not None
    layout.activate()


def test_banners_do_not_move_the_page(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    before = window.pages.geometry()
    window.vm.show_notice("Signed out.")
    qtbot.waitUntil(window.banner.isVisible)
    activate_layout(window.centralWidget())
    assert window.pages.geometry() == before
    window.banner_close.click()
    activate_layout(window.centralWidget())
    assert window.pages.geometry() == before


# ---------------------------------------------------------------------- item 6: switch accounts


def test_sign_out_offers_to_end_the_browser_session_next_to_it(
    window_for: WindowFor, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QCheckBox

    session = FakeSession()
    window = window_for(session)
    signed_in(session)
    box = find(window, "End browser session too", QCheckBox)
    assert "switch accounts" in box.text()
    sign_out = find(window, "Sign out", QPushButton)
    assert box.parentWidget() is sign_out.parentWidget()  # one group, not apart
    box.setChecked(True)
    sign_out.click()
    qtbot.waitUntil(lambda: ("sign_out", True) in session.calls)


# ---------------------------------------------------------------------- accessibility


def accessible_tree_problems(window: Any) -> list[str]:

    interactive = {
        QAccessible.Role.PushButton,
        QAccessible.Role.CheckBox,
        QAccessible.Role.ComboBox,
        QAccessible.Role.EditableText,
        QAccessible.Role.ProgressBar,
        QAccessible.Role.PageTab,
        QAccessible.Role.ButtonMenu,
    }
    problems: list[str] = []
    seen = 0

    def walk(iface: Any, depth: int) -> None:
        nonlocal seen
        if iface is None or not iface.isValid() or depth > 40:
            return
        seen += 1
        state = iface.state()
        named = bool(iface.text(QAccessible.Text.Name).strip())
        if iface.role() in interactive and not state.invisible and not named:
            obj = iface.object()
            problems.append(f"{iface.role().name} {type(obj).__name__} has no name")
        for i in range(iface.childCount()):
            walk(iface.child(i), depth + 1)

    walk(QAccessible.queryAccessibleInterface(window), 0)
    assert seen > 10
    return problems


def test_buttons_have_descriptions(window_for: WindowFor) -> None:
    window = window_for(FakeSession())
    undescribed = [
        b.accessibleName()
        for b in window.findChildren(QPushButton)
        if not b.accessibleDescription()
    ]
    assert undescribed == []


def test_avatar_initials_are_readable_on_their_colour() -> None:
    from PySide6.QtGui import QColor

    from desktop_app.ui import theme
    from desktop_app.ui.avatar import placeholder_pixmap

    for initials in ("AE", "B", "?", "ZZ", "OC", "MK"):
        image = placeholder_pixmap(initials, 72).toImage()
        background = image.pixelColor(6 + 30, 10)  # inside the circle, away from the letters
        assert background.name() in theme.AVATAR_BACKGROUNDS
        assert contrast(background, QColor(theme.AVATAR_TEXT)) >= 4.5
        assert background.name() not in {"#c0504d", "#d08a2e"}  # no error red, no orange


def test_every_state_has_named_controls_and_is_announced(
    window_for: WindowFor, qtbot: Any, monkeypatch: Any
) -> None:

    from desktop_app.errors import DesktopAppError

    events: list[Any] = []
    real = QAccessible.updateAccessibility  # the class main_window announces through

    def record(event: QAccessibleEvent) -> None:
        events.append(event.type())
        real(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", record)
    unconfigured = window_for()
    assert accessible_tree_problems(unconfigured) == []
    session = FakeSession()
    window = window_for(session)
    states: list[Callable[[], object]] = [
        lambda: session.emit(State.SIGNED_OUT),
        lambda: waiting(session),
        lambda: waiting(session, sign_in_url=URL, browser_opened=False),
        lambda: session.emit(State.COMPLETING, busy=True),
        lambda: signed_in(session),
        lambda: session.emit(State.SIGNING_OUT, busy=True),
        lambda: session.emit(State.ERROR, error=DesktopAppError("Nope.", advice="Try this.")),
        lambda: session.emit(State.RESTORING, busy=True),
    ]
    for enter in states:
        before = len(events)
        announced = window.last_announcement
        enter()
        assert accessible_tree_problems(window) == [], window.vm.page
        assert window.last_announcement != announced or len(events) == before, window.vm.page
        if window.vm.page == "error":
            assert "Nope." in window.last_announcement  # the banner is read out
    assert QAccessible.Event.Alert in events
