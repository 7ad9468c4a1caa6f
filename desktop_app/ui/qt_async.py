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
* Worker threads that can outlive the app (daemon threads: the avatar download) touch Qt only
  through :data:`qt_workers`, which :func:`run_app` closes once the loop has closed, before the
  interpreter's exit destroys the QApplication.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.errors import DesktopAppError, SignInCancelled

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

# asyncio (with ssl, concurrent.futures, subprocess...) and qasync are imported where they are
# first used, not here: the window is built and painted before the event-loop integration
# starts (see paint_now), and a bare window does not pay for them either.

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# Blocking calls waiting at once, at most: the browser launch, a refresh-lock file and the
# auth stack's import can overlap; more would only queue.
WORKER_THREADS = 4


def run_app(app: QApplication, main: Callable[[], Awaitable[int]]) -> int:
    """Run ``main()`` on a qasync loop driving ``app``; return its exit code.

    ``main`` shows windows and awaits until the app should end (e.g. the last window closed).
    """
    import asyncio

    loop = new_event_loop(app)
    loop.set_default_executor(worker_pool())
    asyncio.set_event_loop(loop)
    # The shutdown order: main() has cancelled its tasks and closed the session; then the loop
    # closes and its Qt objects go (see close_event_loop); then no worker thread touches Qt any
    # more; then the last garbage is collected, here on the Qt thread; only then does the
    # process go on to destroy the QApplication (PySide does it at interpreter exit).
    try:
        with collect_garbage_on_qt_thread():
            try:
                return int(loop.run_until_complete(main()))
            finally:
                close_event_loop(loop)
                qt_workers.close()
    finally:
        asyncio.set_event_loop(None)


def new_event_loop(
    app: QApplication, *, already_running: bool = False
) -> asyncio.AbstractEventLoop:
    """A qasync loop driving ``app`` (``already_running``: on a Qt loop that something else
    runs, e.g. pytest-qt's); end it with :func:`close_event_loop`.

    Unlike qasync's own, it keeps asyncio's rule for a closed loop: ``call_soon_threadsafe``
    raises RuntimeError. qasync's emits a Qt signal from the calling thread whatever the state,
    so a worker that outlived the app (a keyring call answering after the person quit) would
    emit on a QObject that is being deleted, or after the QApplication has gone.
    """
    import qasync

    class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
        def __init__(self) -> None:
            self.handoff = WorkerGate()
            super().__init__(app, already_running=already_running)

        def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
            with self.handoff.entered() as open_:
                if not open_ or self.is_closed():
                    raise RuntimeError("Event loop is closed")
                return super().call_soon_threadsafe(callback, *args, context=context)

    loop: asyncio.AbstractEventLoop = AppEventLoop()
    return loop


def close_event_loop(loop: Any) -> None:
    """Close a loop from :func:`new_event_loop` and delete its Qt objects here, on the Qt thread.

    qasync's ``close()`` joins its executor's threads but only flags its timer object as
    stopped: a Qt timer per pending ``call_later`` (a cancelled 300 s sign-in timeout, aiohttp's
    keep-alive) stays registered, and the loop's two QObjects are left to the garbage collector,
    which may free them on another thread (it cannot unregister their timers there) or at
    interpreter exit after the QApplication has gone. So: kill the timers, close, refuse worker
    hand-offs (waiting for one in progress), then delete the QObjects.
    """
    timer = loop._timer
    callbacks = getattr(timer, "_SimpleTimer__callbacks", {})
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
    callbacks.clear()
    signaller = getattr(loop, "_QEventLoop__call_soon_signaller", None)
    loop.close()
    loop.handoff.close()
    for qobject in (timer, signaller):
        if qobject is not None and shiboken6.isValid(qobject):
            shiboken6.delete(qobject)


class WorkerGate:
    """Lets worker threads touch Qt (build a QImage, emit a signal) only while the app runs.

    A daemon worker (an avatar download) can outlive the event loop: the person quits while it
    waits on the network. When it then emitted its signal while the interpreter's exit was
    destroying the QApplication, the process died of SIGSEGV (one start-up in 40 in
    ``./run bench``). A worker does its Qt part inside :meth:`entered`, and skips it when that
    yields False; :meth:`close` waits for a worker already inside, so once it returns no worker
    touches Qt again. Joining the workers instead would make quitting wait for the network.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = True

    @contextlib.contextmanager
    def entered(self) -> Iterator[bool]:
        """Hold the gate for a short piece of Qt work; yields whether the app still runs."""
        with self._lock:
            yield self._open

    def close(self) -> None:
        """From the Qt thread as the app ends: wait for a worker inside, then keep all out."""
        with self._lock:
            self._open = False


qt_workers = WorkerGate()
"""The process's gate for worker threads that touch Qt; :func:`run_app` closes it as it ends."""


def worker_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The executor behind ``asyncio.to_thread``: threads start only when no idle one can take
    the call, so the app's few short blocking calls (the config file, the browser launch, the
    refresh lock) share one or two threads. qasync's default starts ten QThreads at once, and
    glibc gives each thread that allocates its own malloc arena: about 10 MiB of the app's peak
    memory after sign-in (issue 13)."""
    import concurrent.futures

    return concurrent.futures.ThreadPoolExecutor(
        max_workers=WORKER_THREADS, thread_name_prefix="desktop_app worker"
    )


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
