"""The asyncio/Qt boundary: the only module that knows qasync.

One thread, one loop: a qasync ``QEventLoop`` drives Qt events and asyncio tasks alike, so the
sign-in core (plain asyncio) runs on the same thread as the widgets without ever blocking them.
Blocking work (keyring calls, the browser opener) goes through ``asyncio.to_thread`` inside the
core; nothing here waits.

* :func:`run_app` runs an async ``main`` under a fresh qasync loop (the app's entry point).
* :class:`TaskRunner` starts coroutines from slots, keeps references to them (the loop holds
  only weak ones), and turns their exceptions into ``error_occurred(message)``.
* The loop collects garbage on the Qt thread only (:func:`collect_garbage_on_qt_thread`):
  Python's automatic collection runs on whichever thread allocates at the wrong moment (an
  avatar or keyring worker, ``to_thread``), and a QObject finalised there cannot unregister its
  timers and socket notifiers, so the Qt thread later crashes on them.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.errors import DesktopAppError, SignInCancelled

if TYPE_CHECKING:
    import asyncio

# asyncio (with ssl, concurrent.futures, subprocess...) and qasync are imported where they are
# first used, not here: the window is built and painted before the event-loop integration
# starts (see paint_now), and a bare window does not pay for them either.

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


def run_app(app: QApplication, main: Callable[[], Awaitable[int]]) -> int:
    """Run ``main()`` on a qasync loop driving ``app``; return its exit code.

    ``main`` shows windows and awaits until the app should end (e.g. the last window closed).
    """
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with collect_garbage_on_qt_thread(), loop:
            return int(loop.run_until_complete(main()))
    finally:
        asyncio.set_event_loop(None)


class _FirstPaint(QObject):
    """Quits ``loop`` once ``window`` has been painted."""

    def __init__(self, window: QWidget, loop: QEventLoop) -> None:
        super().__init__()
        self._window, self._loop = window, loop
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            # After this paint event is delivered, not inside it.
            QTimer.singleShot(0, self._loop.quit)
        return False


def paint_now(window: QWidget, limit_ms: int = 1000) -> bool:
    """Show ``window`` and run a plain Qt event loop until it has painted once (True), or for
    at most ``limit_ms`` (False: e.g. a window manager that keeps it unmapped).

    For start-up, before :func:`run_app`: the first frame needs none of asyncio, qasync or the
    auth stack, so it is on screen while they load. No coroutine runs yet, so this short
    nested loop starves nothing; the window is painted once, on its final layout.
    """
    loop = QEventLoop()
    probe = _FirstPaint(window, loop)
    window.installEventFilter(probe)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    try:
        window.show()
        if not window.isVisible():
            return False
        guard.start(limit_ms)
        loop.exec()
        return probe.painted
    finally:
        guard.stop()
        window.removeEventFilter(probe)
        shiboken6.delete(probe)


class _NextPaint(QObject):
    """Resolves ``future`` at ``widget``'s next paint event."""

    def __init__(self, widget: QWidget, future: asyncio.Future[bool]) -> None:
        super().__init__()
        self._widget, self._future = widget, future

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        paint = watched is self._widget and event.type() == QEvent.Type.Paint
        if paint and not self._future.done():
            self._future.set_result(True)
        return False


async def painted(widget: QWidget, limit_ms: int = 1000) -> bool:
    """Wait (without a nested loop) until ``widget`` has painted again: True; False after
    ``limit_ms`` (a hidden or minimised window paints nothing). For work that should start
    only once a page is on screen, so it does not compete with painting it."""
    import asyncio

    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    probe = _NextPaint(widget, future)
    widget.installEventFilter(probe)
    widget.update()
    try:
        return await asyncio.wait_for(asyncio.shield(future), limit_ms / 1000)
    except TimeoutError:
        return False
    finally:
        if shiboken6.isValid(widget):
            widget.removeEventFilter(probe)
        shiboken6.delete(probe)


class _QtThreadCollector(QObject):
    """Stands in for Python's automatic collection, from a timer on the Qt thread.

    The same generational thresholds as the interpreter's (``gc.get_threshold()``), checked a
    few times a second: the collections are as frequent as they would have been, only never on
    another thread.
    """

    def __init__(self, interval_ms: int) -> None:
        super().__init__()
        self._threshold = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def collect_if_due(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 <= self._threshold[0]:
            return
        generation = 0
        if count1 > self._threshold[1]:
            generation = 2 if count2 > self._threshold[2] else 1
        gc.collect(generation)


@contextlib.contextmanager
def collect_garbage_on_qt_thread(interval_ms: int = 250) -> Iterator[None]:
    """Turn off automatic garbage collection and collect on the Qt thread instead, until the
    block ends (then one last collection, here, and automatic collection is back as it was)."""
    collector = _QtThreadCollector(interval_ms)
    was_enabled = gc.isenabled()
    gc.disable()
    collector.start()
    try:
        yield
    finally:
        collector.stop()
        gc.collect()
        if was_enabled:
            gc.enable()
        shiboken6.delete(collector)


class TaskRunner(QObject):
    """Starts coroutines from Qt slots and reports how they end.

    It keeps a reference to every task until it is done (asyncio itself holds only weak ones,
    so an unreferenced task can vanish mid-flight). A task that raises becomes
    ``error_occurred(message)``: a :class:`~desktop_app.errors.DesktopAppError` with its message
    and advice, anything else with a generic sentence (details go to the log). A cancelled
    sign-in is what the person asked for, not an error.
    """

    error_occurred = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._tasks)

    def start(self, coro: Coroutine[Any, Any, _T], *, name: str = "") -> asyncio.Task[_T]:
        """Schedule ``coro`` on the running loop; returns its task (already referenced)."""
        import asyncio

        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        was_busy = self.busy
        self._tasks.add(task)
        task.add_done_callback(self._done)
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self.busy_changed.emit(False)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None or isinstance(exc, SignInCancelled):
            return
        if isinstance(exc, DesktopAppError):
            logger.info("%s failed: %s", task.get_name(), type(exc).__name__)
            self.error_occurred.emit(exc.user_message)
        else:
            logger.error("%s failed unexpectedly", task.get_name(), exc_info=exc)
            self.error_occurred.emit(
                QCoreApplication.translate(
                    "TaskRunner",
                    "Something went wrong. Please try again; if it keeps happening, run the app "
                    "with --verbose and report the log.",
                )
            )

    async def shutdown(self) -> None:
        """Cancel every task and wait until all have ended."""
        import asyncio

        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
