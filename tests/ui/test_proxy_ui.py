"""The avatar download and the Settings dialog follow the same proxy rules as the auth core,
against a real proxy (proxy.py) and a picture server on this machine's non-loopback address."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.proxy import DeadProxy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def picture_server(public_address: str) -> Iterator[str]:
    """A plain web server on the non-loopback address serving one PNG at /me.png."""
    png = (ROOT / "resources" / "icons").glob("*.png")
    data = next(iter(sorted(png))).read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((public_address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{public_address}:{server.server_port}/me.png"
    server.shutdown()
    server.server_close()


def test_the_avatar_goes_through_the_same_proxy(
    qapp: Any, picture_server: str, http_proxy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.ui.avatar import _download

    proxy = http_proxy_factory(auth=("office", "right"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    image = _download(picture_server)
    assert image is not None
    assert not image.isNull()
    assert proxy.forwarded(f"GET {picture_server} -> 200"), proxy.requests()


def test_the_avatar_skips_a_dead_proxy_named_in_no_proxy(
    qapp: Any,
    picture_server: str,
    dead_proxy: DeadProxy,
    public_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.ui.avatar import _download

    monkeypatch.setenv("HTTP_PROXY", dead_proxy.url)
    monkeypatch.setenv("NO_PROXY", public_address)
    assert _download(picture_server) is not None
    assert not dead_proxy.accepted.is_set()


def test_settings_shows_the_proxy_in_use_without_its_password(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.ui.settings_dialog import SettingsDialog

    monkeypatch.setenv("HTTPS_PROXY", "http://office:hunter2@proxy.example.test:3128")
    dialog = SettingsDialog(None)
    qtbot.addWidget(dialog)
    dialog.endpoint.setText("https://tenant.logto.app")
    text = dialog.proxy_note.text()
    assert "proxy.example.test:3128" in text
    assert "HTTPS_PROXY" in text
    assert "hunter2" not in text
    assert "office" not in text
    dialog.endpoint.setText("http://127.0.0.1:3001")
    assert "none" in dialog.proxy_note.text()
    monkeypatch.setenv("NO_PROXY", "tenant.logto.app")
    dialog.endpoint.setText("https://tenant.logto.app")
    assert "connects directly" in dialog.proxy_note.text()
