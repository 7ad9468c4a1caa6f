"""One running app per user: a second launch asks the first to come to the front, then exits.

Private by construction, so another OS user can neither stop the app from starting nor make two
run, and a crash leaves nothing that blocks the next start:

* The socket lives in a directory only this user can enter: ``$XDG_RUNTIME_DIR/desktop-app``
  (the runtime directory itself must be ours and 0700, as the XDG Base Directory spec
  promises), else ``<user cache dir>/run``, else ``/tmp/desktop-app-<uid>`` (``$TMPDIR`` if set). Each candidate is
  created 0700 and then checked with ``lstat``: a directory, not a symlink, owned by us, no
  group or other permissions. One that fails (planted by someone else, say) is skipped, the
  ``/tmp`` one for ``/tmp/desktop-app-<uid>-1``, ``-2``...; every launch walks the same list, so
  they all meet in the same place.
* A :class:`QLockFile` next to the socket decides who is first. It is held for the whole life
  of the first instance, so two launches at the same moment cannot both win, and the loser
  never removes the winner's socket. Only the holder of the lock removes a socket file (stale
  from a crash, or anything planted there) before it listens. Qt drops a lock whose process is
  gone; an unreadable one (a crash while writing it) is removed once nobody answers.
* A second launch writes one line, ``activate`` plus the names of the settings flags it was
  given, which it cannot apply: the running window says so, and so does the second launch.

On Windows the socket is a named pipe whose name is per user (``UserAccessOption``); the lock
file sits in the user cache dir.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import logging
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import QLockFile, QObject, Signal, Slot

from desktop_app import APP_NAME

if TYPE_CHECKING:
    # QtNetwork loads when it is used: the first instance listens after its window is painted.
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

_SOCKET_NAME = "instance.sock"
_LOCK_NAME = "instance.lock"
_MESSAGE = b"activate"
_MAX_MESSAGE = 512
_CONNECT_TIMEOUT_MS = 300
# How long a launch that lost the lock keeps trying to reach the winner, which may be between
# taking the lock and listening (a few microseconds, unless the machine is very busy).
_REACH_WINNER_SECONDS = 3.0
# sun_path is 108 bytes on Linux, 104 on macOS; keep room for the socket's name.
_MAX_SOCKET_PATH = 100
_FALLBACK_TRIES = 8


def default_server_name(app_name: str = APP_NAME) -> str:
    """A name private to this user (hashed: user names may hold characters sockets dislike)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    digest = hashlib.sha256(f"{app_name}:{user}".encode()).hexdigest()[:16]
    return f"{app_name}-{digest}"


def _is_private_dir(path: Path, *, uid: int) -> bool:
    """A real directory (no symlink), owned by ``uid``, with no group or other permissions."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == uid
        and stat.S_IMODE(info.st_mode) & 0o077 == 0
    )


def _make_private_dir(path: Path, *, uid: int) -> bool:
    """Create ``path`` 0700 if missing (parents too); True when it is then private to us."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        logger.debug("Cannot create %s: %s", path, exc.strerror)
        return False
    return _is_private_dir(path, uid=uid)


def candidate_dirs(app_name: str = APP_NAME) -> list[Path]:
    """Where the socket may live, best first (see the module docstring)."""
    uid = os.getuid()
    candidates: list[Path] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    # The spec says a relative path must be ignored; a runtime dir others can enter is no use.
    if runtime and os.path.isabs(runtime) and _is_private_dir(Path(runtime), uid=uid):
        candidates.append(Path(runtime) / app_name)
    candidates.append(Path(platformdirs.user_cache_dir(app_name, False)) / "run")
    tmp = Path(tempfile.gettempdir()) / f"{app_name}-{uid}"
    candidates.append(tmp)
    candidates.extend(Path(f"{tmp}-{n}") for n in range(1, _FALLBACK_TRIES))
    return candidates


def private_dir(candidates: Iterable[Path]) -> Path | None:
    """The first candidate that is (or can be made) a directory private to this user and
    short enough for a socket path; None when there is none."""
    uid = os.getuid()
    for path in candidates:
        if len(os.fsencode(path / _SOCKET_NAME)) > _MAX_SOCKET_PATH:
            continue
        if _make_private_dir(path, uid=uid):
            return path
        logger.warning(
            "Not using %s for the single-instance socket: not private to this user", path
        )
    return None


