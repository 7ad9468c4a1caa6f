"""One copy of the app for ``test_two_processes``: ``python -m tests.hardening.refresh_child``.

Arguments: ``MODE ENDPOINT APP_ID LOCK_DIR CLOCK_OFFSET``. MODE is ``refresh`` (ask for an access
token) or ``sign_out``. The keyring is :class:`tests.fixtures.file_keyring.FileKeyring` on the
file named by ``BENCH_KEYRING_FILE``, shared with the test and the other child; the refresh lock
lives in LOCK_DIR; the clock runs CLOCK_OFFSET seconds ahead, so the stored access token has
expired.

Protocol: the child writes one JSON object per line to stdout and reads commands from stdin.

* ``ready`` (the stored session is loaded), then it waits for ``go``.
* ``waiting``: a lock attempt found the refresh lock held by another process (said once).
* ``paused``: in ``refresh`` mode, the first keyring write after ``go`` (the rotated session,
  written under the lock) waits for ``continue``. The test holds a refresh there, mid-flight,
  until the other process is seen waiting on the lock: the overlap is made, not hoped for.
* ``done`` with the SHA-256 of the access token, ``signed_out``, or ``error``; then it exits.

No token is ever written out, only digests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from desktop_app.auth import refresh_guard
from desktop_app.auth.session import AuthSession
from desktop_app.config import Settings
from desktop_app.errors import DesktopAppError
from tests.fixtures.file_keyring import FileKeyring

_out = threading.Lock()  # "paused" is written from the keyring's worker thread


def emit(event: str, **data: Any) -> None:
    with _out:
        sys.stdout.write(json.dumps({"event": event, **data}) + "\n")
        sys.stdout.flush()


def expect(command: str) -> None:
    line = sys.stdin.readline().strip()
    if line != command:
        raise SystemExit(f"expected {command!r} on stdin, got {line!r}")


class GatedFileKeyring(FileKeyring):
    """The shared file keyring; once armed, its next write waits for the test's ``continue``."""

    armed = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.armed:  # only ever called from one keyring worker thread at a time
            self.armed = False
            emit("paused")
            expect("continue")
        super().set_password(service, username, password)


def observe_lock_waits() -> None:
    """Say when a refresh-lock attempt fails: another process holds the lock. A pure observer:
    the original function still decides."""
    original = refresh_guard._try_lock
    said = False

    def try_lock(fd: int) -> bool:
        nonlocal said
        acquired = original(fd)
        if not acquired and not said:
            said = True
            emit("waiting")
        return acquired

    refresh_guard._try_lock = try_lock


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def run(mode: str, endpoint: str, app_id: str, lock_dir: Path, offset: float) -> None:
    backend = GatedFileKeyring()
    session = AuthSession(
        Settings(endpoint=endpoint, app_id=app_id, scopes=(), sign_in_timeout=30),
        keyring_backend=backend,
        clock=lambda: time.time() + offset,
        http_timeout=10.0,
        lock_dir=lock_dir,
    )
    try:
        await session.storage.load()
        emit(
            "ready",
            lock=str(session.client.guard.path),
            has_refresh_token=session.client.has_refresh_token,
            access_token_valid=session.client.cached_access_token() is not None,
        )
        await asyncio.to_thread(expect, "go")
        backend.armed = mode == "refresh"
        try:
            if mode == "refresh":
                emit("done", access_token_sha256=digest(await session.access_token()))
            else:
                result = await session.sign_out()
                emit("signed_out", revoked=result.revoked)
        except DesktopAppError as exc:
            emit("error", error=type(exc).__name__, message=exc.message)
    finally:
        await session.close()


def main() -> None:
    mode, endpoint, app_id, lock_dir, offset = sys.argv[1:]
    if mode not in {"refresh", "sign_out"}:
        raise SystemExit(f"unknown mode {mode!r}")
    observe_lock_waits()
    asyncio.run(run(mode, endpoint, app_id, Path(lock_dir), float(offset)))


if __name__ == "__main__":
    main()
