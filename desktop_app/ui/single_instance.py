"""One running app per user: a second launch asks the first to come to the front, then exits.

The first instance listens on a QLocalServer (a Unix socket / Windows named pipe) whose name
is per user; a later instance connects, writes ``activate``, and quits. A stale socket left by
a crash is removed before listening.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

_MESSAGE = b"activate\n"
_CONNECT_TIMEOUT_MS = 500


def default_server_name(app_name: str = "desktop-app") -> str:
    """A name private to this user (hashed: user names may hold characters sockets dislike)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    digest = hashlib.sha256(f"{app_name}:{user}".encode()).hexdigest()[:16]
    return f"{app_name}-{digest}"


class SingleInstance(QObject):
    """``acquire()`` says whether this is the first instance; the first one gets
    ``activation_requested`` each time another launch happens."""

    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or default_server_name()
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True: we are the only instance and now listen. False: another one was told to show.

        Runs before the event loop starts; the connect attempt waits at most half a second.
        """
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if socket.waitForConnected(_CONNECT_TIMEOUT_MS):
            socket.write(_MESSAGE)
            socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
            socket.disconnectFromServer()
            logger.info("Another instance is running; asked it to come to the front")
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A socket file left over by a crashed instance: nobody answered, so remove it.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                logger.warning("Single-instance server not started: %s", server.errorString())
                return True
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    @Slot()
    def _on_connection(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    @Slot()
    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(b"activate"):
            self.activation_requested.emit()

    def release(self) -> None:
        """Stop listening (on quit)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            server.deleteLater()
