"""The app's own loop keeps Qt safe from worker threads (issue 10, item 8).

Each case runs the real :func:`desktop_app.ui.qt_async.run_app` in a fresh interpreter
(offscreen Qt): garbage is collected on the Qt thread only, however much a worker thread
allocates, a keyring call that never returns does not keep the app from quitting, and a worker
that outlives the app never touches Qt after it (a SIGSEGV as the process ended).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.fixtures.fresh_process import run_python

COLLECTED_WHERE = textwrap.dedent(
    """
    import asyncio, gc, threading
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui.qt_async import run_app

    app = QApplication([])
    main_thread = threading.get_ident()

    async def main() -> int:
        loop = asyncio.get_running_loop()
        finalised = asyncio.Event()
        where: list[str] = []

        class Cycle:
            def __init__(self) -> None:
                self.me = self

            def __del__(self) -> None:
                where.append("qt" if threading.get_ident() == main_thread else "worker")
                loop.call_soon_threadsafe(finalised.set)

        go = threading.Event()

        def allocate() -> None:  # a worker (like the avatar thread) allocating containers
            go.wait()
            junk = [[] for _ in range(50_000)]  # enough for several automatic collections
            del junk

        worker = threading.Thread(target=allocate)
        worker.start()
        gc.collect()
        Cycle()  # unreachable at once; only a collection frees it
        go.set()
        worker.join()  # the Qt thread allocates nothing meanwhile
        # Objects that stay: past the first generation's threshold, so a collection is due now
        # (the worker's garbage was freed by reference counting and no longer counts).
        kept = [[] for _ in range(5_000)]
        await finalised.wait()
        print("finalised on:", where[0], len(kept))
        return 0

    raise SystemExit(run_app(app, main))
    """
)

HUNG_KEYRING = textwrap.dedent(
    """
    import asyncio, threading
    from keyring.backend import KeyringBackend
    from PySide6.QtWidgets import QApplication
    from desktop_app.auth.storage import KeyringStorage
    from desktop_app.ui.qt_async import run_app

    entered = threading.Event()

    class HungKeyring(KeyringBackend):
        priority = 1
        encrypts_at_rest = True

        def get_password(self, service, username):
            entered.set()
            threading.Event().wait()  # a Secret Service that never answers

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    async def main() -> int:
        store = KeyringStorage("desktop_app:https://t.logto.app#a", backend=HungKeyring())
        task = asyncio.ensure_future(store.load())
        await asyncio.to_thread(entered.wait)
        task.cancel()  # the person quits while the keyring hangs
        print("quitting")
        return 0

    raise SystemExit(run_app(QApplication([]), main))
    """
)

AVATAR_AFTER_QUIT = textwrap.dedent(
    """
    import asyncio, http.server, threading
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui import avatar
    from desktop_app.ui.avatar import AvatarLoader
    from desktop_app.ui.qt_async import run_app

    asked, release, ended = threading.Event(), threading.Event(), threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # a picture server that answers only after the app has ended
            asked.set()
            release.wait()
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/a.png"
    touched_after_end: list[bool] = []

    async def main() -> int:
        AvatarLoader().load(url)
        await asyncio.to_thread(asked.wait)
        # A direct connection runs on the emitting thread: it sees the worker's emit itself.
        avatar._the_relay().done.connect(
            lambda *args: touched_after_end.append(ended.is_set()),
            Qt.ConnectionType.DirectConnection,
        )
        return 0  # the person quits while the picture downloads

    code = run_app(QApplication([]), main)
    ended.set()
    workers = [t for t in threading.enumerate() if t.name == "avatar"]
    release.set()
    for worker in workers:
        worker.join()
    print("workers:", len(workers), "emitted after the app ended:", touched_after_end)
    raise SystemExit(code)
    """
)

LOOP_AFTER_QUIT = textwrap.dedent(
    """
    import asyncio, threading
    import shiboken6
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui.qt_async import run_app

    held = {}

    async def main() -> int:
        held["loop"] = loop = asyncio.get_running_loop()
        loop.call_later(300, print, "never")  # pending when the app quits (a sign-in timeout)
        return 0

    code = run_app(QApplication([]), main)
    loop = held["loop"]
    qt_objects = (loop._timer, loop._QEventLoop__call_soon_signaller)
    print("qt objects left:", [shiboken6.isValid(o) for o in qt_objects])
    outcome = []

    def answer_late() -> None:  # a keyring call that answers after the person quit
        try:
            loop.call_soon_threadsafe(print, "late")
            outcome.append("accepted")
        except RuntimeError:
            outcome.append("refused")

    worker = threading.Thread(target=answer_late)
    worker.start()
    worker.join()
    print("late hand-off:", outcome)
    raise SystemExit(code)
    """
)

APP_OBJECTS_AFTER_MAIN = textwrap.dedent(
    """
    import shiboken6
    from desktop_app import app as app_module

    made = []

    class Recorded(app_module.DesktopApp):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            made.append(self)

    app_module.DesktopApp = Recorded
    code = app_module.main(["--smoke-test"])
    desktop = made[0]
    print("still alive:", [shiboken6.isValid(o) for o in (desktop.window, desktop)])
    raise SystemExit(code)
    """
)


WORKER_THREADS = textwrap.dedent(
    """
    import asyncio, os, threading
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui.qt_async import WORKER_THREADS, run_app

    def os_threads() -> int:
        return len(os.listdir("/proc/self/task"))

    async def main() -> int:
        before = os_threads()
        used = {await asyncio.to_thread(threading.get_ident) for _ in range(5)}
        one_by_one = os_threads() - before
        # More calls waiting at once than the pool has threads: they queue, none is lost.
        release = threading.Event()
        waiting = [asyncio.to_thread(release.wait, 60) for _ in range(WORKER_THREADS + 2)]
        gathered = asyncio.gather(*waiting)
        await asyncio.sleep(0)
        release.set()
        done = await gathered
        print("threads:", len(used), one_by_one, os_threads() - before, WORKER_THREADS, all(done))
        return 0

    raise SystemExit(run_app(QApplication([]), main))
    """
)

# The desktop-app command's start-up: no collection while it imports the app, and once the
# SDK stack is loaded everything start-up made is frozen out of later collections (a full
# collection walked it all: about 30 ms on the Qt thread).
ENTRY_IMPORTS_WITHOUT_COLLECTING = textwrap.dedent(
    """
    import gc, sys

    def app_imported() -> bool:
        return hasattr(sys.modules.get("desktop_app.app"), "main")

    before_app = []  # a collection that started before desktop_app.app was fully imported
    gc.callbacks.append(
        lambda phase, info: phase == "start" and not app_imported() and before_app.append(info)
    )
    from desktop_app import __main__ as entry

    before_app.clear()  # from here on: the entry point's own work
    try:
        entry.main(["--version"])
    except SystemExit:
        pass
    print("collections before the app was imported:", len(before_app), gc.isenabled())
    """
)

START_UP_FROZEN = textwrap.dedent(
    """
    import gc, os
    from pathlib import Path

    keyring_file = Path(os.environ["XDG_CACHE_HOME"]) / "keyring.json"  # the test's tmp_path
    keyring_file.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        PYTHON_KEYRING_BACKEND="tests.fixtures.file_keyring.FileKeyring",
        BENCH_KEYRING_FILE=str(keyring_file),
    )
    from desktop_app import __main__ as entry
    from desktop_app import app as app_module

    seen = []
    load = app_module.DesktopApp._load_auth_stack

    async def load_auth_stack(self) -> None:
        await load(self)
        import logto

        tracked = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
        seen.append((self.freeze_start_up_objects, id(logto.LogtoClient) in tracked))
        self.quit()

    app_module.DesktopApp._load_auth_stack = load_auth_stack
    code = entry.main(["--endpoint", "http://127.0.0.1:9", "--app-id", "frozen-test"])
    print("freezes, SDK still collected:", seen)
    raise SystemExit(code)
    """
)


def test_the_entry_point_imports_the_app_without_collecting_garbage() -> None:
    result = run_python(ENTRY_IMPORTS_WITHOUT_COLLECTING)
    assert result.returncode == 0, result.stderr
    assert "collections before the app was imported: 0 True" in result.stdout, result.stdout


def test_start_up_objects_are_frozen_out_of_later_collections() -> None:
    result = run_python(START_UP_FROZEN)
    assert result.returncode == 0, result.stderr
    assert "freezes, SDK still collected: [(True, False)]" in result.stdout, result.stdout


def test_garbage_is_collected_on_the_qt_thread_only() -> None:
    result = run_python(COLLECTED_WHERE)
    assert result.returncode == 0, result.stderr
    assert "finalised on: qt" in result.stdout


def test_a_hung_keyring_call_does_not_block_quitting() -> None:
    result = run_python(HUNG_KEYRING)
    assert result.returncode == 0, result.stderr
    assert "quitting" in result.stdout


def test_an_avatar_worker_that_outlives_the_app_leaves_qt_alone() -> None:
    # Its emit while the interpreter's exit destroyed the QApplication was a SIGSEGV about one
    # start-up in 40 (./run bench, a stored session whose profile has a picture).
    result = run_python(AVATAR_AFTER_QUIT)
    assert result.returncode == 0, result.stderr
    assert "workers: 1 emitted after the app ended: []" in result.stdout, result.stdout


def test_the_loop_leaves_no_qt_object_and_takes_no_hand_off_after_the_app() -> None:
    # Left to the garbage collector, the loop's QObjects (with a Qt timer per pending
    # call_later) could be freed on a worker thread or after the QApplication; a worker's late
    # call_soon_threadsafe emitted on them from its own thread.
    result = run_python(LOOP_AFTER_QUIT)
    assert result.returncode == 0, result.stderr
    assert "qt objects left: [False, False]" in result.stdout, result.stdout
    assert "late hand-off: ['refused']" in result.stdout, result.stdout


def test_the_app_deletes_its_window_on_the_qt_thread_before_main_returns() -> None:
    # Held in reference cycles, they were left to the garbage collector: a collection on a
    # daemon worker's thread (after the app ended) would delete a QWidget there.
    result = run_python(APP_OBJECTS_AFTER_MAIN)
    assert result.returncode == 0, result.stderr
    assert "smoke test: ok" in result.stdout, result.stdout
    assert "still alive: [False, False]" in result.stdout, result.stdout


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_blocking_calls_share_a_few_worker_threads() -> None:
    """Sequential ``to_thread`` calls use one thread, started when first needed; never more
    than WORKER_THREADS (issue 13: each thread that allocates gets its own malloc arena, and
    qasync's default executor started ten QThreads at once)."""
    result = run_python(WORKER_THREADS)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("threads:"))
    used, one_by_one, at_most, limit, done = line.split()[1:]
    assert (used, one_by_one, done) == ("1", "1", "True")
    assert int(at_most) <= int(limit)
