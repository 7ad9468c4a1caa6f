"""One refresh at a time across every process of the user that shares a keyring entry.

Logto rotates refresh tokens on every use and revokes the whole grant when a used one comes
back, so two copies of the app (or a script beside it) must never refresh from the same stored
token. :class:`RefreshGuard` is an OS file lock per keyring service, plus a note of a refresh
token whose request got no answer (it may have been used and must not be sent again).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from desktop_app.errors import AuthError

logger = logging.getLogger(__name__)


LOCK_WAIT = 60.0  # seconds to wait for another process's refresh (it is bounded by its timeout)
_LOCK_POLL = 0.05


def refresh_lock_path(directory: Path, service: str) -> Path:
    """The lock file for one keyring service name: one per tenant and app, shared by every
    process of the user. The name is a digest, so it is a valid file name on every OS."""
    digest = hashlib.sha256(service.encode("utf-8")).hexdigest()[:32]
    return directory / f"refresh-{digest}.lock"


def _fingerprint(token: str) -> str:
    # A digest of a high-entropy token: enough to recognise it, useless to replay it.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError / PermissionError: someone else holds it
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class RefreshGuard:
    """Serialises refresh, sign-in and sign-out across processes sharing one keyring entry, and
    remembers a refresh token whose request got no answer (it may have been used).

    ``path=None`` (memory-only sessions) keeps both in this process. Otherwise the lock is an
    advisory OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``path``: the OS
    drops it when a process dies, so a crash never leaves a stale lock. We use the OS calls
    directly rather than a dependency: it is two calls per OS, and waiting is a cancellable
    asyncio poll instead of a thread blocked in ``flock``. The "in doubt" note lives next to the
    lock as a SHA-256 fingerprint of the token, never the token.
    """

    def __init__(self, path: Path | None, *, wait: float = LOCK_WAIT) -> None:
        self.path = path
        self._wait = wait
        self._in_doubt: str | None = None  # used when path is None

    @property
    def _note(self) -> Path | None:
        return None if self.path is None else self.path.with_suffix(".in-doubt")

    def _open(self) -> int:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the lock; waits (without blocking the loop) up to ``wait`` seconds for it."""
        if self.path is None:
            yield
            return
        try:
            fd = await asyncio.to_thread(self._open)
        except OSError as exc:
            # Without a lock directory, fall back to the in-process lock alone.
            logger.warning("Could not open the refresh lock file (%s).", type(exc).__name__)
            yield
            return
        try:
            deadline = asyncio.get_running_loop().time() + self._wait
            while not _try_lock(fd):
                if asyncio.get_running_loop().time() > deadline:
                    raise AuthError(
                        "Another copy of this app is still renewing your sign-in.",
                        advice="Try again in a moment.",
                    )
                await asyncio.sleep(_LOCK_POLL)
            try:
                yield
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    # Call the methods below only while holding the lock.

    async def in_doubt(self, token: str) -> bool:
        """Whether ``token`` was sent in a refresh that got no answer."""
        note = self._note
        if note is None or self._in_doubt == _fingerprint(token):
            return self._in_doubt == _fingerprint(token)

        def read() -> str:
            try:
                return note.read_text("ascii").strip()
            except (OSError, ValueError):
                return ""

        return await asyncio.to_thread(read) == _fingerprint(token)

    async def mark_in_doubt(self, token: str) -> None:
        note = self._note
        if note is None:
            self._in_doubt = _fingerprint(token)
            return

        def write() -> None:
            tmp = note.with_suffix(".tmp")
            tmp.write_text(_fingerprint(token), "ascii")
            os.replace(tmp, note)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            logger.warning("Could not note an unanswered refresh (%s).", type(exc).__name__)
            self._in_doubt = _fingerprint(token)

    async def forget(self) -> None:
        self._in_doubt = None
        note = self._note
        if note is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(note.unlink, True)
