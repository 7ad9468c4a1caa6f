"""Issue 10 item 3: whatever comes from Logto, an upstream provider or the network is shown as
text, never as markup, and never reshapes the window (markup, very long values, bidirectional
overrides, newlines)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_app.auth.state import State
from desktop_app.config import Settings
from desktop_app.errors import DesktopAppError
from desktop_app.ui.text import clean, message, one_line
from tests.ui.conftest import find
from tests.ui.fakes import FakeSession
from tests.ui.window_fixtures import WindowFor

MARKUP = '<img src="file:///etc/passwd"><a href="https://evil.example">click</a><b>Bold</b>'
RLO = "\u202e"


def shown(label: QLabel) -> str:
    return label.text()


def test_markup_in_the_profile_is_shown_as_text(window_for: WindowFor) -> None:
    session = FakeSession(
        Settings(
            endpoint="https://tenant.logto.app",
            app_id="a",
            social_target="x",
            social_name="<i>S</i>",
        )
    )
    window = window_for(session)
    session.emit(
        State.SIGNED_IN,
        profile={
            "sub": "usr_<b>1</b>",
            "name": MARKUP,
            "username": "<u>alice</u>",
            "email": "<script>x</script>@example.test",
            "email_verified": True,
            "identities": {"x": {"userId": "<img src=x>"}},
        },
    )
    labels = window.findChildren(QLabel)
    for label in labels:
        if label.accessibleName() in {"Email", "App icon", "App logo", "Avatar"}:
            continue  # the escaped rich-text one, and pictures
        if label.textFormat() != Qt.TextFormat.PlainText:
            pytest.fail(f"{label.accessibleName()!r} may render markup")
    name = find(window, "Name", QLabel)
    assert name.full_text() == MARKUP
    assert "<u>alice</u>" in find(window, "Username", QLabel).full_text()
    assert "usr_<b>1</b>" in find(window, "User ID", QLabel).full_text()
    linked = find(window, "Linked accounts", QLabel).text()
    assert "<img src=x>" in linked
    assert "<i>S</i>" in linked
    # The rich-text email label escapes the address: the tag is text, not an element.
    email = find(window, "Email", QLabel)
    assert "&lt;script&gt;" in email.text()
    assert "<script>" not in email.text()


def test_markup_in_an_error_description_is_shown_as_text(window_for: WindowFor) -> None:
    session = FakeSession()
    window = window_for(session)
    session.emit(
        State.ERROR,
        error=DesktopAppError(f"The provider said: {MARKUP}", advice="<a href=x>fix</a>"),
    )
    text = find(window, "Message text", QLabel)
    advice = find(window, "What to do", QLabel)
    assert text.textFormat() == Qt.TextFormat.PlainText
    assert advice.textFormat() == Qt.TextFormat.PlainText
    assert "<img" in text.text()
    assert advice.text() == "<a href=x>fix</a>"


def test_a_very_long_name_and_endpoint_never_widen_the_window(window_for: WindowFor) -> None:
    host = "a" * 5000
    session = FakeSession(Settings(endpoint=f"https://{host}.logto.app", app_id="app"))
    window = window_for(session)
    window.resize(640, 600)
    assert window.minimumSizeHint().width() < 700
    session.emit(
        State.SIGNED_IN,
        profile={
            "sub": "u" * 3000,
            "name": "N" * 5000,
            "username": "x" * 4000,
            "email": "e" * 3000 + "@x.test",
        },
    )
    window.adjustSize()
    assert window.minimumSizeHint().width() < 700
    assert window.width() < 1000
    assert len(find(window, "Name", QLabel).text()) < 400  # elided on screen
    assert find(window, "Name", QLabel).toolTip()  # and shown whole in the tooltip


def test_the_window_shrinks_back_after_a_long_endpoint(window_for: WindowFor) -> None:
    long = FakeSession(Settings(endpoint="https://" + "b" * 5000 + ".example", app_id="app"))
    window = window_for(long)
    window.vm.set_session(FakeSession())  # type: ignore[arg-type]  # stands in for AuthSession
    window.adjustSize()
    assert window.width() < 1000


def test_bidi_overrides_stay_inside_the_value() -> None:
    value = RLO + "ecila"
    text = one_line(value)
    assert RLO not in text  # unbalanced override dropped
    assert text.startswith("\u2068")
    assert text.endswith("\u2069")  # isolated from the words around it


def test_newlines_and_controls_become_one_line() -> None:
    assert clean("Alice\nExample\r\n\x1b[31mred\t") == "Alice Example [31mred"
    assert "\n" not in clean("a\u2028b\nc")
    assert message("first\nsecond\x00") == "first\nsecond"


def test_a_name_with_newlines_shows_on_one_line(window_for: WindowFor) -> None:
    session = FakeSession()
    window = window_for(session)
    session.emit(
        State.SIGNED_IN,
        profile={"sub": "u1", "name": "Alice\nSigned out.\nEvil", "username": RLO + "bob"},
    )
    assert "\n" not in find(window, "Name", QLabel).text()
    username = find(window, "Username", QLabel).full_text()
    assert RLO not in username
    assert username == "Username: \u2068bob\u2069"


def test_about_box_escapes_the_endpoint(window_for: WindowFor, qtbot: Any) -> None:
    session = FakeSession(Settings(endpoint="https://t.example/<b>x</b>", app_id="a"))
    window = window_for(session)
    window.show_about()
    assert window.about_dialog is not None
    text = find(window.about_dialog, "About text", QLabel).text()
    assert "&lt;b&gt;x&lt;/b&gt;" in text
    window.about_dialog.close()


def test_plain_left_to_right_values_are_not_wrapped() -> None:
    assert one_line("alice") == "alice"
    shalom = "\u05e9\u05dc\u05d5\u05dd"
    assert one_line(shalom) == f"\u2068{shalom}\u2069"  # right-to-left letters are isolated
