"""KeyringStorage and SessionOnlyStorage against in-memory keyring backends (no D-Bus, no Qt)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable

import jeepney
import keyring.errors
import logto
import pytest
import secretstorage.exceptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.backends import fail, null

from desktop_app.auth import storage as storage_module
from desktop_app.auth.storage import (
    KeyringStorage,
    SessionOnlyStorage,
    TokenStorage,
    service_name_for,
)
from desktop_app.auth.stored_session import SESSION_KEYS
from desktop_app.errors import ConfigError, KeyringUnavailableError, StorageError
from tests.fixtures.fresh_process import modules_loaded_by
from tests.fixtures.keyrings import (
    FailingKeyring,
    FakeWin32Error,
    InMemoryKeyring,
    LockedKeyring,
    SizeLimitedKeyring,
    SlowKeyring,
)

SERVICE = "desktop_app:https://tenant.example#app"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.id-token-payload.signature-1"
REFRESH_TOKEN = "refresh-token-secret-value-1"
ACCESS_MAP = json.dumps(
    {"x": {"": {"token": "access-token-secret-1", "scope": "", "expiresAt": 1}}}
)
SIGN_IN_SESSION = json.dumps(
    {
        "redirectUri": "http://127.0.0.1:1234/callback",
        "codeVerifier": "pkce-verifier-secret",
        "state": "state-secret",
    }
)
SECRETS = [ID_TOKEN, REFRESH_TOKEN, "access-token-secret-1", "pkce-verifier-secret", "state-secret"]


def fill(
    store: TokenStorage, *, refresh: str = REFRESH_TOKEN, access_map: str = ACCESS_MAP
) -> None:
    """Store what the SDK stores after a sign-in, plus the in-flight session it keeps."""
    store.set("signInSession", SIGN_IN_SESSION)
    store.set("idToken", ID_TOKEN)
    store.set("refreshToken", refresh)
    store.set("accessTokenMap", access_map)


def tokens_of(store: TokenStorage) -> dict[str, str | None]:
    return {key: store.get(key) for key in sorted(SESSION_KEYS)}


async def reloaded(backend: InMemoryKeyring, **kw: object) -> KeyringStorage:
    """A fresh store on the same backend, as the next start of the app would build it."""
    store = KeyringStorage(SERVICE, backend=backend, **kw)  # type: ignore[arg-type]
    await store.load()
    return store


def big_access_map(chars: int, tag: str = "x") -> str:
    return json.dumps({"x": {"": {"token": tag * chars, "scope": "", "expiresAt": 1}}})


SIGNED_OUT = {key: None for key in sorted(SESSION_KEYS)}


# Round trip and the single entry


@pytest.mark.asyncio
async def test_round_trip_restores_tokens_but_not_the_sign_in_session(
    memory_keyring: InMemoryKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.load()
    fill(store)
    await store.flush()

    again = await reloaded(memory_keyring)

    assert tokens_of(again) == {
        "accessTokenMap": ACCESS_MAP,
        "idToken": ID_TOKEN,
        "refreshToken": REFRESH_TOKEN,
    }
    assert again.get("signInSession") is None
    assert not again.dirty


@pytest.mark.asyncio
async def test_a_normal_session_is_one_entry(memory_keyring: InMemoryKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    fill(store)
    await store.flush()

    assert memory_keyring.usernames(SERVICE) == {"session"}
    header = json.loads(memory_keyring.entries[(SERVICE, "session")])
    assert header["v"] == 1
    assert set(header["tokens"]) == SESSION_KEYS


@pytest.mark.asyncio
async def test_sign_in_session_is_never_written(memory_keyring: InMemoryKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.load()
    store.set("signInSession", SIGN_IN_SESSION)
    assert not store.dirty
    await store.flush()
    assert memory_keyring.entries == {}

    fill(store)
    await store.flush()
    stored = "".join(memory_keyring.entries.values())
    assert "pkce-verifier-secret" not in stored
    assert "state-secret" not in stored
    assert store.get("signInSession") == SIGN_IN_SESSION


@pytest.mark.asyncio
async def test_load_reads_once_and_get_never_touches_the_keyring(
    memory_keyring: InMemoryKeyring,
) -> None:
    seed = KeyringStorage(SERVICE, backend=memory_keyring)
    fill(seed)
    await seed.flush()
    memory_keyring.reset_calls()

    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.load()
    assert memory_keyring.calls == [("get", SERVICE, "session")]

    memory_keyring.reset_calls()
    for _ in range(100):
        store.get("idToken")
        store.get("refreshToken")
        store.get("accessTokenMap")
        store.get("signInSession")
    store.set("signInSession", "other")
    store.delete("signInSession")
    assert memory_keyring.calls == []


@pytest.mark.asyncio
async def test_flush_writes_once_for_several_sets(memory_keyring: InMemoryKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.load()
    memory_keyring.reset_calls()

    fill(store)
    store.set("refreshToken", "rotated-refresh-token")
    await store.flush()
    assert memory_keyring.calls == [("set", SERVICE, "session")]

    memory_keyring.reset_calls()
    await store.flush()
    store.set("idToken", ID_TOKEN)  # unchanged value: not a change
    await store.flush()
    assert memory_keyring.calls == []


@pytest.mark.asyncio
async def test_sdk_sign_out_deletes_then_flush_removes_the_entry(
    memory_keyring: InMemoryKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.load()
    fill(store)
    await store.flush()

    # What LogtoClient.signOut does to its storage.
    store.delete("idToken")
    store.delete("refreshToken")
    store.delete("accessTokenMap")
    store.delete("accessToken")  # the SDK also deletes this key, which it never sets
    assert store.dirty
    await store.flush()

    assert memory_keyring.entries == {}
    assert tokens_of(await reloaded(memory_keyring)) == SIGNED_OUT


@pytest.mark.asyncio
async def test_set_none_deletes(memory_keyring: InMemoryKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    fill(store)
    store.set("idToken", None)
    assert store.get("idToken") is None


@pytest.mark.asyncio
async def test_flush_without_load_keeps_the_keyring_consistent(
    memory_keyring: InMemoryKeyring,
) -> None:
    first = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
    fill(first, access_map=big_access_map(2000))
    await first.flush()

    second = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
    fill(second, access_map=big_access_map(600, "y"))
    await second.flush()  # never loaded: must learn the layout and not clobber live chunks

    assert tokens_of(await reloaded(memory_keyring))["accessTokenMap"] == big_access_map(600, "y")
    assert _chunk_names(memory_keyring) == _expected_chunks(memory_keyring)


def test_storage_is_a_logto_storage(memory_keyring: InMemoryKeyring) -> None:
    from desktop_app.auth.logto_client import LogtoNativeClient

    for store in (KeyringStorage(SERVICE, backend=memory_keyring), SessionOnlyStorage()):
        LogtoNativeClient("https://tenant.logto.app", "app", store)  # hands it to the SDK
        assert isinstance(store, logto.Storage)


def test_storage_imports_no_sdk() -> None:
    """Start-up reads the stored session through this module before the SDK stack loads
    (issue 13 item 2): importing it must not import logto, pydantic, aiohttp or PyJWT."""
    sdk = ("logto", "pydantic", "aiohttp", "jwt")
    assert modules_loaded_by("desktop_app.auth.storage", sdk) == []


# Service names


def test_service_names_differ_per_tenant_and_app() -> None:
    names = {
        service_name_for("https://one.logto.app", "app-a"),
        service_name_for("https://two.logto.app", "app-a"),
        service_name_for("https://one.logto.app", "app-b"),
        service_name_for("https://one.logto.app:8443", "app-a"),
        service_name_for("http://localhost", "app-a"),
        service_name_for("https://localhost", "app-a"),
    }
    assert len(names) == 6


@pytest.mark.parametrize(
    "spelling",
    [
        "https://one.logto.app",
        "https://one.logto.app/",
        "HTTPS://One.Logto.APP/",
        "https://one.logto.app:443",
        " https://one.logto.app// ",
    ],
)
def test_service_name_normalises_the_endpoint(spelling: str) -> None:
    assert service_name_for(spelling, "app-a") == "desktop_app:https://one.logto.app#app-a"


def test_service_name_keeps_the_port() -> None:
    assert service_name_for("http://LOCALHOST:3001/", "a") == "desktop_app:http://localhost:3001#a"
    assert service_name_for("http://[::1]:3001", "a") == "desktop_app:http://[::1]:3001#a"


@pytest.mark.parametrize(
    ("endpoint", "app_id", "field"),
    [
        ("one.logto.app", "a", "endpoint"),
        ("ftp://one.logto.app", "a", "endpoint"),
        ("https://", "a", "endpoint"),
        ("https://one.logto.app:99999", "a", "endpoint"),
        ("https://one.logto.app/tenant", "a", "endpoint"),  # a Logto endpoint has no path
        ("https://one.logto.app", "  ", "app_id"),
    ],
)
def test_service_name_rejects_unusable_config(endpoint: str, app_id: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        service_name_for(endpoint, app_id)
    assert info.value.field == field


@pytest.mark.asyncio
async def test_two_tenants_do_not_collide(memory_keyring: InMemoryKeyring) -> None:
    one = KeyringStorage.for_app("https://one.logto.app", "app", backend=memory_keyring)
    two = KeyringStorage.for_app("https://two.logto.app", "app", backend=memory_keyring)
    one.set("refreshToken", "one-refresh")
    two.set("refreshToken", "two-refresh")
    await one.flush()
    await two.flush()
    await two.clear()

    again = KeyringStorage.for_app("https://ONE.logto.app/", "app", backend=memory_keyring)
    await again.load()
    assert again.get("refreshToken") == "one-refresh"
    assert again.service == one.service != two.service


# Chunking


def _chunk_names(backend: InMemoryKeyring, service: str = SERVICE) -> set[str]:
    return {user for user in backend.usernames(service) if user != "session"}


def _expected_chunks(backend: InMemoryKeyring, service: str = SERVICE) -> set[str]:
    header = json.loads(backend.entries[(service, "session")])
    if "tokens" in header:
        return set()
    index = header["chunks"]
    return {f"session.{index['slot']}.{i}" for i in range(index["count"])}


@pytest.mark.asyncio
async def test_a_10_kb_value_is_split_and_joined(size_limited_keyring: SizeLimitedKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=size_limited_keyring, max_entry_chars=1280)
    value = big_access_map(10_000)
    fill(store, access_map=value)
    await store.flush()

    assert all(len(v) <= 1280 for v in size_limited_keyring.entries.values())
    assert len(_chunk_names(size_limited_keyring)) >= 8
    assert _chunk_names(size_limited_keyring) == _expected_chunks(size_limited_keyring)
    again = await reloaded(size_limited_keyring, max_entry_chars=1280)
    assert again.get("accessTokenMap") == value
    assert again.get("refreshToken") == REFRESH_TOKEN


@pytest.mark.asyncio
async def test_a_shrinking_value_leaves_no_stale_chunks(
    size_limited_keyring: SizeLimitedKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=size_limited_keyring, max_entry_chars=1280)
    await store.load()
    for size in (10_000, 3_000, 12_000, 5_000, 100):
        fill(store, access_map=big_access_map(size))
        await store.flush()
        assert _chunk_names(size_limited_keyring) == _expected_chunks(size_limited_keyring)
        assert (await reloaded(size_limited_keyring)).get("accessTokenMap") == big_access_map(size)

    assert size_limited_keyring.usernames(SERVICE) == {"session"}


@pytest.mark.asyncio
async def test_without_a_limit_an_oversized_value_fails_like_windows(
    size_limited_keyring: SizeLimitedKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=size_limited_keyring)  # the limit is not known
    fill(store, access_map=big_access_map(5_000))
    with pytest.raises(KeyringUnavailableError) as info:
        await store.flush()
    assert isinstance(info.value.__cause__, FakeWin32Error)
    assert store.get("accessTokenMap") == big_access_map(5_000)
    assert store.dirty


class WinVaultKeyring(SizeLimitedKeyring):
    """Named like keyring.backends.Windows.WinVaultKeyring, which is what the detection reads."""


@pytest.mark.asyncio
async def test_windows_backend_gets_the_1280_limit_by_default() -> None:
    backend = WinVaultKeyring(1280)
    store = KeyringStorage(SERVICE, backend=backend)
    assert store.max_entry_chars == 1280
    assert store.location_label == "OS keyring (Windows Credential Manager)"
    fill(store, access_map=big_access_map(10_000))
    await store.flush()
    assert (await reloaded(backend)).get("accessTokenMap") == big_access_map(10_000)


def test_an_explicit_limit_wins_and_must_hold_the_index() -> None:
    assert (
        KeyringStorage(SERVICE, backend=WinVaultKeyring(), max_entry_chars=900).max_entry_chars
        == 900
    )
    assert KeyringStorage(SERVICE, backend=InMemoryKeyring()).max_entry_chars is None
    with pytest.raises(ValueError, match="at least"):
        KeyringStorage(SERVICE, backend=InMemoryKeyring(), max_entry_chars=100)


@pytest.mark.asyncio
async def test_a_session_too_large_for_any_chunking_is_a_storage_error(
    memory_keyring: InMemoryKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
    fill(store, access_map=big_access_map(256 * 300))
    with pytest.raises(StorageError, match="too large"):
        await store.flush()
    assert memory_keyring.entries == {}
    assert store.dirty


# Crashes part-way through a write


OLD_MAP = big_access_map(1500, "o")


@pytest.mark.parametrize("old_map", [OLD_MAP, ACCESS_MAP], ids=["old-chunked", "old-inline"])
@pytest.mark.parametrize(
    "new_map", [big_access_map(2500, "n"), ACCESS_MAP], ids=["new-chunked", "new-inline"]
)
@pytest.mark.parametrize("op", ["set", "delete", "get"])
@pytest.mark.asyncio
async def test_a_crash_mid_write_reads_old_or_new_never_garbage(
    old_map: str, new_map: str, op: str
) -> None:
    for survivors in range(16):
        backend = FailingKeyring(
            lambda: FakeWin32Error(1, "CredWrite", "crash"), ops=frozenset({op})
        )
        backend.failing = False
        store = KeyringStorage(SERVICE, backend=backend, max_entry_chars=256)
        fill(store, refresh="old-refresh", access_map=old_map)
        await store.flush()

        backend.failing, backend.after = True, survivors
        fill(store, refresh="new-refresh", access_map=new_map)
        try:
            await store.flush()
        except KeyringUnavailableError:
            assert store.dirty
            assert store.get("refreshToken") == "new-refresh"  # memory keeps the newest
        backend.failing = False

        # The process dies here; the next start reads either session whole, never a mix.
        after_crash = tokens_of(await reloaded(backend, max_entry_chars=256))
        old = {"accessTokenMap": old_map, "idToken": ID_TOKEN, "refreshToken": "old-refresh"}
        new = {"accessTokenMap": new_map, "idToken": ID_TOKEN, "refreshToken": "new-refresh"}
        assert after_crash in (old, new), f"{survivors} calls survived"

        # And the same store recovers: the next flush saves the newest session, and the next
        # write after that leaves exactly what the header names (old chunks are garbage
        # collected after a header write; a failed collection is retried on the next one).
        await store.flush()
        assert tokens_of(await reloaded(backend, max_entry_chars=256)) == new
        store.set("idToken", "next-id-token")
        await store.flush()
        assert (await reloaded(backend, max_entry_chars=256)).get("idToken") == "next-id-token"
        assert _chunk_names(backend) == _expected_chunks(backend)


@pytest.mark.asyncio
async def test_orphan_chunks_from_a_crash_are_cleaned_up_later(
    memory_keyring: InMemoryKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
    fill(store, access_map=big_access_map(1000))
    await store.flush()
    # What crashed writers can leave: chunks run 0..n-1 in order and are deleted from the top,
    # so every slot holds a contiguous run from 0, possibly longer than the header says.
    count = len(_expected_chunks(memory_keyring))
    for i in range(count, count + 4):
        memory_keyring.entries[(SERVICE, f"session.a.{i}")] = "orphan"
    for i in range(6):
        memory_keyring.entries[(SERVICE, f"session.b.{i}")] = "orphan"

    again = await reloaded(memory_keyring, max_entry_chars=256)
    again.set("refreshToken", "rotated")
    await again.flush()
    assert _chunk_names(memory_keyring) == _expected_chunks(memory_keyring)
    await again.clear()
    assert memory_keyring.entries == {}

    # clear() alone finds them too.
    for slot in "ab":
        for i in range(3):
            memory_keyring.entries[(SERVICE, f"session.{slot}.{i}")] = "orphan"
    await KeyringStorage(SERVICE, backend=memory_keyring).clear()
    assert memory_keyring.entries == {}


# Corrupt entries


def _valid_index(slot: str = "a", count: int = 1, digest: str = "0" * 64) -> dict[str, object]:
    return {"slot": slot, "count": count, "sha256": digest}


CORRUPT_HEADERS = {
    "empty": "",
    "not-json": "{not json",
    "truncated": '{"v": 1, "tokens": {"idToken": "abc',
    "list": "[]",
    "string": '"just a string"',
    "null": "null",
    "unknown-version": json.dumps({"v": 2, "tokens": {"idToken": "x"}}),
    "bool-version": json.dumps({"v": True, "tokens": {"idToken": "x"}}),
    "string-version": json.dumps({"v": "1", "tokens": {"idToken": "x"}}),
    "no-version": json.dumps({"tokens": {"idToken": "x"}}),
    "no-body": json.dumps({"v": 1}),
    "both-bodies": json.dumps({"v": 1, "tokens": {}, "chunks": _valid_index()}),
    "tokens-list": json.dumps({"v": 1, "tokens": ["idToken"]}),
    "token-int": json.dumps({"v": 1, "tokens": {"idToken": 5}}),
    "token-null": json.dumps({"v": 1, "tokens": {"refreshToken": None}}),
    "token-object": json.dumps({"v": 1, "tokens": {"accessTokenMap": {"x": {}}}}),
    "index-list": json.dumps({"v": 1, "chunks": []}),
    "bad-slot": json.dumps({"v": 1, "chunks": _valid_index(slot="c")}),
    "zero-count": json.dumps({"v": 1, "chunks": _valid_index(count=0)}),
    "bool-count": json.dumps({"v": 1, "chunks": _valid_index(count=True)}),
    "huge-count": json.dumps({"v": 1, "chunks": _valid_index(count=10**9)}),
    "bad-digest": json.dumps({"v": 1, "chunks": _valid_index(digest="xyz")}),
    "missing-chunk": json.dumps({"v": 1, "chunks": _valid_index(count=3)}),
    "digest-mismatch": json.dumps({"v": 1, "chunks": _valid_index(count=1)}),
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "huge-int": '{"v": ' + "9" * 5000 + "}",
    "lone-surrogate": '{"v": 1, "tokens": {"idToken": "\\ud800"}}',
}


@pytest.mark.parametrize("header", list(CORRUPT_HEADERS.values()), ids=list(CORRUPT_HEADERS))
@pytest.mark.asyncio
async def test_corrupt_entries_read_as_signed_out(
    header: str, memory_keyring: InMemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    memory_keyring.entries[(SERVICE, "session")] = header
    memory_keyring.entries[(SERVICE, "session.a.0")] = '{"idToken": "chunk-secret"}'

    with caplog.at_level(logging.DEBUG):
        store = await reloaded(memory_keyring)

    if header == CORRUPT_HEADERS["lone-surrogate"]:
        # Valid JSON with a valid string: handed over as is (the SDK rejects a bad ID token).
        assert store.get("idToken") == "\ud800"
        return
    assert tokens_of(store) == SIGNED_OUT
    assert "unreadable" in caplog.text
    assert "chunk-secret" not in caplog.text
    if len(header) > 10:
        assert header not in caplog.text

    # Signing in again replaces the corrupt entry and leaves no stray chunks.
    fill(store)
    await store.flush()
    assert tokens_of(await reloaded(memory_keyring))["refreshToken"] == REFRESH_TOKEN
    assert memory_keyring.usernames(SERVICE) == {"session"}


@pytest.mark.asyncio
async def test_a_chunk_swapped_for_another_generation_fails_the_digest(
    memory_keyring: InMemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
    fill(store, access_map=big_access_map(1000, "1"))
    await store.flush()
    stale = dict(memory_keyring.entries)
    fill(store, access_map=big_access_map(1000, "2"))
    await store.flush()
    fill(store, access_map=big_access_map(1000, "3"))
    await store.flush()  # back in the first slot
    memory_keyring.entries[(SERVICE, "session.a.1")] = stale[(SERVICE, "session.a.1")]

    assert tokens_of(await reloaded(memory_keyring)) == SIGNED_OUT
    assert "digest" in caplog.text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["v", "tokens", "chunks", "slot", "count", "sha256", *SESSION_KEYS])
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)
HEADERS = st.one_of(
    st.text(),
    JSON.map(json.dumps),
    st.fixed_dictionaries({"v": st.sampled_from([1, 1, 2, "1", True]), "tokens": JSON}).map(
        json.dumps
    ),
    st.fixed_dictionaries(
        {
            "v": st.just(1),
            "chunks": st.fixed_dictionaries(
                {
                    "slot": st.sampled_from(["a", "b", "c", 0]),
                    "count": st.integers(-1, 5),
                    "sha256": st.sampled_from(["0" * 64, "A" * 64, "zz"]) | st.text(max_size=3),
                }
            ),
        }
    ).map(json.dumps),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS, chunks=st.lists(st.text(max_size=40), max_size=5))
def test_any_stored_strings_load_as_a_session_or_signed_out(header: str, chunks: list[str]) -> None:
    backend = InMemoryKeyring()
    backend.entries[(SERVICE, "session")] = header
    for i, chunk in enumerate(chunks):
        backend.entries[(SERVICE, f"session.a.{i}")] = chunk
        backend.entries[(SERVICE, f"session.b.{i}")] = chunk

    store = KeyringStorage(SERVICE, backend=backend)
    asyncio.run(store.load())

    loaded = {key: store.get(key) for key in SESSION_KEYS if store.get(key) is not None}
    assert all(isinstance(value, str) for value in loaded.values())
    assert not store.dirty


@settings(max_examples=100, deadline=None)
@given(
    tokens=st.dictionaries(st.sampled_from(sorted(SESSION_KEYS)), st.text(max_size=700)),
    limit=st.sampled_from([None, 256, 1280]),
)
def test_any_tokens_round_trip(tokens: dict[str, str], limit: int | None) -> None:
    backend = InMemoryKeyring()

    async def scenario() -> dict[str, str | None]:
        store = KeyringStorage(SERVICE, backend=backend, max_entry_chars=limit)
        for key, value in tokens.items():
            store.set(key, value)
        await store.flush()
        assert all(limit is None or len(v) <= limit for v in backend.entries.values())
        return tokens_of(await reloaded(backend, max_entry_chars=limit))

    expected = {key: tokens.get(key) for key in sorted(SESSION_KEYS)}
    assert asyncio.run(scenario()) == expected


# Failures become one typed error


def _dbus_error() -> Exception:
    call = jeepney.new_method_call(
        jeepney.DBusAddress("/org/freedesktop/secrets", bus_name="org.freedesktop.secrets"),
        "Unlock",
    )
    return jeepney.wrappers.DBusErrorResponse(
        jeepney.new_error(call, "org.freedesktop.DBus.Error.ServiceUnknown")
    )


FAILURES: dict[str, Callable[[], BaseException]] = {
    "no-keyring": lambda: keyring.errors.NoKeyringError("No recommended backend"),
    "locked": lambda: keyring.errors.KeyringLocked("Failed to unlock the collection!"),
    "init": lambda: keyring.errors.InitError("Failed to create the collection"),
    "set": lambda: keyring.errors.PasswordSetError("Can't store password"),
    "delete": lambda: keyring.errors.PasswordDeleteError("Can't delete"),
    "keyring": lambda: keyring.errors.KeyringError("boom"),
    "pywintypes": lambda: FakeWin32Error(
        1312, "CredRead", "A specified logon session does not exist."
    ),
    "secretstorage-unavailable": lambda: (
        secretstorage.exceptions.SecretServiceNotAvailableException(
            "The name org.freedesktop.secrets was not provided by any .service files"
        )
    ),
    "secretstorage-locked": lambda: secretstorage.exceptions.LockedException("Item is locked!"),
    "jeepney": _dbus_error,
    "socket": lambda: ConnectionRefusedError(111, "Connection refused"),
    "runtime": lambda: RuntimeError("anything else"),
}


@pytest.mark.parametrize("make_exc", list(FAILURES.values()), ids=list(FAILURES))
@pytest.mark.asyncio
async def test_every_backend_failure_is_keyring_unavailable_and_memory_is_kept(
    make_exc: Callable[[], BaseException],
) -> None:
    backend = FailingKeyring(make_exc)

    store = KeyringStorage(SERVICE, backend=backend)
    with pytest.raises(KeyringUnavailableError) as on_load:
        await store.load()
    fill(store)
    with pytest.raises(KeyringUnavailableError) as on_flush:
        await store.flush()

    for info in (on_load, on_flush):
        error = info.value
        assert error.message
        assert error.advice == storage_module._advice(sys.platform)
        assert type(make_exc()).__name__ in error.detail
        assert isinstance(error.__cause__, type(make_exc()))
        assert not any(secret in str(error) + error.detail for secret in SECRETS)
    assert store.dirty
    assert tokens_of(store)["refreshToken"] == REFRESH_TOKEN
    assert store.get("signInSession") == SIGN_IN_SESSION

    backend.failing = False  # the person unlocked the keyring
    await store.flush()
    assert not store.dirty
    assert tokens_of(await reloaded(backend)) == tokens_of(store)


@pytest.mark.asyncio
async def test_a_locked_keyring_says_so(locked_keyring: LockedKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=locked_keyring)
    with pytest.raises(KeyringUnavailableError, match="locked"):
        await store.load()


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
@pytest.mark.asyncio
async def test_fail_and_null_backends_are_no_keyring(
    backend: keyring.backend.KeyringBackend,
) -> None:
    store = KeyringStorage(SERVICE, backend=backend)
    fill(store)
    for operation in (store.load, store.flush, store.clear):
        with pytest.raises(KeyringUnavailableError, match="No OS keyring"):
            await operation()


@pytest.mark.asyncio
async def test_the_default_backend_is_resolved_lazily_off_the_loop() -> None:
    # The autouse fixture made the default the fail backend, standing in for "none found".
    store = KeyringStorage(SERVICE)
    assert store.location_label == "OS keyring"
    with pytest.raises(KeyringUnavailableError, match="No OS keyring"):
        await store.load()
    assert store.location_label == "OS keyring (fail Keyring)"


@pytest.mark.asyncio
async def test_the_default_backend_is_used_when_none_is_injected(
    monkeypatch: pytest.MonkeyPatch, memory_keyring: InMemoryKeyring
) -> None:
    loop_thread = threading.get_ident()
    resolved_on: list[int] = []

    def get_keyring() -> InMemoryKeyring:
        resolved_on.append(threading.get_ident())
        return memory_keyring

    monkeypatch.setattr(keyring, "get_keyring", get_keyring)
    store = KeyringStorage(SERVICE)
    fill(store)
    await store.flush()
    await store.load()
    assert len(resolved_on) == 1
    assert loop_thread not in resolved_on
    assert memory_keyring.usernames(SERVICE) == {"session"}


@pytest.mark.asyncio
async def test_a_failing_default_lookup_is_keyring_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def get_keyring() -> None:
        raise RuntimeError("D-Bus said no")

    monkeypatch.setattr(keyring, "get_keyring", get_keyring)
    with pytest.raises(KeyringUnavailableError, match="could not be opened"):
        await KeyringStorage(SERVICE).load()


def test_advice_is_written_per_os() -> None:
    assert "sudo apt install gnome-keyring" in storage_module._advice("linux")
    assert "KWallet" in storage_module._advice("linux")
    assert "Keychain Access" in storage_module._advice("darwin")
    assert "Credential Manager" in storage_module._advice("win32")
    assert storage_module._advice("sunos5")


# clear()


@pytest.mark.asyncio
async def test_clear_wipes_memory_and_every_entry(size_limited_keyring: SizeLimitedKeyring) -> None:
    other = KeyringStorage("desktop_app:other#app", backend=size_limited_keyring)
    other.set("refreshToken", "other-refresh")
    await other.flush()
    store = KeyringStorage(SERVICE, backend=size_limited_keyring, max_entry_chars=1280)
    fill(store, access_map=big_access_map(10_000))
    await store.flush()

    await store.clear()

    assert tokens_of(store) == SIGNED_OUT
    assert store.get("signInSession") is None
    assert size_limited_keyring.usernames(SERVICE) == set()
    assert size_limited_keyring.usernames("desktop_app:other#app") == {"session"}
    assert not store.dirty


@pytest.mark.asyncio
async def test_a_failed_clear_wipes_memory_and_a_later_flush_finishes_it() -> None:
    backend = FailingKeyring(
        lambda: keyring.errors.PasswordDeleteError("denied"), ops=frozenset({"delete"})
    )
    store = KeyringStorage(SERVICE, backend=backend)
    fill(store)
    backend.failing = False
    await store.flush()
    backend.failing = True

    with pytest.raises(KeyringUnavailableError, match="removed"):
        await store.clear()
    assert tokens_of(store) == SIGNED_OUT
    assert store.dirty

    backend.failing = False
    await store.flush()
    assert backend.entries == {}


@pytest.mark.asyncio
async def test_clear_of_nothing_is_fine(memory_keyring: InMemoryKeyring) -> None:
    store = KeyringStorage(SERVICE, backend=memory_keyring)
    await store.clear()
    assert memory_keyring.entries == {}


# Threads and the event loop


@pytest.mark.asyncio
async def test_keyring_calls_never_run_on_the_event_loop_thread(
    size_limited_keyring: SizeLimitedKeyring,
) -> None:
    loop_thread = threading.get_ident()
    store = KeyringStorage(SERVICE, backend=size_limited_keyring, max_entry_chars=1280)
    await store.load()
    fill(store, access_map=big_access_map(5_000))
    await store.flush()
    await store.load()
    await store.clear()

    assert size_limited_keyring.calls
    assert loop_thread not in size_limited_keyring.threads


@pytest.mark.asyncio
async def test_the_loop_keeps_running_during_a_slow_flush(slow_keyring: SlowKeyring) -> None:
    slow_keyring.delay = 0.1
    store = KeyringStorage(SERVICE, backend=slow_keyring)
    fill(store)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    await store.flush()
    done.set()
    await task
    assert time.monotonic() - started >= 0.1
    assert ticks > 10


class _OverlapKeyring(SlowKeyring):
    def __init__(self) -> None:
        super().__init__(0.005)
        self.active = 0
        self.max_active = 0
        self._count_guard = threading.Lock()

    def before(self, op: str, service: str, username: str, password: str | None) -> None:
        with self._count_guard:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            super().before(op, service, username, password)
        finally:
            with self._count_guard:
                self.active -= 1


@pytest.mark.asyncio
async def test_concurrent_flushes_are_serialized_and_last_write_wins() -> None:
    backend = _OverlapKeyring()
    store = KeyringStorage(SERVICE, backend=backend, max_entry_chars=256)
    await store.load()

    async def rotate(n: int) -> None:
        store.set("refreshToken", f"refresh-{n}")
        store.set("accessTokenMap", big_access_map(300 * (n % 3 + 1), str(n)))
        await store.flush()

    await asyncio.gather(*(rotate(n) for n in range(8)))

    assert backend.max_active == 1
    again = await reloaded(backend, max_entry_chars=256)
    assert again.get("refreshToken") == "refresh-7"
    assert _chunk_names(backend) == _expected_chunks(backend)


class _GatedKeyring(_OverlapKeyring):
    """Holds the first write until ``gate`` opens; ``writing`` says that write has begun."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.gate = threading.Event()

    def before(self, op: str, service: str, username: str, password: str | None) -> None:
        if op == "set" and not self.gate.is_set():
            with self._count_guard:  # the held write counts as running, for max_active
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            try:
                self.writing.set()
                self.gate.wait(30)
            finally:
                with self._count_guard:
                    self.active -= 1
        super().before(op, service, username, password)


