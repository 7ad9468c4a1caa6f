"""The avatar download outlives its window without touching it (the worker never emits on the
loader: a QObject deleted on the Qt thread while another thread emits on it crashes Qt)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QColor, QImage

from desktop_app.ui import avatar
from desktop_app.ui.avatar import AvatarLoader


def _png() -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice

    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    image.fill(QColor("green"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 types the format as bytes, but only a str works at run time.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(buffer.data().data())


class _HeldServer:
    """Serves one PNG, but only after ``release`` is set; ``asked`` is set when a request came."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()
        body, held = _png(), self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                held.asked.set()
                held.release.wait(10)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/a.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def held() -> Iterator[_HeldServer]:
    server = _HeldServer()
    yield server
    server.close()


def _avatar_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "avatar"]


def test_a_download_arrives_on_the_qt_thread(qtbot: Any, held: _HeldServer) -> None:
    loader = AvatarLoader()
    arrived: list[threading.Thread] = []
    loader.loaded.connect(lambda image: arrived.append(threading.current_thread()))
    loader.load(held.url)
    held.release.set()
    qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
    assert arrived == [threading.main_thread()]
    shiboken6.delete(loader)


def test_a_download_that_outlives_its_window_is_dropped(qtbot: Any, held: _HeldServer) -> None:
    window = QObject()
    loader = AvatarLoader(window)
    outcomes: list[str] = []
    loader.loaded.connect(lambda image: outcomes.append("loaded"))
    loader.failed.connect(lambda: outcomes.append("failed"))
    loader.load(held.url)
    assert held.asked.wait(10)
    shiboken6.delete(window)  # the window closes while the picture downloads
    assert not shiboken6.isValid(loader)
    workers = _avatar_threads()
    held.release.set()
    for worker in workers:
        worker.join(10)
    relay = avatar._relay
    assert relay is not None
    assert shiboken6.isValid(relay)
    # The worker posted its result before it ended: deliver it now. It finds the loader gone.
    QCoreApplication.sendPostedEvents()
    assert outcomes == []
