"""Two app instances on one keyring never replay a refresh token: two real Python processes.

``test_concurrency`` shows it for two AuthSessions in one process; here each copy of the app is
a process of its own (:mod:`tests.hardening.refresh_child`), so only the OS file lock of
:mod:`desktop_app.auth.refresh_guard` and the keyring stand between them. Both share a file
keyring (:mod:`tests.fixtures.file_keyring`) and a lock directory, and both load the same
stored session, seeded here by a real sign-in against ``fake_idp``, whose access token has
expired by their clocks (they run two hours ahead).

The overlap is made, not left to timing: the process that wins the lock stops at its keyring
write (the provider has already rotated the refresh token; the keyring still holds the old one)
until the other process reports that it found the lock held. Only then may the first go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from desktop_app.auth.storage import KeyringStorage
from tests.fixtures.fake_idp import APP_ID, FakeIdp
from tests.fixtures.file_keyring import ENV_FILE, FileKeyring
from tests.hardening.helpers import Sessions

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]
CLOCK_OFFSET = 2 * 3600  # the seeded access token lives an hour: expired for the children
STEP_TIMEOUT = 60.0  # generous: each child imports the app and starts cold


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Child:
    """One app process: its events (JSON lines on stdout) and its commands (lines on stdin)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, stderr: Path) -> None:
        self.name = name
        self.proc = proc
        self.stderr = stderr
        self.events: list[dict[str, Any]] = []
        self.ended = False  # stdout closed: the process is exiting

    def saw(self, event: str) -> bool:
        return any(e["event"] == event for e in self.events)

    def last(self, event: str) -> dict[str, Any]:
        return next(e for e in reversed(self.events) if e["event"] == event)

    async def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()

    def report(self) -> str:
        names = [e["event"] for e in self.events]
        tail = self.stderr.read_text(errors="replace")[-2000:] if self.stderr.exists() else ""
        return f"{self.name}: events {names}, exit {self.proc.returncode}, stderr:\n{tail}"


class Children:
    """Starts app processes on one keyring file and lock directory, and waits on their events."""

    def __init__(self, idp: FakeIdp, tmp_path: Path, lock_dir: Path) -> None:
        self.idp = idp
        self.tmp_path = tmp_path
        self.lock_dir = lock_dir
        self.made: list[Child] = []
        self.changed = asyncio.Condition()
        self._readers: list[asyncio.Task[None]] = []

    async def start(self, name: str, mode: str) -> Child:
        stderr = self.tmp_path / f"{name}.stderr"
        env = dict(os.environ)  # isolated by the autouse fixture, BENCH_KEYRING_FILE set
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the real one
        with stderr.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.hardening.refresh_child",
                mode,
                self.idp.endpoint,
                APP_ID,
                str(self.lock_dir),
                str(CLOCK_OFFSET),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
        child = Child(name, proc, stderr)
        self.made.append(child)
        self._readers.append(asyncio.create_task(self._read(child)))
        return child

    async def _read(self, child: Child) -> None:
        assert child.proc.stdout is not None
        async for line in child.proc.stdout:
            with contextlib.suppress(ValueError):  # not ours: keep it out of the events
                child.events.append(json.loads(line))
            async with self.changed:
                self.changed.notify_all()
        child.ended = True
        async with self.changed:
            self.changed.notify_all()

    async def until(self, done: Callable[[], bool], what: str) -> None:
        """Wait for ``done()``, re-checked on every event; fail if a child ends first."""

        def settled() -> bool:
            return done() or any(child.ended for child in self.made)

        try:
            async with asyncio.timeout(STEP_TIMEOUT), self.changed:
                await self.changed.wait_for(settled)
        except TimeoutError:
            pass
        if not done():
            raise AssertionError(f"never saw {what}\n" + self.reports())

    async def finish(self) -> None:
        """Wait for every child to exit (each does after its last event)."""
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                await asyncio.gather(*(child.proc.wait() for child in self.made))
                await asyncio.gather(*self._readers)
        except TimeoutError:
            raise AssertionError("a child did not exit\n" + self.reports()) from None
        for child in self.made:
            assert child.proc.returncode == 0, self.reports()

    def reports(self) -> str:
        return "\n".join(child.report() for child in self.made)

    async def close(self) -> None:
        for child in self.made:
            if child.proc.returncode is None:
                child.proc.kill()
                await child.proc.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared file keyring, for this process and (through the environment) the children."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV_FILE, str(path))
    return path


