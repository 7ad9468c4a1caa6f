"""Qt fixtures for the UI tests: offscreen Qt, a qasync loop riding on pytest-qt's waits, and the
real app (composition root) wired to test doubles.

How the loop works: pytest-qt owns the QApplication and spins Qt event loops inside
``qtbot.waitSignal``/``waitUntil``. :func:`tests.ui.event_loop.attach_event_loop` installs a
qasync loop with ``already_running=True`` on that application, so asyncio callbacks (timers,
sockets, ``to_thread`` results) run as Qt events whenever qtbot waits. Tests therefore stay
synchronous, never sleep, and never open a nested loop inside a coroutine.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6

# Before pytest-qt creates the QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QWidget

from demo.local_idp import LocalIdp
from desktop_app.app import DesktopApp
from desktop_app.ui.qt_async import collect_garbage_on_qt_thread
from tests.ui.event_loop import attach_event_loop
from tests.ui.window_fixtures import window_for  # noqa: F401 - the window over a FakeSession

WAIT_MS = 45_000  # a browser sign-in on 2 slow cores


@pytest.fixture(autouse=True)
def _c_locale() -> Iterator[None]:
    """Widgets format dates in the C locale (ISO 8601) unless a test asks for another, so the
    developer's own locale cannot change what the tests see."""
    QLocale.setDefault(QLocale.c())
    yield
    QLocale.setDefault(QLocale.c())


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_on_the_qt_thread(qapp: QApplication) -> Iterator[None]:
    """The app's own rule for the whole UI session: garbage is collected on the Qt thread
    only, between tests too, when the provider's and proxies' threads still run (a collection
    there could free a QObject off its thread). Each test's qloop adds the same collector."""
    with collect_garbage_on_qt_thread():
        yield


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync event loop on pytest-qt's QApplication, detached cleanly after the test. Like
    the app's own loop, it collects garbage on the Qt thread only (see qt_async)."""
    with attach_event_loop(qapp) as loop:
        yield loop


class OffsetClock:
    """``time.time()`` plus an adjustable offset (to make stored access tokens look expired)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
def make_app(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> Iterator[Callable[..., DesktopApp]]:
    """Build the real app with test collaborators: ``make_app(open_browser=..., keyring_backend=...,
    overrides=..., demo=...)``. Config and UI prefs live in the test's temp dir. Every app built
    is shut down (tasks cancelled, session closed, demo IdP stopped) at the end."""
    apps: list[DesktopApp] = []

    def build(*, start: bool = True, **kwargs: Any) -> DesktopApp:
        kwargs.setdefault("config_path", tmp_path / "config.toml")
        kwargs.setdefault("prefs_path", tmp_path / f"ui-{len(apps)}.ini")
        if kwargs.get("demo"):
            kwargs.setdefault("local_idp_factory", LocalIdp)  # what `python -m demo` passes
        app = DesktopApp(**kwargs)
        qtbot.addWidget(app.window)
        apps.append(app)
        if start:
            app.start()
        return app

    yield build
    # pytest-qt has closed the windows (deleteLater) by now; shut the apps down.
    for app in apps:
        app.quit()
        task = asyncio.ensure_future(app.shutdown())
        qtbot.waitUntil(task.done, timeout=20_000)
        task.result()
        # Delete the QObject trees on the Qt thread (see the qloop fixture).
        shiboken6.delete(app)
    apps.clear()


def find(root: QWidget, name: str, cls: type[QWidget] = QWidget) -> Any:
    """The visible-or-not child of ``root`` whose accessible name is ``name`` (exactly one)."""
    found = [w for w in root.findChildren(cls) if w.accessibleName() == name]
    assert len(found) == 1, f"{len(found)} widgets named {name!r}"
    return found[0]
