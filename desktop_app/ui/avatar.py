"""Avatars: fetched with QtNetwork (asynchronous, never blocks the window), initials otherwise."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

logger = logging.getLogger(__name__)

MAX_AVATAR_BYTES = 2 * 1024 * 1024
TRANSFER_TIMEOUT_MS = 10_000

# Pleasant, readable with white text in both light and dark palettes.
_PLACEHOLDER_COLOURS = ("#5b6ee1", "#2f9e8f", "#c0504d", "#8e5bd6", "#d08a2e", "#3c8dbc")


def placeholder_pixmap(initials: str, size: int, dpr: float = 1.0) -> QPixmap:
    """A round badge with ``initials`` (the colour picked from the letters, so it is stable)."""
    pixmap = QPixmap(int(size * dpr), int(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    colour = QColor(_PLACEHOLDER_COLOURS[sum(map(ord, initials)) % len(_PLACEHOLDER_COLOURS)])
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QRectF(0, 0, size, size))
    font = QFont()
    font.setPixelSize(int(size * 0.4))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
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


class AvatarLoader(QObject):
    """Loads one avatar at a time; a newer request (or :meth:`clear`) abandons the older one.

    ``loaded(QImage)`` on success; ``failed()`` when there is no picture, the server fails, the
    reply is too big or not an image — the window then keeps the initials placeholder.
    """

    loaded = Signal(QImage)
    failed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._manager = QNetworkAccessManager(self)
        self._manager.setTransferTimeout(TRANSFER_TIMEOUT_MS)
        self._reply: QNetworkReply | None = None
        self._url = ""

    @property
    def url(self) -> str:
        return self._url

    def load(self, url: str) -> None:
        """Fetch ``url`` (http or https only); emits ``loaded`` or ``failed`` later."""
        if url == self._url and self._reply is not None:
            return
        self.clear()
        self._url = url
        qurl = QUrl(url)
        if not url or not qurl.isValid() or qurl.scheme() not in {"http", "https"}:
            self.failed.emit()
            return
        request = QNetworkRequest(qurl)
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.NoLessSafeRedirectPolicy,
        )
        reply = self._manager.get(request)
        reply.downloadProgress.connect(self._check_size)
        reply.finished.connect(self._finished)
        self._reply = reply

    def clear(self) -> None:
        """Forget the current picture and abandon a pending download."""
        reply, self._reply = self._reply, None
        self._url = ""
        if reply is not None:
            reply.finished.disconnect(self._finished)
            reply.abort()
            reply.deleteLater()

    @Slot(int, int)
    def _check_size(self, received: int, total: int) -> None:
        too_big = received > MAX_AVATAR_BYTES or total > MAX_AVATAR_BYTES
        if too_big and self._reply is not None:
            self._reply.abort()

    @Slot()
    def _finished(self) -> None:
        reply = self._reply
        if reply is None or reply is not self.sender():
            return
        self._reply = None
        reply.deleteLater()
        if reply.error() != QNetworkReply.NetworkError.NoError:
            logger.info("Avatar not loaded: %s", reply.error().name)
            self.failed.emit()
            return
        image = QImage()
        if not image.loadFromData(bytes(reply.readAll().data())) or image.isNull():
            logger.info("Avatar not loaded: not an image")
            self.failed.emit()
            return
        self.loaded.emit(image)