@pytest_asyncio.fixture
async def children(
    fake_idp: FakeIdp, tmp_path: Path, keyring_file: Path
) -> AsyncIterator[Children]:
    made = Children(fake_idp, tmp_path, tmp_path / "locks")
    try:
        yield made
    finally:
        await made.close()


async def seed_session(sessions: Sessions) -> tuple[str, str]:
    """Sign in once in this process; returns the stored refresh token and access token."""
    session = sessions(backend=FileKeyring())
    await session.sign_in()
    refresh_token = session.storage.get("refreshToken")
    access_token = session.client.cached_access_token()
    assert refresh_token
    assert access_token
    return refresh_token, access_token


async def stored(idp: FakeIdp) -> KeyringStorage:
    """What the shared keyring holds now, read afresh."""
    storage = KeyringStorage.for_app(idp.endpoint, APP_ID, backend=FileKeyring())
    await storage.load()
    return storage


def assert_ready(children: Children) -> None:
    first, second = (child.last("ready") for child in children.made)
    assert first["lock"] == second["lock"]  # one keyring entry, one lock file
    assert Path(first["lock"]).parent == children.lock_dir
    for ready in (first, second):
        assert ready["has_refresh_token"]
        assert not ready["access_token_valid"]  # expired by the children's clock


async def test_two_processes_on_one_keyring_refresh_once(
    fake_idp: FakeIdp, sessions: Sessions, children: Children
) -> None:
    seeded_refresh, seeded_access = await seed_session(sessions)
    a = await children.start("a", "refresh")
    b = await children.start("b", "refresh")
    await children.until(lambda: a.saw("ready") and b.saw("ready"), "both children ready")
    assert_ready(children)

    # Both ask at once. Whichever wins the lock refreshes and stops before its keyring write;
    # the other must then be waiting on the lock, holding only the refresh token just used.
    await asyncio.gather(a.send("go"), b.send("go"))
    await children.until(
        lambda: (a.saw("paused") and b.saw("waiting")) or (b.saw("paused") and a.saw("waiting")),
        "one child mid-refresh while the other waits on the lock",
    )
    refresher = a if a.saw("paused") else b
    await refresher.send("continue")
    await children.finish()

    assert sum(child.saw("paused") for child in children.made) == 1
    assert fake_idp.requests["token:refresh_token"] == 1
    assert fake_idp.presented[seeded_refresh] == 1
    assert all(count == 1 for count in fake_idp.presented.values())
    fingerprints = {child.last("done")["access_token_sha256"] for child in children.made}
    storage = await stored(fake_idp)
    rotated = storage.get("refreshToken")
    assert rotated is not None
    assert rotated != seeded_refresh
    assert fake_idp.live_refresh_tokens == {rotated}  # the grant survived: no replay
    new_access = json.loads(storage.get("accessTokenMap") or "{}")["x"][""]["token"]
    assert fingerprints == {sha256(new_access)}  # both use the new token the keyring holds
    assert sha256(seeded_access) not in fingerprints


async def test_sign_out_in_one_process_during_a_refresh_in_another_leaves_nothing(
    fake_idp: FakeIdp, sessions: Sessions, children: Children, keyring_file: Path
) -> None:
    seeded_refresh, seeded_access = await seed_session(sessions)
    refresher = await children.start("refresher", "refresh")
    leaver = await children.start("leaver", "sign_out")
    await children.until(
        lambda: refresher.saw("ready") and leaver.saw("ready"), "both children ready"
    )
    assert_ready(children)

    # The refresh is mid-flight (rotated at the provider, not yet in the keyring) when the
    # other process signs out: its sign-out must wait, then revoke the rotated token.
    await refresher.send("go")
    await children.until(lambda: refresher.saw("paused"), "the refresh mid-flight")
    await leaver.send("go")
    await children.until(lambda: leaver.saw("waiting"), "the sign-out waiting on the lock")
    await refresher.send("continue")
    await children.finish()

    assert refresher.saw("done")
    assert refresher.last("done")["access_token_sha256"] != sha256(seeded_access)
    assert leaver.last("signed_out")["revoked"]
    assert fake_idp.requests["token:refresh_token"] == 1
    assert fake_idp.presented[seeded_refresh] == 1
    assert all(count == 1 for count in fake_idp.presented.values())
    assert fake_idp.requests["revocation"] == 1
    assert fake_idp.live_refresh_tokens == set()  # the rotated token was revoked too
    storage = await stored(fake_idp)
    assert storage.get("refreshToken") is None
    left = json.loads(await asyncio.to_thread(keyring_file.read_text))
    assert not any(left.values())  # no entry of any service is left