@pytest.mark.asyncio
async def test_a_cancelled_flush_does_not_race_the_next_one() -> None:
    backend = _GatedKeyring()
    store = KeyringStorage(SERVICE, backend=backend, max_entry_chars=256)
    fill(store, access_map=big_access_map(1500))
    task = asyncio.create_task(store.flush())
    assert await asyncio.to_thread(backend.writing.wait, 30)  # a write is under way
    task.cancel()  # lands mid-write, for certain
    backend.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.dirty

    fill(store, access_map=big_access_map(1200, "z"))
    await store.flush()
    assert backend.max_active == 1
    assert (await reloaded(backend, max_entry_chars=256)).get("accessTokenMap") == big_access_map(
        1200, "z"
    )


# Labels


def _backend_in(module: str, name: str = "Keyring") -> keyring.backend.KeyringBackend:
    cls = type(name, (InMemoryKeyring,), {"__module__": module})
    return cls()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("module", "name", "label"),
    [
        ("keyring.backends.SecretService", "Keyring", "OS keyring (Secret Service)"),
        ("keyring.backends.libsecret", "Keyring", "OS keyring (Secret Service)"),
        ("keyring.backends.macOS", "Keyring", "OS keyring (macOS Keychain)"),
        ("keyring.backends.Windows", "WinVaultKeyring", "OS keyring (Windows Credential Manager)"),
        ("keyring.backends.kwallet", "DBusKeyring", "OS keyring (KWallet)"),
        ("keyrings.alt.file", "EncryptedKeyring", "OS keyring (file EncryptedKeyring)"),
    ],
)
def test_location_label_names_the_backend(module: str, name: str, label: str) -> None:
    assert KeyringStorage(SERVICE, backend=_backend_in(module, name)).location_label == label


