"""Avatars: fetched on a worker thread (never on the Qt thread), initials otherwise."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap

from desktop_app.errors import ConfigError
from desktop_app.ui import theme
from desktop_app.ui.qt_async import qt_workers

logger = logging.getLogger(__name__)

MAX_AVATAR_BYTES = 2 * 1024 * 1024
TRANSFER_TIMEOUT_MS = 10_000


def placeholder_pixmap(initials: str, size: int, dpr: float = 1.0) -> QPixmap:
    """A round badge with ``initials`` (the colour picked from the letters, so it is stable)."""
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    # theme's avatar colours: white initials on each at >= 4.5:1, no red (it reads as an error).
    colour = theme.avatar_background(initials)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QRectF(0, 0, size, size))
    font = QFont()
    font.setPixelSize(int(size * 0.4))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor(theme.AVATAR_TEXT))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials)
    painter.end()
    return pixmap


def rounded(image: QImage, size: int, dpr: float = 1.0) -> QPixmap:
    """``image`` scaled to fill a circle of ``size`` logical pixels."""
    side = int(size * dpr)
    scaled = image.scaled(
        QSize(side, side),
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addEllipse(QRectF(0, 0, side, side))
    painter.setClipPath(path)
    painter.drawImage((side - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
    painter.end()
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def _download(url: str) -> QImage | None:
    """Fetch and decode an avatar (on a worker thread); None when it is missing or not an image."""
    return _decode(_receive(url))


def _receive(url: str) -> bytes | None:
    """The avatar's bytes (network only, no Qt); None when it is missing or too large.

    Off the Qt thread on purpose: the first https request loads the system's CA certificates,
    which took 200-600 ms on the Qt thread when QNetworkAccessManager did it (measured with
    ``./run bench``).
    """
    # Imported here: urllib/http.client/ssl cost ~15 ms of start-up before the first paint.
    import http.client
    import urllib.request

    class NoDowngradeRedirects(urllib.request.HTTPRedirectHandler):
        """Follow redirects, but never from https to http (a picture is not worth a downgrade)."""

        def redirect_request(
            self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> Any:
            if req.full_url.startswith("https:") and not newurl.startswith("https:"):
                return None
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    # The same proxy rules as the auth core's requests (never for loopback, NO_PROXY honoured),
    # instead of urllib's own, which would proxy 127.0.0.1 and ignore ALL_PROXY.
    from desktop_app.auth.proxy import proxy_for

    try:
        proxy = proxy_for(url)
    except ConfigError as exc:
        logger.info("Avatar not loaded: %s", exc.message)
        return None
    scheme = url.partition(":")[0].lower()
    proxies = {scheme: proxy.url_with_credentials} if proxy is not None else {}
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies), NoDowngradeRedirects()
    )
    try:
        with opener.open(url, timeout=TRANSFER_TIMEOUT_MS / 1000) as response:
            data = response.read(MAX_AVATAR_BYTES + 1)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        logger.info("Avatar not loaded: %s", type(exc).__name__)
        return None
    if len(data) > MAX_AVATAR_BYTES:
        logger.info("Avatar not loaded: larger than %d bytes", MAX_AVATAR_BYTES)
        return None
    return bytes(data)


def _decode(data: bytes | None) -> QImage | None:
    if data is None:
        return None
    image = QImage()  # QImage is reentrant: decoding on the worker keeps it off the Qt thread
    if not image.loadFromData(data) or image.isNull():
        logger.info("Avatar not loaded: not an image")
        return None
    return image


class _Relay(QObject):
    """Carries a finished download from the worker thread to the Qt thread.

    The worker never touches the :class:`AvatarLoader`: the window (its parent) may be deleted on
    the Qt thread while a download is in flight, and emitting a signal of a QObject being deleted
    on another thread crashes Qt. The relay lives on the Qt thread until the process ends, and the
    worker holds the loader only by a weak reference, checked on the Qt thread.
    """

    done = Signal(object, int, object)  # (weakref to the loader, generation, QImage | None)

    def __init__(self) -> None:
        super().__init__()
        self.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, int, object)
    def _deliver(self, ref: Any, generation: int, image: QImage | None) -> None:
        loader = ref()
        if loader is not None and shiboken6.isValid(loader):
            loader._finished(generation, image)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    """The one relay, made on the Qt thread (by the first :meth:`AvatarLoader.load`)."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class AvatarLoader(QObject):
    """Loads one avatar at a time on a worker thread; a newer request (or :meth:`clear`)
    abandons the older one.

    ``loaded(QImage)`` on success; ``failed()`` when there is no picture, the server fails, the
    reply is too big or not an image — the window then keeps the initials placeholder.
    """

    loaded = Signal(QImage)
    failed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._pending = False
        self._url = ""

    @property
    def url(self) -> str:
        return self._url

    @property
    def pending(self) -> bool:
        """Whether a download is in flight."""
        return self._pending

    def load(self, url: str) -> None:
        """Fetch ``url`` (http or https only); emits ``loaded`` or ``failed`` later."""
        if url == self._url and self._pending:
            return
        self.clear()
        self._url = url
        if not url.lower().startswith(("http://", "https://")):
            self.failed.emit()
            return
        self._pending = True
        relay, ref = _the_relay(), weakref.ref(self)
        threading.Thread(
            target=_fetch, args=(relay, ref, self._generation, url), name="avatar", daemon=True
        ).start()

    def clear(self) -> None:
        """Forget the current picture and abandon a pending download."""
        self._generation += 1
        self._pending = False
        self._url = ""

    def _finished(self, generation: int, image: QImage | None) -> None:
        if generation != self._generation:
            return  # abandoned
        self._pending = False
        if image is None:
            self.failed.emit()
        else:
            self.loaded.emit(image)


def _fetch(relay: _Relay, ref: Any, generation: int, url: str) -> None:
    """The worker thread: download, then decode and hand the result to the relay (see
    :class:`_Relay`) while the app's Qt objects still exist. The worker is a daemon thread that
    can outlive the app (the person quits while it waits on the network): once the app has
    ended, touching Qt here crashed the process (see :data:`~desktop_app.ui.qt_async.qt_workers`)."""
    data = _receive(url)
    with qt_workers.entered() as app_running:
        if app_running:
            relay.done.emit(ref, generation, _decode(data))
