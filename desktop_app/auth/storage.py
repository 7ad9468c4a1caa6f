"""Where the Logto SDK keeps its tokens: the OS keyring, or memory for this session only.

The SDK talks to a synchronous ``logto.Storage`` (``get``/``set``/``delete``) from coroutines on
the event loop, while the keyring costs a D-Bus or Win32 round trip per call. So both classes
here keep every value in memory and serve ``get``/``set``/``delete`` from it; only the async
methods ``load``/``flush``/``clear`` reach the keyring, always on a worker thread of their own
(a daemon thread, so a keyring that never answers cannot keep the app from quitting).

::

    TokenStorage            logto.Storage in memory + async load / flush / clear + location_label
    ├── KeyringStorage      write-through to the OS keyring (``keyring`` package)
    └── SessionOnlyStorage  the explicit opt-in: nothing is ever written

On-keyring format (service = :func:`service_name_for`, format version 1)::

    username "session"           {"v": 1, "tokens": {"idToken": ..., "refreshToken": ...,
                                                     "accessTokenMap": ...}}
                              or {"v": 1, "chunks": {"slot": "a", "count": 3, "sha256": <hex>}}
    username "session.a.0" ...   the chunks: consecutive slices of the JSON text of the tokens

A session fits in the one ``session`` entry unless the backend limits the size of an entry
(Windows Credential Manager: 1,280 characters). Chunks go to the slot the header does not point
at, and the header is written last, so a crash part-way leaves the previous session readable;
the header's sha256 is checked on every read. ``signInSession`` (PKCE verifier, state) and any
other key the SDK uses stay in memory and are never written.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Self, TypeVar

import keyring
import keyring.backend
from keyring.errors import KeyringLocked, NoKeyringError, PasswordDeleteError

from desktop_app.auth.stored_session import SESSION_KEYS
from desktop_app.config import endpoint_spelling
from desktop_app.errors import (
    ConfigError,
    KeyringUnavailableError,
    StorageError,
    UnencryptedKeyringError,
)

__all__ = [
    "ENCRYPTING_BACKENDS",
    "WINDOWS_MAX_ENTRY_CHARS",
    "KeyringStorage",
    "SessionOnlyStorage",
    "TokenStorage",
    "service_name_for",
]

logger = logging.getLogger(__name__)

WINDOWS_MAX_ENTRY_CHARS: Final = 1280
"""CRED_MAX_CREDENTIAL_BLOB_SIZE is 2,560 bytes of UTF-16, i.e. 1,280 characters."""

FORMAT_VERSION: Final = 1
HEADER_USERNAME: Final = "session"
SERVICE_PREFIX: Final = "desktop_app:"

_MIN_ENTRY_CHARS: Final = 256  # the chunk index must fit in one entry
_MAX_CHUNKS: Final = 256  # bounds every probe loop, even against a backend that never says None
_SLOTS: Final = ("a", "b")

ENCRYPTING_BACKENDS: Final = frozenset(
    {
        ("keyring.backends.SecretService", "Keyring"),  # GNOME Keyring, KeePassXC, ... (D-Bus)
        ("keyring.backends.libsecret", "Keyring"),
        ("keyring.backends.kwallet", "DBusKeyring"),
        ("keyring.backends.kwallet", "DBusKeyringKWallet4"),
        ("keyring.backends.macOS", "Keyring"),  # the login keychain
        ("keyring.backends.Windows", "WinVaultKeyring"),  # Credential Manager (DPAPI)
    }
)
"""``(module, class)`` of the keyring backends that keep secrets encrypted at rest. Any other
backend (keyrings.alt's PlaintextKeyring, a file or a database a person configured) is refused:
the README promises tokens never land on disk in plaintext. A backend that is not listed can
vouch for itself with a class attribute ``encrypts_at_rest = True`` (a third-party encrypting
backend, and the test doubles, opt in that way)."""
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

Slot = Literal["a", "b"]
_T = TypeVar("_T")


def service_name_for(endpoint: str, app_id: str) -> str:
    """The keyring service name for one Logto tenant and app, e.g.
    ``desktop_app:https://tenant.logto.app#app-id``.

    The endpoint is spelled as :func:`~desktop_app.config.endpoint_spelling` spells it (as the
    settings do), so spellings of the same tenant share an entry, while two tenants or two
    apps never do. Raises :class:`ConfigError` for an unusable endpoint or app id.
    """
    app = app_id.strip()
    if not app:
        raise ConfigError("The Logto app ID is empty.", field="app_id")
    return f"{SERVICE_PREFIX}{endpoint_spelling(endpoint)}#{app}"


class TokenStorage(ABC):
    """A ``logto.Storage`` served from memory, plus the async persistence contract.

    It is registered as a virtual subclass of ``logto.Storage`` where the SDK is loaded
    (:mod:`desktop_app.auth.logto_client`), not derived from it: this module must not import
    ``logto`` (and pydantic, aiohttp with it), so that start-up can read the stored session and
    paint the signed-in page before the SDK stack has loaded (issue 13 item 2).

    ``get``/``set``/``delete`` never block and never fail: the SDK calls them from coroutines
    on the event loop. Call ``await load()`` once at start, ``await flush()`` after every token
    response (and after the SDK deletes tokens), and ``await clear()`` to sign out.
    ``dirty`` says whether a persistent value changed since the last successful load or flush.
    """

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._version = 0  # bumped on each change to a persistent key
        self._saved_version = 0
        self._saved: dict[str, str] = {}  # the persistent values as last loaded or written

    # logto.Storage. The SDK also deletes keys outside PersistKey ("accessToken"), so keys are
    # typed as plain strings.
    def get(self, key: str) -> str | None:
        """The value in memory for ``key``, or None. Never touches the keyring."""
        return self._values.get(key)

    def set(self, key: str, value: str | None) -> None:
        """Keep ``value`` in memory; a change to a persistent key makes the store dirty."""
        if value is None:
            self.delete(key)
            return
        if self._values.get(key) == value:
            return
        self._values[key] = value
        if key in SESSION_KEYS:
            self._version += 1

    def delete(self, key: str) -> None:
        """Forget ``key`` in memory; removing a persistent key makes the store dirty."""
        if self._values.pop(key, None) is not None and key in SESSION_KEYS:
            self._version += 1

    @property
    def dirty(self) -> bool:
        """True when a persistent value differs from what the last successful load or flush
        saw. Putting back the value that was there (the SDK deletes tokens a sign-in keeps until
        it completes) is no change: a flush then cannot overwrite what another process stored."""
        return self._version != self._saved_version and self._persistent_snapshot() != self._saved

    def _persistent_snapshot(self) -> dict[str, str]:
        return {k: v for k, v in self._values.items() if k in SESSION_KEYS}

    @property
    def backend_name(self) -> str:
        """The keyring backend that keeps the tokens ("" when none does)."""
        return ""

    @property
    @abstractmethod
    def location_label(self) -> str:
        """Where tokens are kept, in words for the UI."""

    @abstractmethod
    async def load(self) -> None:
        """Read the saved session into memory."""

    @abstractmethod
    async def flush(self) -> None:
        """Make the persistent values in memory durable."""

    @abstractmethod
    async def clear(self) -> None:
        """Forget everything, in memory and wherever it was saved."""


class SessionOnlyStorage(TokenStorage):
    """The explicit opt-in session-only mode: tokens live in memory and die with the process.

    Same API as :class:`KeyringStorage`; ``load``/``flush`` do nothing and cannot fail.
    """

    @property
    def location_label(self) -> str:
        """Always ``"Memory only (this session)"``."""
        return "Memory only (this session)"

    async def load(self) -> None:
        """Nothing was saved, so there is nothing to read."""

    async def flush(self) -> None:
        """Nothing is written; the values in memory are all there is."""
        self._saved_version = self._version
        self._saved = self._persistent_snapshot()

    async def clear(self) -> None:
        """Forget every value."""
        self._values.clear()
        self._version += 1
        self._saved_version = self._version
        self._saved = {}


@dataclass(frozen=True)
class _Layout:
    """What the keyring holds under our service, as far as this process knows."""

    header: bool  # the "session" entry exists (or might: unreadable)
    slot: Slot | None = None  # the chunk slot the header points at; None when inline
    count: int = 0


_EMPTY = _Layout(header=False)


@dataclass(frozen=True)
class _ChunkIndex:
    slot: Slot
    count: int
    sha256: str


class _CorruptEntry(Exception):
    """A stored entry cannot be read. The reason names the problem, never the content."""


class KeyringStorage(TokenStorage):
    """The SDK's tokens in the OS keyring, written through from an in-memory cache.

    Contract:

    * ``await load()`` once at start reads the saved session (one keyring call, or one per
      chunk). A corrupt or half-written entry loads as signed out and is logged as a warning.
    * ``get``/``set``/``delete`` only touch memory. ``set``/``delete`` of ``idToken``,
      ``refreshToken`` or ``accessTokenMap`` make the store :attr:`dirty`; nothing is written
      in the background.
    * ``await flush()`` writes the dirty values in one thread hop (one keyring call for a
      normal session), serialized with an ``asyncio.Lock``. Await it after every token
      response, so a rotated refresh token is durable before it is used, and after the SDK
      deletes tokens. On failure it raises :class:`KeyringUnavailableError` and keeps the
      memory state (still dirty), so a later flush can retry and nothing is lost.
    * ``await clear()`` wipes memory, then every keyring entry of the service (chunks
      included). If the keyring fails it raises, and the store stays dirty so a later
      ``flush()`` finishes the removal.
    * ``signInSession`` (PKCE verifier, state) and unknown keys are never written.
    * Any exception from the backend becomes :class:`KeyringUnavailableError` with advice for
      this OS; the fail and null backends count as "no keyring". A backend that does not
      encrypt (see :data:`ENCRYPTING_BACKENDS`) is refused with
      :class:`~desktop_app.errors.UnencryptedKeyringError` by ``load`` and ``flush``; ``clear``
      still removes what an older version left there. There is no plaintext fallback.

    ``backend=None`` resolves ``keyring.get_keyring()`` lazily in the worker thread, since that
    may itself talk to D-Bus. ``max_entry_chars`` caps one entry; by default it is 1,280 on
    Windows Credential Manager and unlimited elsewhere.
    """

    def __init__(
        self,
        service: str,
        *,
        backend: keyring.backend.KeyringBackend | None = None,
        max_entry_chars: int | None = None,
    ) -> None:
        super().__init__()
        if not service:
            raise ValueError("service must not be empty")
        if max_entry_chars is not None and max_entry_chars < _MIN_ENTRY_CHARS:
            raise ValueError(f"max_entry_chars must be at least {_MIN_ENTRY_CHARS}")
        self._service = service
        self._backend = backend
        self._max_entry_chars = max_entry_chars
        # Describing a chainer lists its backends, which may touch D-Bus: leave that to the
        # worker thread. Any other injected backend is described by its type alone.
        self._info: _BackendInfo | None = None
        if backend is not None and not _is_chainer(backend):
            self._info = _describe(backend)
        self._lock = asyncio.Lock()
        # A cancelled flush leaves its worker thread running; this keeps the next one waiting.
        self._thread_lock = threading.Lock()
        self._layout: _Layout | None = None  # None: not known yet (never loaded or a write failed)
        self._suspect_slots: set[Slot] = set()  # slots that may hold chunks nobody points at

    @classmethod
    def for_app(
        cls,
        endpoint: str,
        app_id: str,
        *,
        backend: keyring.backend.KeyringBackend | None = None,
        max_entry_chars: int | None = None,
    ) -> Self:
        """A store for one Logto tenant and app, under :func:`service_name_for`."""
        return cls(
            service_name_for(endpoint, app_id), backend=backend, max_entry_chars=max_entry_chars
        )

    @property
    def service(self) -> str:
        """The keyring service name every entry of this store is filed under."""
        return self._service

    @property
    def location_label(self) -> str:
        """E.g. ``"OS keyring (Secret Service)"``; just ``"OS keyring"`` until the default
        backend has been resolved by the first ``load``/``flush``/``clear``."""
        if self._info is None:
            return "OS keyring"
        return f"OS keyring ({self._info.label})"

    @property
    def backend_name(self) -> str:
        """The keyring backend in use, e.g. ``"Secret Service"`` ("" until it is resolved)."""
        return "" if self._info is None else self._info.label

    @property
    def max_entry_chars(self) -> int | None:
        """The largest value one entry takes (None: unlimited, or backend not resolved yet)."""
        if self._max_entry_chars is not None:
            return self._max_entry_chars
        if self._info is not None and self._info.windows:
            return WINDOWS_MAX_ENTRY_CHARS
        return None

    async def load(self) -> None:
        """Replace the persistent values in memory with the saved session.

        Raises :class:`KeyringUnavailableError` if the keyring cannot be read; memory is then
        left as it was.
        """
        async with self._lock:
            version = self._version
            tokens = await _off_the_loop(self._load_sync)
            if self._version != version:
                # The SDK stored newer tokens while we were reading; they win.
                logger.info("Tokens changed during load; keeping the newer ones in memory.")
                self._saved = dict(tokens)
                return
            for key in SESSION_KEYS:
                self._values.pop(key, None)
            self._values.update(tokens)
            self._version += 1
            self._saved_version = self._version
            self._saved = dict(tokens)

    async def flush(self) -> None:
        """Write the persistent values if they changed. One thread hop; no-op when clean.

        Raises :class:`KeyringUnavailableError` (or, for a session too large for the keyring's
        entries, its parent :class:`StorageError`); memory is kept and stays dirty.
        """
        async with self._lock:
            version = self._version
            if not self.dirty:
                self._saved_version = version
                return
            snapshot = self._persistent_snapshot()
            await _off_the_loop(lambda: self._store_sync(snapshot))
            self._saved_version = version
            self._saved = snapshot

    async def clear(self) -> None:
        """Sign out locally: wipe memory and every keyring entry of this service.

        Raises :class:`KeyringUnavailableError` if the keyring fails; memory is wiped anyway.
        """
        async with self._lock:
            self._values.clear()
            self._version += 1
            version = self._version
            await _off_the_loop(self._clear_sync)
            self._saved_version = version
            self._saved = {}

    # Everything below runs in a worker thread, one operation at a time.

    def _resolved_backend(self, *, to_read_or_write: bool = True) -> keyring.backend.KeyringBackend:
        """The backend, refused when it is no keyring or (``to_read_or_write``) unencrypted."""
        if self._backend is None:
            try:
                self._backend = keyring.get_keyring()
            except Exception as exc:
                raise _unavailable(exc, "open", backend_name="default") from exc
        if self._info is None:
            try:
                self._info = _describe(self._backend)
            except Exception as exc:
                raise _unavailable(exc, "open", backend_name="default") from exc
        if self._info.no_keyring:
            raise _unavailable(
                NoKeyringError(f"{type(self._backend).__module__} backend"),
                "open",
                backend_name=self._info.label,
            )
        if to_read_or_write and not self._info.encrypted:
            raise _unencrypted(self._info.label)
        return self._backend

    def _call(self, action: str, fn: Callable[[str, str], _T], username: str) -> _T:
        try:
            return fn(self._service, username)
        except Exception as exc:
            name = self._info.label if self._info is not None else "default"
            raise _unavailable(exc, action, backend_name=name) from exc

    def _get(self, backend: keyring.backend.KeyringBackend, username: str) -> str | None:
        value: str | None = self._call("read", backend.get_password, username)
        return value

    def _set(self, backend: keyring.backend.KeyringBackend, username: str, value: str) -> None:
        def set_password(service: str, user: str) -> None:
            backend.set_password(service, user, value)

        self._call("save", set_password, username)

    def _delete(self, backend: keyring.backend.KeyringBackend, username: str) -> None:
        """Delete an entry; an entry that is already gone is fine."""

        def delete_password(service: str, user: str) -> None:
            try:
                backend.delete_password(service, user)
            except PasswordDeleteError:
                # Backends raise this for "no such entry" too; only a survivor is a failure.
                if backend.get_password(service, user) is not None:
                    raise

        self._call("remove", delete_password, username)

    def _load_sync(self) -> dict[str, str]:
        with self._thread_lock:
            backend = self._resolved_backend()
            header_text = self._get(backend, HEADER_USERNAME)
            if header_text is None:
                self._layout, self._suspect_slots = _EMPTY, set()
                return {}
            try:
                header = _parse_header(header_text)
            except _CorruptEntry as exc:
                self._layout, self._suspect_slots = _Layout(True), set(_SLOTS)
                self._warn_corrupt(exc)
                return {}
            if not isinstance(header, _ChunkIndex):
                self._layout, self._suspect_slots = _Layout(True), set()
                return header
            self._layout = _Layout(True, header.slot, header.count)
            self._suspect_slots = {header.slot}
            try:
                return self._read_chunks(backend, header)
            except _CorruptEntry as exc:
                self._suspect_slots = set(_SLOTS)
                self._warn_corrupt(exc)
                return {}

    def _warn_corrupt(self, exc: _CorruptEntry) -> None:
        logger.warning(
            "The session saved in the OS keyring under %r is unreadable (%s); starting signed out.",
            self._service,
            exc,
        )

    def _read_chunks(
        self, backend: keyring.backend.KeyringBackend, index: _ChunkIndex
    ) -> dict[str, str]:
        parts: list[str] = []
        for i in range(index.count):
            part = self._get(backend, _chunk_username(index.slot, i))
            if part is None:
                raise _CorruptEntry(f"chunk {i + 1} of {index.count} is missing")
            parts.append(part)
        return _decode_payload("".join(parts), index.sha256)

    def _store_sync(self, tokens: Mapping[str, str]) -> None:
        with self._thread_lock:
            backend = self._resolved_backend()
            if self._layout is None:
                self._layout = self._probe_layout(backend)
            if not tokens:
                self._erase(backend, probe_all=False)
                return
            old = self._layout
            limit = self.max_entry_chars
            inline = _dumps({"v": FORMAT_VERSION, "tokens": dict(tokens)})
            try:
                if limit is None or len(inline) <= limit:
                    self._set(backend, HEADER_USERNAME, inline)
                    new = _Layout(True)
                else:
                    new = self._write_chunks(backend, _dumps(dict(tokens)), limit, old.slot)
            except KeyringUnavailableError:
                # The header may or may not have landed: read it again before the next write,
                # so the next chunks never overwrite the slot the header points at.
                self._layout = None
                raise
            self._layout = new
            # Remove the chunks the new header does not point at. A failure here only warns:
            # the session is saved, and the suspects are retried after the next write.
            self._delete_stray_chunks(backend, new, strict=False)

    def _write_chunks(
        self,
        backend: keyring.backend.KeyringBackend,
        payload: str,
        limit: int,
        current: Slot | None,
    ) -> _Layout:
        slot: Slot = "b" if current == "a" else "a"
        parts = [payload[i : i + limit] for i in range(0, len(payload), limit)]
        if len(parts) > _MAX_CHUNKS:
            raise StorageError(
                "Your sign-in is too large for this keyring.",
                advice="Sign in for this session only, or use a different keyring.",
                detail=f"{len(parts)} chunks of {limit} characters",
            )
        self._suspect_slots.add(slot)  # before the first chunk: a crash leaves only suspects
        for i, part in enumerate(parts):
            self._set(backend, _chunk_username(slot, i), part)
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        index = {"slot": slot, "count": len(parts), "sha256": digest}
        self._set(backend, HEADER_USERNAME, _dumps({"v": FORMAT_VERSION, "chunks": index}))
        return _Layout(True, slot, len(parts))

    def _clear_sync(self) -> None:
        with self._thread_lock:
            # Removing a session from an unencrypted backend only helps (an older version of
            # the app may have left one there): no encryption needed to delete.
            backend = self._resolved_backend(to_read_or_write=False)
            self._erase(backend, probe_all=True)

    def _erase(self, backend: keyring.backend.KeyringBackend, *, probe_all: bool) -> None:
        """Delete the header first (so a crash part-way reads as signed out), then chunks."""
        layout = self._layout
        if probe_all or layout is None or layout.header:
            try:
                self._delete(backend, HEADER_USERNAME)
            except KeyringUnavailableError:
                self._layout = None
                raise
        self._layout = _EMPTY
        if probe_all:
            self._suspect_slots = set(_SLOTS)
        elif layout is not None and layout.slot is not None:
            self._suspect_slots.add(layout.slot)
        self._delete_stray_chunks(backend, _EMPTY, strict=probe_all)

    def _delete_stray_chunks(
        self, backend: keyring.backend.KeyringBackend, keep: _Layout, *, strict: bool
    ) -> None:
        for slot in sorted(self._suspect_slots):
            start = keep.count if slot == keep.slot else 0
            try:
                self._delete_slot_from(backend, slot, start)
            except KeyringUnavailableError as exc:
                if strict:
                    raise
                logger.warning("Could not remove old keyring chunks (%s).", exc.detail)
                continue
            if slot != keep.slot:
                self._suspect_slots.discard(slot)

    def _delete_slot_from(
        self, backend: keyring.backend.KeyringBackend, slot: Slot, start: int
    ) -> None:
        # Probe upwards, then delete downwards: a crash part-way leaves a prefix that the next
        # probe still finds.
        end = start
        while end < _MAX_CHUNKS and self._get(backend, _chunk_username(slot, end)) is not None:
            end += 1
        for i in reversed(range(start, end)):
            self._delete(backend, _chunk_username(slot, i))

    def _probe_layout(self, backend: keyring.backend.KeyringBackend) -> _Layout:
        """Learn what is stored before a first write (flush without load, or after a failure)."""
        text = self._get(backend, HEADER_USERNAME)
        if text is None:
            return _EMPTY
        try:
            header = _parse_header(text)
        except _CorruptEntry:
            self._suspect_slots = set(_SLOTS)
            return _Layout(True)
        if isinstance(header, _ChunkIndex):
            self._suspect_slots.add(header.slot)
            return _Layout(True, header.slot, header.count)
        return _Layout(True)


async def _off_the_loop(call: Callable[[], _T]) -> _T:
    """``call()`` on a daemon thread, awaited without blocking the loop.

    Not ``asyncio.to_thread``: a pool thread stuck in a keyring call that never returns (a
    Secret Service that hangs on D-Bus, an unlock prompt nobody answers) is waited for when the
    app quits, by interpreter exit and by qasync's ``loop.close()`` alike. A daemon thread is
    not; cancelling the await abandons the call (the thread lock keeps the next one waiting).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile: nobody is waiting any more
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = call()
        except BaseException as exc:  # handed to the awaiting coroutine, which re-raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: the app has quit
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="keyring call", daemon=True).start()
    return await future


