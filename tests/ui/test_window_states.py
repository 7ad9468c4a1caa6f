"""The main window's states and how they are operated (issue 12), over a FakeSession: what is
said, what has the focus, what the keyboard does."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton

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
    assert "--demo" not in find(without, "Setup text", QLabel).text()
    with_demo = MainWindow(without.vm, demo_available=True)
    try:
        assert "--demo" in find(with_demo, "Setup text", QLabel).text()
    finally:
        with_demo.deleteLater()


def test_help_hides_demo_and_smoke_test_in_a_frozen_app(monkeypatch: Any, capsys: Any) -> None:
    import sys

    import pytest

    from desktop_app import app

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    help_text = capsys.readouterr().out
    assert "--demo" not in help_text
    assert "--smoke-test" not in help_text
    assert app.parse_args(["--smoke-test"]).smoke_test  # still works for the installer
    with pytest.raises(SystemExit):
        app.parse_args(["--demo"])
    assert "does not include" in capsys.readouterr().err


def test_help_offers_demo_in_a_source_checkout(capsys: Any) -> None:
    import pytest

    from desktop_app import app

    assert app.demo_available()  # this checkout has local_idp/ and its packages
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    assert "--demo" in capsys.readouterr().out
