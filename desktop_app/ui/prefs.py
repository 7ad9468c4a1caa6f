"""Non-secret UI preferences (window geometry, the "end browser session too" choice) in QSettings.

Secrets never go here: tokens live in the keyring (or in memory in session-only mode).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

_GEOMETRY = "window/geometry"
_END_BROWSER_SESSION = "sign_out/end_browser_session"
_DETAILS_OPEN = "window/token_details_open"


class UiPrefs:
    """Typed access to a QSettings INI file (its path is injected, so tests use a temp dir)."""

    def __init__(self, path: Path) -> None:
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> str:
        return self._settings.fileName()

    def geometry(self) -> QByteArray | None:
        value = self._settings.value(_GEOMETRY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._settings.setValue(_GEOMETRY, value)

    def _flag(self, key: str) -> bool:
        value = self._settings.value(key, False)
        return value is True or str(value).lower() == "true"

    @property
    def end_browser_session(self) -> bool:
        return self._flag(_END_BROWSER_SESSION)

    @end_browser_session.setter
    def end_browser_session(self, value: bool) -> None:
        self._settings.setValue(_END_BROWSER_SESSION, bool(value))

    @property
    def token_details_open(self) -> bool:
        return self._flag(_DETAILS_OPEN)

    @token_details_open.setter
    def token_details_open(self, value: bool) -> None:
        self._settings.setValue(_DETAILS_OPEN, bool(value))

    def sync(self) -> None:
        self._settings.sync()
