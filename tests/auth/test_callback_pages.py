"""Issue 12 (design): the browser tab the sign-in ends on names the app, does not say its
heading twice, and tells the person they can close it."""

from __future__ import annotations

import re

from desktop_app.auth import loopback


def text_of(page: bytes) -> str:
    return re.sub(r"<[^>]+>", " ", page.decode())


def test_success_page_names_the_app_and_offers_to_close_the_tab() -> None:
    body, _ = loopback._finish_page(True, "").render()
    html = body.decode()
    assert "<title>You&#x27;re signed in · Desktop App</title>" in html
    assert '<p class="app">Desktop App</p>' in html
    text = " ".join(text_of(body).split())
    assert "close this tab" in text
    assert "Ctrl + W" in text
    # The message says something the heading does not.
    heading = re.search(r"<h1>(.*?)</h1>", html)
    message = re.search(r"</h1>\s*<p>(.*?)</p>", html, re.DOTALL)
    assert heading is not None
    assert message is not None
    assert "signed in" not in message.group(1).lower()
    assert "completed" not in message.group(1).lower()


def test_error_page_names_the_app_too() -> None:
    body, csp = loopback._denied_page("access_denied", "<b>no</b>").render()
    html = body.decode()
    assert "· Desktop App</title>" in html
    assert '<p class="app">Desktop App</p>' in html
    assert "&lt;b&gt;no&lt;/b&gt;" in html  # the provider's words, escaped
    assert "script-src" not in csp  # still no scripts at all
