"""KeyringStorage against the real Secret Service (gnome-keyring on a D-Bus session bus).

Run through ``scripts/with-secret-service``, which provides a private bus and an unlocked
throwaway keyring::

    scripts/with-secret-service .venv/bin/python -m pytest -m secret_service
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from keyring.backends import SecretService

from desktop_app.auth.storage import KeyringStorage
from desktop_app.auth.stored_session import SESSION_KEYS

pytestmark = pytest.mark.secret_service


def secret_service_or_skip() -> SecretService.Keyring:
    """The real backend. Skips only without a session bus; a bus without a Secret Service on
    it is a broken test environment and fails, naming the fix."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        if os.environ.get("CI"):
            pytest.fail(
                "CI must run the Secret Service tests: run under scripts/with-secret-service"
            )
        pytest.skip(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); "
            "run under scripts/with-secret-service"
        )
    try:
        SecretService.Keyring.priority  # noqa: B018 - raises when the service is unreachable
    except RuntimeError as exc:
        pytest.fail(
            f"the session bus has no usable Secret Service ({exc}); start gnome-keyring, or run "
            "under scripts/with-secret-service (WITH_SECRET_SERVICE_PRIVATE=1 forces a private one)"
        )
    return SecretService.Keyring()


@pytest_asyncio.fixture
async def secret_service_store() -> AsyncIterator[KeyringStorage]:
    """A store on the real Secret Service under a service name no one else uses, wiped after."""
    backend = secret_service_or_skip()
    service = f"desktop_app-test:{uuid.uuid4()}#app"
    store = KeyringStorage(service, backend=backend)
    try:
        yield store
    finally:
        await KeyringStorage(service, backend=backend).clear()


@pytest.mark.asyncio
async def test_round_trip_through_the_real_secret_service(
    secret_service_store: KeyringStorage,
) -> None:
    store = secret_service_store
    assert store.location_label == "OS keyring (Secret Service)"
    await store.load()
    assert all(store.get(key) is None for key in SESSION_KEYS)

    access_map = json.dumps({"x": {"": {"token": "a" * 5000, "scope": "", "expiresAt": 1}}})
    store.set("signInSession", '{"codeVerifier": "verifier"}')
    store.set("idToken", "header.payload.signature")
    store.set("refreshToken", "refresh-token")
    store.set("accessTokenMap", access_map)
    await store.flush()

    backend = SecretService.Keyring()
    # One entry, no chunks: the Secret Service has no small size limit.
    assert backend.get_password(store.service, "session") is not None
    assert backend.get_password(store.service, "session.a.0") is None
    assert backend.get_password(store.service, "signInSession") is None

    again = KeyringStorage(store.service, backend=backend)
    await again.load()
    assert again.get("idToken") == "header.payload.signature"
    assert again.get("refreshToken") == "refresh-token"
    assert again.get("accessTokenMap") == access_map
    assert again.get("signInSession") is None

    await again.clear()
    assert backend.get_password(store.service, "session") is None
    fresh = KeyringStorage(store.service, backend=backend)
    await fresh.load()
    assert all(fresh.get(key) is None for key in SESSION_KEYS)


@pytest.mark.asyncio
async def test_chunks_round_trip_and_clear_through_the_real_secret_service(
    secret_service_store: KeyringStorage,
) -> None:
    backend = SecretService.Keyring()
    store = KeyringStorage(secret_service_store.service, backend=backend, max_entry_chars=1280)
    access_map = json.dumps({"x": {"": {"token": "b" * 10_000, "scope": "", "expiresAt": 1}}})
    store.set("refreshToken", "refresh-token")
    store.set("accessTokenMap", access_map)
    await store.flush()
    assert backend.get_password(store.service, "session.a.0") is not None

    again = KeyringStorage(store.service, backend=backend, max_entry_chars=1280)
    await again.load()
    assert again.get("accessTokenMap") == access_map

    await again.clear()
    assert backend.get_password(store.service, "session") is None
    assert backend.get_password(store.service, "session.a.0") is None