def test_location_label_of_the_real_secret_service_class() -> None:
    from keyring.backends import SecretService

    store = KeyringStorage(SERVICE, backend=SecretService.Keyring())
    assert store.location_label == "OS keyring (Secret Service)"


# Logs


@pytest.mark.asyncio
async def test_tokens_never_reach_the_log(
    caplog: pytest.LogCaptureFixture, memory_keyring: InMemoryKeyring
) -> None:
    with caplog.at_level(logging.DEBUG):
        store = KeyringStorage(SERVICE, backend=memory_keyring, max_entry_chars=256)
        await store.load()
        fill(store, access_map=big_access_map(1000))
        await store.flush()
        await (await reloaded(memory_keyring, max_entry_chars=256)).clear()
        broken = FailingKeyring(lambda: keyring.errors.PasswordSetError("denied"))
        failing = KeyringStorage(SERVICE, backend=broken)
        fill(failing)
        with pytest.raises(KeyringUnavailableError):
            await failing.flush()
        memory_keyring.entries[(SERVICE, "session")] = '{"v": 1, "tokens": {"idToken": 1}}'
        await reloaded(memory_keyring)

    text = caplog.text
    assert not any(secret in text for secret in SECRETS)
    assert "x" * 100 not in text


# Session-only


@pytest.mark.asyncio
async def test_session_only_storage_keeps_everything_in_memory(
    memory_keyring: InMemoryKeyring,
) -> None:
    store = SessionOnlyStorage()
    assert store.location_label == "Memory only (this session)"
    await store.load()
    fill(store)
    assert store.dirty
    await store.flush()
    assert not store.dirty
    assert tokens_of(store)["refreshToken"] == REFRESH_TOKEN
    assert store.get("signInSession") == SIGN_IN_SESSION

    await store.clear()
    assert tokens_of(store) == SIGNED_OUT
    assert store.get("signInSession") is None
    assert memory_keyring.calls == []
