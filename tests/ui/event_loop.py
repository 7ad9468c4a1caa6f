"""A qasync loop on pytest-qt's ``QApplication`` (tests only: it reaches into qasync's internals).

pytest-qt owns the QApplication and spins Qt event loops inside ``qtbot.waitSignal``/``waitUntil``.
:func:`attach_event_loop` installs a qasync loop with ``already_running=True`` on it, so asyncio
callbacks (timers, sockets, ``to_thread`` results) run as Qt events whenever qtbot waits, and
detaches it cleanly afterwards. The app itself runs its loop with
:func:`desktop_app.ui.qt_async.run_app` and needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtWidgets import QApplication

from desktop_app.ui.qt_async import close_event_loop, collect_garbage_on_qt_thread, new_event_loop


@contextlib.contextmanager
def attach_event_loop(app: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop riding on a Qt event loop that something else runs (pytest-qt).

    ``already_running=True`` tells qasync not to call ``app.exec()`` itself: its timers and socket
    notifiers fire whenever *any* Qt loop spins, e.g. the one inside ``qtbot.waitSignal``. On the
    way out the pending tasks are cancelled and given a chance to finish, then the loop is marked
    not running and closed. It is never ``stop()``-ped: that calls ``app.exit()``, which would make
    every later ``waitSignal`` return at once.
    """
    loop = new_event_loop(app, already_running=True)
    asyncio.set_event_loop(loop)
    with collect_garbage_on_qt_thread():
        try:
            yield loop
        finally:
            _detach(app, loop)


def _detach(app: QApplication, loop: Any) -> None:
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    deadline = loop.time() + 10
    while any(not t.done() for t in pending) and loop.time() < deadline:
        app.processEvents()
    # Give async generators and transports closed by the cancelled tasks one more turn.
    for _ in range(5):
        app.processEvents()
    with contextlib.suppress(RuntimeError, TypeError):
        app.aboutToQuit.disconnect(loop._after_run_forever)
    # qasync keeps "running" in a name-mangled flag; clear it so close() is allowed.
    loop._QEventLoop__is_running = False
    loop._after_run_forever()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    close_event_loop(loop)  # on the Qt thread, with its Qt objects (see there)