class SingleInstance(QObject):
    """``acquire()`` says whether this is the first instance; the first one gets
    ``activation_requested(ignored_flags)`` each time another launch happens, with the settings
    flags (``--endpoint``, ``--app-id``) that launch was given and could not apply."""

    activation_requested = Signal(list)

    def __init__(
        self,
        name: str | None = None,
        parent: QObject | None = None,
        *,
        directory: Path | None = None,
        candidates: Sequence[Path] | None = None,
    ) -> None:
        """``directory``: use this private directory (checked like the others);
        ``candidates``: the list to pick one from (default :func:`candidate_dirs`);
        ``name``: a plain pipe name instead (Windows, and tests of the old behaviour)."""
        super().__init__(parent)
        self._server: QLocalServer | None = None
        self._lock: QLockFile | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}
        #: Why this launch did not start, for the person (empty when it did, or was told to show).
        self.problem = ""
        self.directory: Path | None = None
        if name is None and sys.platform != "win32":
            picked = private_dir(
                [directory] if directory is not None else candidates or candidate_dirs()
            )
            self.directory = picked
            self.name = str(picked / _SOCKET_NAME) if picked is not None else ""
        else:
            self.name = name or default_server_name()

    @property
    def _lock_path(self) -> Path:
        if self.directory is not None:
            return self.directory / _LOCK_NAME
        base = Path(platformdirs.user_cache_dir(APP_NAME, False))
        base.mkdir(parents=True, exist_ok=True)
        return base / f"{Path(self.name).name}.lock"

    def acquire(self, ignored_flags: Sequence[str] = ()) -> bool:
        """True: we are the only instance and now listen. False: another one was told to show
        itself (and that ``ignored_flags`` were not applied), or cannot be reached (``problem``).

        Runs before the event loop starts; it waits at most a few seconds, and only when
        another launch holds the lock but is not listening yet.
        """
        if not self.lock(ignored_flags):
            return False
        self.listen()
        return True

    def lock(self, ignored_flags: Sequence[str] = ()) -> bool:
        """:meth:`acquire` in two steps, so the first instance can paint its window in between:
        True: we hold the lock (call :meth:`listen` next; until then a second launch keeps
        trying to reach us for a few seconds). False as for :meth:`acquire`."""
        if not self.name:
            # No private place at all: refusing to start would let anyone stop the app.
            logger.warning("No private directory for the single-instance socket; not enforcing it")
            return True
        lock = QLockFile(str(self._lock_path))
        lock.setStaleLockTime(0)  # held for the instance's lifetime; stale only if it is gone
        if lock.tryLock(0):
            self._lock = lock
            return True
        if self._tell_running(ignored_flags):
            return False
        # Nobody answered for a while. Qt has already dropped a lock of a process that is gone;
        # what is left is either unreadable (a crash while it was written) or a live process
        # that does not answer.
        if lock.tryLock(0):
            self._lock = lock
            return True
        pid, _host, _app = lock.getLockInfo() or (0, "", "")
        if not pid or not _alive(int(pid)):
            lock.removeStaleLockFile()
            if lock.tryLock(0):
                self._lock = lock
                return True
            if self._tell_running(ignored_flags):
                return False
        self.problem = (
            "desktop-app seems to be running already but does not answer. Close it (or end "
            f"process {pid}) and start desktop-app again."
            if pid
            else "desktop-app could not tell whether it is running already. Start it again."
        )
        return False

    def listen(self) -> None:
        """Start answering later launches (after :meth:`lock` returned True)."""
        if self._lock is None or self._server is not None:
            return  # no private place (not enforced), or listening already
        from PySide6.QtNetwork import QLocalServer

        # We hold the lock, so no running instance owns this path: whatever is there (a socket
        # left by a crash, a file) goes. In our private directory only we could have put it.
        if self.directory is not None:
            with contextlib.suppress(FileNotFoundError):
                path = Path(self.name)
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()
        else:
            QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # Still the only instance (we hold the lock); others will say it does not answer.
            logger.warning("Single-instance server not started: %s", server.errorString())
            server.deleteLater()
            return
        server.newConnection.connect(self._on_connection)
        self._server = server

    def _tell_running(self, ignored_flags: Sequence[str]) -> bool:
        from PySide6.QtNetwork import QLocalSocket

        message = b" ".join([_MESSAGE, *(f.encode("ascii", "replace") for f in ignored_flags)])
        deadline = time.monotonic() + _REACH_WINNER_SECONDS
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(_CONNECT_TIMEOUT_MS):
                socket.write(message[: _MAX_MESSAGE - 1] + b"\n")
                socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
                socket.disconnectFromServer()
                logger.info("Another instance is running; asked it to come to the front")
                return True
            if time.monotonic() >= deadline:
                return False
            # Refused or missing: the winner has the lock but is not listening yet.
            time.sleep(0.05)

    @Slot()
    def _on_connection(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            if socket.bytesAvailable():
                self._read(socket)

    @Slot()
    def _on_ready_read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    @Slot()
    def _on_disconnected(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            if socket.bytesAvailable():
                self._read(socket)
            self._buffers.pop(socket, None)
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        line, newline, _ = data.partition(b"\n")
        if not newline:
            if len(data) >= _MAX_MESSAGE:
                self._buffers.pop(socket, None)
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        self._buffers.pop(socket, None)
        words = line.decode("ascii", "replace").split()
        if words[:1] == ["activate"]:
            flags = [w for w in words[1:] if w in SETTINGS_FLAGS]
            self.activation_requested.emit(flags)

    def release(self) -> None:
        """Stop listening and give up the lock (on quit)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            server.deleteLater()
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.unlock()


#: The command-line flags a second launch cannot apply to the running window.
SETTINGS_FLAGS = ("--endpoint", "--app-id", "--config", "--demo")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def ignored_flags_message(flags: Sequence[str]) -> str:
    """What the person is told when a second launch brought settings flags."""
    names = ", ".join(flags)
    return (
        f"desktop-app was started again with {names}, but it is already running: those settings "
        "were not applied to the open window. Change them in Settings, or quit desktop-app and "
        "start it again with them."
    )