def _chunk_username(slot: Slot, index: int) -> str:
    return f"{HEADER_USERNAME}.{slot}.{index}"


def _dumps(value: object) -> str:
    # ASCII only: one character is then one UTF-16 unit, which is what Windows counts.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _parse_header(text: str) -> dict[str, str] | _ChunkIndex:
    """The tokens of an inline header, or the index of a chunked one."""
    obj = _loads_object(text, "header")
    version = obj.get("v")
    if type(version) is not int or version != FORMAT_VERSION:
        raise _CorruptEntry("unknown format version")
    if "tokens" in obj and "chunks" not in obj:
        return _check_tokens(obj["tokens"])
    if "chunks" in obj and "tokens" not in obj:
        index = obj["chunks"]
        if not isinstance(index, dict):
            raise _CorruptEntry("chunk index is not an object")
        slot, count, digest = index.get("slot"), index.get("count"), index.get("sha256")
        if slot not in _SLOTS:
            raise _CorruptEntry("chunk index has an unknown slot")
        if type(count) is not int or not 1 <= count <= _MAX_CHUNKS:
            raise _CorruptEntry("chunk index has a bad count")
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
            raise _CorruptEntry("chunk index has a bad digest")
        return _ChunkIndex("a" if slot == "a" else "b", count, digest)
    raise _CorruptEntry("header holds neither tokens nor a chunk index")


