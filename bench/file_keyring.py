"""A keyring backend in one JSON file, shared by the benchmark's child processes.

Selected with ``PYTHON_KEYRING_BACKEND=bench.file_keyring.FileKeyring``; the file is named by
``BENCH_KEYRING_FILE``. It stands in for the OS keyring so that a session seeded by one child
(a real sign-in against the local provider) can be restored by the next one. It is for the
benchmark only: the file holds tokens in plain text (mode 0600, in a temporary directory that the
benchmark deletes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

ENV_FILE = "BENCH_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    """``(service, username) -> password`` in the JSON file ``$BENCH_KEYRING_FILE``."""

    # Plain text on purpose (a temporary file the benchmark and tests delete): this stand-in
    # opts in to KeyringStorage's list of encrypting backends, which refuses real file backends.
    encrypts_at_rest = True

    @properties.classproperty
    def priority(cls) -> float:
        # Viable only where the benchmark named a file; never preferred by keyring's discovery.
        if not os.environ.get(ENV_FILE):
            raise RuntimeError(f"benchmark backend: {ENV_FILE} is not set")
        return 0.1

    def __init__(self) -> None:  # typed, so that constructing one is checked code
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's base __init__ is unannotated

    def __str__(self) -> str:  # the base class formats the priority, which raises here
        return "FileKeyring"

    __repr__ = __str__

    @property
    def path(self) -> Path:
        return Path(os.environ[ENV_FILE])

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data.setdefault(service, {})[username] = password
        self._write(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.get(service, {}).pop(username, None) is None:
            raise PasswordDeleteError("No such password!")
        self._write(data)
