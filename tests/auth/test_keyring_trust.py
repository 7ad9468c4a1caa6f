"""Only keyring backends that encrypt at rest keep tokens (issue 10, item 4).

keyrings.alt's PlaintextKeyring (or any file backend a person configured) would store tokens
in plain text; they are refused with a message that names the backend and offers session-only
mode. The backend in use is named in the session snapshot for the UI.
"""

from __future__ import annotations

from pathlib import Path

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.compat import properties
from keyrings.alt.file import PlaintextKeyring

from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import ENCRYPTING_BACKENDS, KeyringStorage
from desktop_app.config import Settings
from desktop_app.errors import KeyringUnavailableError, UnencryptedKeyringError
from tests.fixtures.keyrings import InMemoryKeyring

SERVICE = "desktop_app:https://tenant.logto.app#app"
pytestmark = pytest.mark.asyncio


class DictKeyring(KeyringBackend):
    """A backend that does not opt in: stands for any backend keyring may be configured with."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend: inject it explicitly")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's base __init__ is unannotated
        self.entries: dict[tuple[str, str], str] = {}

    def __str__(self) -> str:
        return type(self).__name__

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


def named(module: str, name: str) -> DictKeyring:
    """A DictKeyring whose class carries a real backend's module and name."""
    cls = type(name, (DictKeyring,), {"__module__": module})
    return cls()  # type: ignore[no-any-return]


def _exists(path: str) -> bool:
    return Path(path).exists()


def fill(store: KeyringStorage) -> None:
    store.set("idToken", "id-token-value")
    store.set("refreshToken", "refresh-token-value")


@pytest.fixture
def plaintext(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    return backend


async def test_plaintext_keyring_is_refused_and_nothing_is_written(
    plaintext: PlaintextKeyring,
) -> None:
    store = KeyringStorage(SERVICE, backend=plaintext)
    fill(store)
    with pytest.raises(UnencryptedKeyringError) as caught:
        await store.flush()
    error = caught.value
    assert isinstance(error, KeyringUnavailableError)
    assert "PlaintextKeyring" in error.message
    assert "Session only" in error.advice
    assert error.backend == store.backend_name
    assert "PlaintextKeyring" in store.backend_name
    assert not _exists(plaintext.file_path)
    assert store.dirty  # memory is kept
    with pytest.raises(UnencryptedKeyringError):
        await store.load()


async def test_a_plaintext_default_backend_is_refused(
    plaintext: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", plaintext)
    store = KeyringStorage(SERVICE)  # resolved from keyring's configuration
    with pytest.raises(UnencryptedKeyringError, match="PlaintextKeyring"):
        await store.load()


async def test_encrypted_file_keyring_is_refused_too() -> None:
    # It asks for its password on a terminal a desktop app does not have (and needs
    # pycryptodome, hence a stand-in carrying its name).
    store = KeyringStorage(SERVICE, backend=named("keyrings.alt.file", "EncryptedKeyring"))
    with pytest.raises(UnencryptedKeyringError, match="EncryptedKeyring"):
        await store.load()


async def test_an_unknown_backend_is_refused() -> None:
    store = KeyringStorage(SERVICE, backend=DictKeyring())
    fill(store)
    with pytest.raises(UnencryptedKeyringError, match="DictKeyring"):
        await store.flush()


@pytest.mark.parametrize(("module", "name"), sorted(ENCRYPTING_BACKENDS))
async def test_the_encrypting_backends_are_accepted(module: str, name: str) -> None:
    backend = named(module, name)
    store = KeyringStorage(SERVICE, backend=backend)
    fill(store)
    await store.flush()
    assert backend.entries
    await store.load()
    assert store.get("refreshToken") == "refresh-token-value"


async def test_a_chain_with_a_plaintext_member_is_refused(plaintext: PlaintextKeyring) -> None:
    secret_service = named("keyring.backends.SecretService", "Keyring")

    class Chain(chainer.ChainerBackend):
        backends = (secret_service, plaintext, fail.Keyring())

    # ChainerBackend's constructor (KeyringBackend's) is unannotated.
    store = KeyringStorage(SERVICE, backend=Chain())  # type: ignore[no-untyped-call]
    with pytest.raises(UnencryptedKeyringError, match="PlaintextKeyring"):
        await store.load()


async def test_clear_still_removes_an_old_session_from_a_plaintext_backend(
    plaintext: PlaintextKeyring,
) -> None:
    plaintext.set_password(SERVICE, "session", '{"v": 1, "tokens": {"refreshToken": "old"}}')
    store = KeyringStorage(SERVICE, backend=plaintext)
    await store.clear()
    assert plaintext.get_password(SERVICE, "session") is None


async def test_the_session_names_the_backend_and_refuses_a_plaintext_one(
    plaintext: PlaintextKeyring,
) -> None:
    settings = Settings(endpoint="https://tenant.logto.app", app_id="app")
    refused = AuthSession(settings, keyring_backend=plaintext)
    await refused.restore()
    assert refused.state is State.ERROR
    assert isinstance(refused.snapshot.error, UnencryptedKeyringError)
    assert "PlaintextKeyring" in refused.snapshot.keyring_backend
    await refused.close()

    good = AuthSession(settings, keyring_backend=named("keyring.backends.SecretService", "Keyring"))
    await good.restore()
    assert good.state is State.SIGNED_OUT
    assert good.snapshot.keyring_backend == "Secret Service"
    await good.close()

    memory = AuthSession(settings, keyring_backend=InMemoryKeyring())  # opts in explicitly
    await memory.restore()
    assert memory.state is State.SIGNED_OUT
    await memory.close()