def _decode_payload(payload: str, sha256: str) -> dict[str, str]:
    # surrogatepass: a foreign string with a lone surrogate must fail the digest, not raise.
    actual = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
    if actual != sha256:
        raise _CorruptEntry("chunks do not match the digest (a write was interrupted?)")
    return _check_tokens(_loads_object(payload, "chunks"))


def _loads_object(text: str, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise _CorruptEntry(f"{what} is not JSON") from None
    if not isinstance(obj, dict):
        raise _CorruptEntry(f"{what} is not a JSON object")
    return obj


def _check_tokens(obj: object) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise _CorruptEntry("tokens are not an object")
    tokens: dict[str, str] = {}
    for key in SESSION_KEYS:
        if key in obj:
            value = obj[key]
            if not isinstance(value, str):
                raise _CorruptEntry(f"{key} is not a string")
            tokens[key] = value
    # Unknown keys are ignored: they are not ours to hand to the SDK.
    return tokens


# Backends


@dataclass(frozen=True)
class _BackendInfo:
    label: str
    windows: bool  # entries hold at most WINDOWS_MAX_ENTRY_CHARS
    no_keyring: bool  # the fail or null backend: nothing would be kept
    encrypted: bool = True  # every backend that may hold the session encrypts at rest


def _is_chainer(backend: keyring.backend.KeyringBackend) -> bool:
    from keyring.backends.chainer import ChainerBackend

    return isinstance(backend, ChainerBackend)


def _describe(backend: keyring.backend.KeyringBackend) -> _BackendInfo:
    """Name the backend and its limits from its type (a chainer: from the backends it chains,
    the first of which takes every write)."""
    from keyring.backends import fail, null

    chain: list[keyring.backend.KeyringBackend] = (
        list(backend.backends) if _is_chainer(backend) else [backend]  # type: ignore[attr-defined]
    )
    no_keyring = all(isinstance(b, fail.Keyring | null.Keyring) for b in chain)
    # A chainer reads from the first backend that has the entry and writes to the first that
    # takes it: every member that may hold a session must encrypt.
    encrypted = all(_encrypts(b) for b in chain if not isinstance(b, fail.Keyring | null.Keyring))
    first = chain[0] if chain else backend
    module = type(first).__module__
    windows = module.startswith("keyring.backends.Windows") or (
        type(first).__name__ == "WinVaultKeyring"
    )
    if module in {"keyring.backends.SecretService", "keyring.backends.libsecret"}:
        label = "Secret Service"
    elif module.startswith("keyring.backends.macOS"):
        label = "macOS Keychain"
    elif windows:
        label = "Windows Credential Manager"
    elif module == "keyring.backends.kwallet":
        label = "KWallet"
    else:
        label = str(type(first).name)
    if not encrypted:
        refused = next(
            b for b in chain if not _encrypts(b) and not isinstance(b, fail.Keyring | null.Keyring)
        )
        label = f"{type(refused).__name__} from {type(refused).__module__}"
    return _BackendInfo(label=label, windows=windows, no_keyring=no_keyring, encrypted=encrypted)


def _encrypts(backend: keyring.backend.KeyringBackend) -> bool:
    if getattr(type(backend), "encrypts_at_rest", False) is True:
        return True
    return any(
        (cls.__module__, cls.__name__) in ENCRYPTING_BACKENDS for cls in type(backend).__mro__
    )


def _advice(platform: str) -> str:
    if platform.startswith("linux") or platform.startswith("freebsd"):
        return (
            "Make sure a keyring service such as GNOME Keyring or KWallet is installed and "
            "unlocked (for example: sudo apt install gnome-keyring, then log in to a desktop "
            "session), then try again. You can also sign in for this session only."
        )
    if platform == "darwin":
        return (
            "Open Keychain Access and unlock the login keychain, then try again. "
            "You can also sign in for this session only."
        )
    if platform in {"win32", "cygwin"}:
        return (
            "Make sure the Credential Manager service is running (open Services and start "
            "'Credential Manager'), then try again. You can also sign in for this session only."
        )
    return (
        "Make sure your system keyring is available and unlocked, then try again. "
        "You can also sign in for this session only."
    )


_DONE: Final = {"read": "read", "save": "saved", "remove": "removed"}


def _unencrypted(backend_name: str) -> UnencryptedKeyringError:
    return UnencryptedKeyringError(
        f"The keyring in use ({backend_name}) does not encrypt what it stores, so this app "
        "will not keep your sign-in there.",
        advice="Turn on 'Session only' in Settings to sign in without saving it, or set up an "
        "encrypting keyring (GNOME Keyring or KWallet, the macOS Keychain, Windows Credential "
        "Manager) and make it keyring's choice, then try again.",
        detail=f"{backend_name} keyring refused: not on the list of encrypting backends",
        backend=backend_name,
    )


def _unavailable(exc: BaseException, action: str, *, backend_name: str) -> KeyringUnavailableError:
    """One error for every backend failure: what happened, what to do, and (for the log only)
    which exception. Backend messages name entries at most, never their secrets."""
    done = _DONE.get(action)
    if isinstance(exc, NoKeyringError):
        message = "No OS keyring is available to keep you signed in."
    elif isinstance(exc, KeyringLocked):
        message = "The OS keyring is locked"
        message += f", so your sign-in could not be {done}." if done else "."
    elif done:
        message = f"The OS keyring is not working, so your sign-in could not be {done}."
    else:
        message = "The OS keyring could not be opened."
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return KeyringUnavailableError(
        message,
        advice=_advice(sys.platform),
        detail=f"{backend_name} keyring, {action}: {kind}: {str(exc)[:200]}",
        backend="" if backend_name == "default" else backend_name,
    )
