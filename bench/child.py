"""What runs inside each benchmark child process (``python -m bench.child MODE ...``).

Modes:

* ``bare``: a bare PySide6 ``QMainWindow`` (620x640, like the app's), shown, ``app.exec()``.
* ``app``: the real entry point, :func:`desktop_app.app.main`, with probes hooked in:
  ``BENCH_SCENARIO=start`` waits until the window has settled on the signed-in or signed-out page;
  ``BENCH_SCENARIO=signin`` signs in (``BENCH_ROUNDS`` times), forces a token refresh and signs out,
  with a 10 ms Qt timer measuring event-loop stalls.
* ``floor``: the memory floor: ``bare`` after importing the pinned SDK and its dependencies.
* ``text``, ``floor_text``: ``bare`` and ``floor`` whose window shows a heading, a line of text
  and a button (diagnostics: what drawing any text costs, which an empty window never pays).
* ``plain``: the plain ``logto`` SDK (``handleSignInCallback`` + ``fetchUserInfo``) on asyncio,
  with only its ``client_secret=None`` patched out (Logto refuses a public client that sends one),
  its session stored in the same keyring backend as the app's (``BENCH_KEYRING_FILE``).

Only the standard library is imported at module level, so the child starts the same way in
every mode; Qt, the app and the SDK are imported by the mode itself (that is part of what is
timed). Times are ``time.monotonic()`` (CLOCK_MONOTONIC, shared by every process on the machine),
so the parent can subtract the moment it spawned the child.

Protocol: the child writes ``BENCH {json}`` lines to stdout: ``{"event": "open", "url": ...}``
asks the parent to play the browser for a sign-in URL (it carries state, PKCE challenge and
nonce, never a token; the parent never prints it), ``{"event": "result", ...}`` carries figures,
``{"event": "error", "message": ...}`` ends a failed run. Nothing token-shaped is ever written.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import shutil
import sys
import time
import types
from typing import Any

T_CHILD_START = time.monotonic()  # the interpreter is up and this module (stdlib only) loaded
STALL_INTERVAL_MS = 10
WAIT_S = 90.0


def send(event: str, **data: Any) -> None:
    sys.stdout.write("BENCH " + json.dumps({"event": event, **data}) + "\n")
    sys.stdout.flush()


def first_paint_facts() -> dict[str, Any]:
    """Taken at a window's first paint: the CPU time the process had used by then (user +
    system, all threads: a measure the machine's load hardly changes) and every module loaded
    (the parent lists what the app loads that a bare window does not)."""
    return {
        "cpu_first_paint_ms": time.process_time() * 1000,
        "modules_at_paint": sorted(sys.modules),
    }


def vm_hwm_kb() -> int:
    """Peak resident set size of this process so far (Linux VmHWM), in KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


MEMORY_MARKS: list[tuple[str, int, int]] = []  # (moment, VmRSS, VmHWM) in KiB


def mark_memory(moment: str) -> None:
    """Diagnostics (with ``BENCH_MEMORY_REPORT``): resident memory at a named moment."""
    if not os.environ.get("BENCH_MEMORY_REPORT"):
        return
    fields = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    MEMORY_MARKS.append((moment, int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])))


def memory_report(path: str) -> None:
    """Diagnostics (``BENCH_MEMORY_REPORT=FILE``): where this process's resident memory is, by
    what is mapped (the heap, anonymous mappings, each shared library), with its threads and,
    when ``PYTHONTRACEMALLOC`` is set, the Python allocations by line. None of it depends on
    the machine's load."""
    import threading
    from collections import Counter

    by_mapping: Counter[str] = Counter()
    private: Counter[str] = Counter()
    anon: list[tuple[int, int]] = []  # (size, resident) of each unnamed mapping, KiB
    name = "[anon]"
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as f:
        for line in f:
            head = line.split(None, 1)[0]
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", head):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else "[anon]"
                start, end = (int(x, 16) for x in head.split("-"))
                size = (end - start) // 1024
            elif head == "Rss:":
                by_mapping[name] += int(line.split()[1])
                if name == "[anon]":
                    anon.append((size, int(line.split()[1])))
            elif head in ("Private_Clean:", "Private_Dirty:"):
                private[name] += int(line.split()[1])
    with open("/proc/self/smaps_rollup", encoding="utf-8") as f:
        rollup = {
            k.rstrip(":"): int(v) for k, v, *_ in (line.split() for line in f.readlines()[1:])
        }
    tasks = []
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError), open(f"/proc/self/task/{tid}/comm") as f:
            tasks.append(f.read().strip())
    report: dict[str, Any] = {
        "vmhwm_kb": vm_hwm_kb(),
        "rollup_kb": rollup,
        "rss_by_mapping_kb": dict(by_mapping.most_common(60)),
        "private_by_mapping_kb": dict(private.most_common(60)),
        "largest_anon_mappings_kb": sorted(anon, key=lambda m: -m[1])[:25],
        "os_threads": sorted(tasks),
        "python_threads": sorted(t.name for t in threading.enumerate()),
        "modules": len(sys.modules),
        "marks_kb": MEMORY_MARKS,
        "qt_modules": sorted(m for m in sys.modules if m.startswith("PySide6.Qt")),
    }
    import tracemalloc

    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot()
        report["tracemalloc_total_kb"] = (
            sum(s.size for s in snapshot.statistics("filename")) // 1024
        )
        report["tracemalloc_by_file_kb"] = {
            str(s.traceback): s.size // 1024 for s in snapshot.statistics("filename")[:40]
        }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)


# --------------------------------------------------------------------------- bare


def run_bare(with_sdk: bool = False, with_text: bool = False) -> int:
    """A bare window; ``with_sdk``: the memory floor, which also imports the pinned SDK and
    what it needs (logto, pydantic, aiohttp, cryptography) before showing it; ``with_text``:
    the window shows a heading, a line of text and a button, laid out."""
    if with_sdk:
        import aiohttp  # noqa: F401
        import cryptography.hazmat.primitives.asymmetric.ec  # noqa: F401
        import logto  # noqa: F401
        import pydantic  # noqa: F401
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    t_imported = time.monotonic()

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(620, 640)
    if with_text:
        from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

        page = QWidget()
        column = QVBoxLayout(page)
        heading = QLabel("You are signed out")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        heading.setFont(font)
        column.addWidget(heading)
        column.addWidget(QLabel("Sign in with your account in the browser."))
        column.addWidget(QPushButton("Sign in"))
        window.setCentralWidget(page)

    class FirstPaint(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint and obj is window:
                window.removeEventFilter(self)
                t = time.monotonic()
                facts = first_paint_facts()
                # Measured after the paint event is delivered, like the app's.
                QTimer.singleShot(0, lambda: finish(t, facts))
            return False

    def finish(t_paint: float, facts: dict[str, Any]) -> None:
        send(
            "result",
            **facts,
            t_first_paint=t_paint,
            t_settled=t_paint,
            t_child_start=T_CHILD_START,
            t_imported=t_imported,
            vmhwm_kb=vm_hwm_kb(),
        )
        report = os.environ.get("BENCH_MEMORY_REPORT")
        if report:
            memory_report(report)
        app.quit()

    probe = FirstPaint()
    window.installEventFilter(probe)
    window.show()
    return app.exec()


# --------------------------------------------------------------------------- app


def run_app(argv: list[str]) -> int:
    scenario = os.environ.get("BENCH_SCENARIO", "start")
    rounds = int(os.environ.get("BENCH_ROUNDS", "1"))

    # The app starts as the desktop-app command does (desktop_app.__main__.main, called at the
    # end): that entry point turns off collection before it imports the app, so this does too.
    gc.disable()
    from desktop_app import __main__ as entry
    from desktop_app import app as app_module

    if scenario != "start":
        # The browser: the parent plays it (headless Chromium or the fake provider's redirect).
        # SystemBrowser runs webbrowser's command itself (it does not call webbrowser.open), so
        # its launch is what is replaced.
        from desktop_app.auth import state

        def open_in_parent(self: Any, url: str) -> Any:
            send("open", url=url)
            return state.BrowserLaunch(True)

        state.SystemBrowser.launch = open_in_parent  # type: ignore[method-assign]

    t_imported = time.monotonic()
    mark_memory("app imported")
    callbacks: list[float] = []
    phases: dict[str, float] = {}
    import_auth_stack = app_module._import_auth_stack
    instrumented: list[bool] = []

    def import_and_instrument() -> None:
        # The app imports the auth stack on a worker thread after its first paint; the
        # sign-in probes need it, so they go in once it is there, not earlier: loading it
        # before the app does would measure another start-up order (issue 13: e.g. before
        # the app's QApplication, whose set-up decides what the imports keep in memory).
        import_auth_stack()
        mark_memory("auth stack imported")
        if scenario != "start" and not instrumented:
            _instrument_sign_in(callbacks, phases)
            instrumented.append(True)

    app_module._import_auth_stack = import_and_instrument
    profile_dir = os.environ.get("BENCH_CPROFILE")
    if profile_dir:
        _profile_snapshots(profile_dir)

    holder: dict[str, Any] = {}
    original_show = app_module.DesktopApp.show_window

    def show_window(self: Any) -> bool:
        # The window paints before the event loop (and start()) runs: watch it from here.
        holder["paint"] = _FirstPaintProbe.watch(self.window)
        mark_memory("window built")
        painted = original_show(self)
        mark_memory("first paint")
        return painted

    app_module.DesktopApp.show_window = show_window  # type: ignore[method-assign]
    original_start = app_module.DesktopApp.start

    def start(self: Any) -> None:
        original_start(self)
        holder["probe"] = _AppProbe.create(self, scenario, rounds, callbacks, phases)
        holder["probe"].t_imported = t_imported
        holder["probe"].first_paint = holder.get("paint")

    app_module.DesktopApp.start = start  # type: ignore[method-assign]
    code = entry.main(argv)
    probe = holder.get("probe")
    if probe is None or not probe.ok:
        return code or 1
    return code


# Diagnostics (BENCH_CPROFILE_CALLBACK=PREFIX): the Qt thread profiled from the callback's
# arrival to the painted profile, one PREFIX-<round>.prof per sign-in.
CALLBACK_PROFILE: list[Any] = []


def _instrument_sign_in(callbacks: list[float], phases: dict[str, float]) -> None:
    """Timestamps for the callback's arrival and each step up to the painted profile."""
    from desktop_app.auth import logto_client, loopback, storage

    on_callback = loopback.LoopbackReceiver._on_callback

    async def timed_on_callback(self: Any, conn: Any, query: str) -> Any:
        callbacks.append(time.monotonic())  # the loopback receiver has the callback request
        mark_memory("callback")
        phases["cpu_at_callback"] = time.process_time()
        phases["qt_cpu_at_callback"] = time.thread_time()  # the Qt thread: this coroutine's
        if os.environ.get("BENCH_CPROFILE_CALLBACK"):
            import cProfile

            CALLBACK_PROFILE.append(cProfile.Profile(time.thread_time))
            CALLBACK_PROFILE[-1].enable()
        return await on_callback(self, conn, query)

    loopback.LoopbackReceiver._on_callback = timed_on_callback  # type: ignore[method-assign,assignment]

    def timed(cls: Any, name: str, label: str) -> None:
        original = getattr(cls, name)

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await original(*args, **kwargs)
            finally:
                phases.setdefault(label, time.monotonic())

        setattr(cls, name, wrapper)

    timed(logto_client._NativeOidcCore, "_token_request", "token_response_and_jwks")
    timed(storage.KeyringStorage, "flush", "keyring_written")
    timed(logto_client.LogtoNativeClient, "complete_sign_in", "tokens_checked_and_stored")
    timed(logto_client.LogtoNativeClient, "fetch_user_info", "userinfo")
    timed(loopback.LoopbackReceiver, "finish", "browser_told_done")
    timed(loopback.LoopbackReceiver, "__aexit__", "listener_closed")


def _profile_snapshots(directory: str) -> None:
    """Diagnostics (``bench --profile``): cProfile each time the view model takes a session
    snapshot (the synchronous UI reaction to a state change), one .prof file per call."""
    import cProfile

    from desktop_app.ui.view_model import SessionViewModel

    original = SessionViewModel._on_snapshot
    count = [0]

    def profiled(self: Any, snapshot: Any) -> None:
        count[0] += 1
        profiler = cProfile.Profile()
        t0 = time.monotonic()
        profiler.runcall(original, self, snapshot)
        ms = (time.monotonic() - t0) * 1000
        name = f"snapshot-{count[0]:02d}-{snapshot.state.value}-{ms:.0f}ms.prof"
        profiler.dump_stats(os.path.join(directory, name))

    SessionViewModel._on_snapshot = profiled  # type: ignore[method-assign]


class _FirstPaintProbe:
    """The first paint event of the app's window, however early it comes."""

    @staticmethod
    def watch(window: Any) -> Any:
        from PySide6.QtCore import QEvent, QObject

        class Probe(QObject):
            def __init__(self) -> None:
                super().__init__()
                self.t: float | None = None
                self.facts: dict[str, Any] = {}
                window.installEventFilter(self)

            def eventFilter(self, obj: Any, event: Any) -> bool:
                if obj is window and event.type() == QEvent.Type.Paint and self.t is None:
                    self.t = time.monotonic()
                    self.facts = first_paint_facts()
                    window.removeEventFilter(self)
                return False

        return Probe()


class _AppProbe:
    """Event filter + stall timer + scenario driver, built once the app's window is shown."""

    @staticmethod
    def create(
        desktop: Any, scenario: str, rounds: int, callbacks: list[float], phases: dict[str, float]
    ) -> Any:
        from PySide6.QtCore import QEvent, QObject, Qt, QTimer
        from PySide6.QtWidgets import QWidget

        class Probe(QObject):
            def __init__(self) -> None:
                super().__init__()
                self.desktop = desktop
                self.ok = False
                self.window = desktop.window
                self.vm = desktop.view_model
                self.t_first_paint: float | None = None
                self.first_paint: Any = None  # a _FirstPaintProbe, when the app painted early
                self.t_imported = 0.0
                self.armed: dict[int, asyncio.Future[float]] = {}
                named = {w.accessibleName(): w for w in self.window.findChildren(QWidget)}
                # The first thing painted on each settled page: the person's name when signed in,
                # the Sign in button when signed out.
                self.name_label = named["Name"]
                self.sign_in_button = named["Sign in"]
                for widget in (self.window, self.name_label, self.sign_in_button):
                    widget.installEventFilter(self)
                self.max_gap = 0.0
                self.max_gap_end = 0.0
                self.max_gap_cpu = 0.0
                self.max_busy = 0.0  # the longest gap counted in Qt-thread CPU time only
                self.last_cpu = 0.0
                self.last_tick: float | None = None
                self.timer = QTimer(self)
                self.timer.setTimerType(Qt.TimerType.PreciseTimer)
                self.timer.setInterval(STALL_INTERVAL_MS)
                self.timer.timeout.connect(self._tick)
                self.timer.start()
                self.callbacks = callbacks
                # A failure ends the run at once instead of waiting for a page that never comes.
                self.vm.error_occurred.connect(self._fail)
                self.vm.page_changed.connect(self._page_changed)
                self.task = asyncio.ensure_future(self._drive(scenario, rounds))

            # -- probes

            def eventFilter(self, obj: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint:
                    now = time.monotonic()
                    if obj is self.window and self.t_first_paint is None:
                        self.t_first_paint = now
                    future = self.armed.get(id(obj))
                    if future is not None and not future.done():
                        future.set_result(now)
                return False

            def _page_changed(self, page: str) -> None:
                if page == "error":
                    self._fail("error page")
                elif page == "signed_in":
                    phases["page_signed_in"] = time.monotonic()
                    mark_memory("signed-in page")

            def _fail(self, message: str) -> None:
                for future in self.armed.values():
                    if not future.done():
                        future.set_exception(RuntimeError(f"the app reported: {message}"))

            def arm(self, widget: Any) -> asyncio.Future[float]:
                future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                self.armed[id(widget)] = future
                return future

            def _tick(self) -> None:
                now = time.monotonic()
                cpu = time.thread_time()
                if self.last_tick is not None:
                    gap = now - self.last_tick
                    self.max_busy = max(self.max_busy, min(gap, cpu - self.last_cpu))
                if self.last_tick is not None and now - self.last_tick > self.max_gap:
                    self.max_gap = now - self.last_tick
                    self.max_gap_end = now
                    # CPU the Qt thread itself used in that gap: near the gap means our own work
                    # blocked the loop; near zero means the process was waiting (not scheduled).
                    self.max_gap_cpu = cpu - self.last_cpu
                self.last_tick, self.last_cpu = now, cpu

            def reset_stall(self) -> None:
                self.max_gap = self.max_gap_cpu = self.max_busy = 0.0
                self.last_tick, self.last_cpu = time.monotonic(), time.thread_time()

            def stall_ms(self) -> float:
                self._tick()  # the interval up to now counts too
                return max(0.0, self.max_gap * 1000 - STALL_INTERVAL_MS)

            def busy_ms(self) -> float:
                """The longest stall counting only CPU the Qt thread spent in it: what the app's
                own code blocked, without time the OS gave to Chromium or the provider."""
                return max(0.0, self.max_busy * 1000 - STALL_INTERVAL_MS)

            # -- scenarios

            async def _drive(self, scenario: str, rounds: int) -> None:
                try:
                    async with asyncio.timeout(WAIT_S * max(1, rounds)):
                        if scenario == "start":
                            await self._start()
                        else:
                            await self._sign_in_rounds(rounds)
                    self.ok = True
                except BaseException as exc:
                    send("error", message=f"{type(exc).__name__}: {exc}"[:300], page=self.vm.page)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                finally:
                    self.timer.stop()
                    self.desktop.quit()

            async def _start(self) -> None:
                signed_in = self.arm(self.name_label)
                signed_out = self.arm(self.sign_in_button)
                done, _ = await asyncio.wait(
                    [signed_in, signed_out], return_when=asyncio.FIRST_COMPLETED
                )
                t_settled = next(iter(done)).result()
                early = self.first_paint
                t_first_paint = early.t if early is not None and early.t else self.t_first_paint
                facts = early.facts if early is not None and early.t else {}
                send(
                    "result",
                    **facts,
                    cpu_settled_ms=time.process_time() * 1000,
                    t_first_paint=t_first_paint,
                    t_settled=t_settled,
                    t_child_start=T_CHILD_START,
                    t_imported=self.t_imported,
                    page=self.vm.page,
                    offline=self.vm.offline,
                    vmhwm_kb=vm_hwm_kb(),
                )

            async def _sign_in_rounds(self, rounds: int) -> None:
                vm = self.vm
                if vm.page != "signed_out":
                    await self.arm(self.sign_in_button)
                seed = os.environ.get("BENCH_SEED_FILE")
                for i in range(rounds):
                    # Sign in: click -> browser -> callback -> tokens -> userinfo -> painted.
                    shown = self.arm(self.name_label)
                    self.reset_stall()
                    phases.clear()
                    before = len(self.callbacks)
                    mark_memory("sign-in clicked")
                    vm.sign_in()
                    t_shown = await shown
                    if CALLBACK_PROFILE:
                        CALLBACK_PROFILE[-1].disable()
                        CALLBACK_PROFILE[-1].dump_stats(
                            f"{os.environ['BENCH_CPROFILE_CALLBACK']}-{i}.prof"
                        )
                    cpu_shown, qt_cpu_shown = time.process_time(), time.thread_time()
                    stall_sign_in = self.stall_ms()
                    busy_sign_in = self.busy_ms()
                    if vm.page != "signed_in" or len(self.callbacks) <= before:
                        raise RuntimeError(f"sign-in ended on page {vm.page!r}")
                    t_callback = self.callbacks[-1]
                    # CPU the whole process (every thread) spent from the callback to the paint.
                    cpu_callback = (cpu_shown - phases.pop("cpu_at_callback", cpu_shown)) * 1000
                    qt_cpu = (qt_cpu_shown - phases.pop("qt_cpu_at_callback", qt_cpu_shown)) * 1000
                    steps = {k: round((v - t_callback) * 1000, 2) for k, v in phases.items()}
                    steps["profile_painted"] = round((t_shown - t_callback) * 1000, 2)
                    # When the longest stall ended, relative to the callback (negative: while the
                    # browser was still busy with Logto's pages).
                    stall_end = round((self.max_gap_end - t_callback) * 1000, 1)
                    stall_cpu = round(self.max_gap_cpu * 1000, 1)
                    phases.clear()
                    rss = vm_hwm_kb()
                    report = os.environ.get("BENCH_MEMORY_REPORT")
                    if report and i == 0:
                        memory_report(report)
                    session = vm.session
                    if i == 0 and seed:
                        # The stored session for the start-up runs, as the keyring holds it now.
                        shutil.copyfile(os.environ["BENCH_KEYRING_FILE"], seed)
                    # Refresh: drop the cached access token, then "Refresh profile" needs a real
                    # refresh_token grant (rotation, ID token checks, keyring write) + userinfo.
                    await asyncio.sleep(0.05)
                    session.client.storage.delete("accessTokenMap")
                    self.reset_stall()
                    await vm.runner.start(session.refresh_profile(), name="refresh profile")
                    stall_refresh = self.stall_ms()
                    busy_refresh = self.busy_ms()
                    if session.client.cached_access_token() is None or vm.page != "signed_in":
                        raise RuntimeError(f"refresh ended on page {vm.page!r}")
                    # Sign out: revoke at the provider, wipe the keyring, signed-out page painted.
                    await asyncio.sleep(0.05)
                    shown = self.arm(self.sign_in_button)
                    self.reset_stall()
                    vm.sign_out(False)
                    await shown
                    stall_sign_out = self.stall_ms()
                    busy_sign_out = self.busy_ms()
                    if vm.page != "signed_out":
                        raise RuntimeError(f"sign-out ended on page {vm.page!r}")
                    send(
                        "result",
                        round=i,
                        callback_to_profile_ms=(t_shown - t_callback) * 1000,
                        cpu_callback_to_profile_ms=cpu_callback,
                        qt_thread_cpu_callback_to_profile_ms=qt_cpu,
                        steps_ms=dict(sorted(steps.items(), key=lambda kv: kv[1])),
                        stall_sign_in_ms=stall_sign_in,
                        stall_sign_in_ended_at_ms=stall_end,
                        stall_sign_in_cpu_ms=stall_cpu,
                        stall_refresh_ms=stall_refresh,
                        stall_sign_out_ms=stall_sign_out,
                        busy_stall_sign_in_ms=busy_sign_in,
                        busy_stall_refresh_ms=busy_refresh,
                        busy_stall_sign_out_ms=busy_sign_out,
                        vmhwm_after_sign_in_kb=rss,
                    )

        return Probe()


# --------------------------------------------------------------------------- plain SDK


def run_plain(endpoint: str, app_id: str, rounds: int, resources: list[str]) -> int:
    return asyncio.run(_plain(endpoint, app_id, rounds, resources))


async def _plain(endpoint: str, app_id: str, rounds: int, resources: list[str]) -> int:
    import aiohttp
    import keyring
    import logto
    from keyring.errors import PasswordDeleteError
    from logto.Storage import Storage

    class SecretlessSession:
        """``aiohttp.ClientSession`` as the SDK's ``OidcCore`` uses it (``async with``,
        ``get``, ``post``), except that form fields whose value is ``None`` are not posted: the
        SDK's ``fetchTokenByCode`` sends ``client_secret=None``, which Logto/oidc-provider refuse
        for a Native app (its refresh grant drops such fields itself, with removeFalsyKeys).
        The SDK's own code does everything else: the request, its checks, the parsing."""

        def __init__(self) -> None:
            self._session = aiohttp.ClientSession()

        async def __aenter__(self) -> SecretlessSession:
            await self._session.__aenter__()
            return self

        async def __aexit__(self, *exc: object) -> None:
            await self._session.__aexit__(*exc)  # type: ignore[arg-type]

        def get(self, url: str, **kwargs: Any) -> Any:
            return self._session.get(url, **kwargs)

        def post(self, url: str, *, data: Any = None, **kwargs: Any) -> Any:
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if v is not None}
            return self._session.post(url, data=data, **kwargs)

    # The SDK module's only use of aiohttp is ClientSession().
    sys.modules["logto.OidcCore"].aiohttp = types.SimpleNamespace(ClientSession=SecretlessSession)  # type: ignore[attr-defined]

    class KeyringSdkStorage(Storage):
        """The SDK's Storage on the same keyring backend as the app's (one entry per key,
        written synchronously, the way the SDK calls it): the same job as the app's storage."""

        service = f"bench-plain-sdk:{endpoint}#{app_id}"

        def get(self, key: Any) -> str | None:
            return keyring.get_password(self.service, key)

        def set(self, key: Any, value: str | None) -> None:
            if value is None:
                self.delete(key)
            else:
                keyring.set_password(self.service, key, value)

        def delete(self, key: Any) -> None:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(self.service, key)

    loop = asyncio.get_running_loop()
    arrived: asyncio.Future[tuple[float, str]] | None = None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        t = time.monotonic()
        target = head.split(b" ", 2)[1].decode("ascii", "replace")
        ok = target.startswith("/callback")
        body = b"<html><body>Signed in.</body></html>" if ok else b"not found"
        status = b"200 OK" if ok else b"404 Not Found"
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()
        writer.close()
        if ok and arrived is not None and not arrived.done():
            arrived.set_result((t, target))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}/callback"

    # The same event-loop stall probe as the app's, on plain asyncio.
    probe = {"last": loop.time(), "max": 0.0}

    def tick() -> None:
        now = loop.time()
        probe["max"] = max(probe["max"], now - probe["last"])
        probe["last"] = now
        loop.call_later(STALL_INTERVAL_MS / 1000, tick)

    loop.call_later(STALL_INTERVAL_MS / 1000, tick)

    config = logto.LogtoConfig(
        endpoint=endpoint,
        appId=app_id,
        appSecret=None,
        prompt="consent",
        scopes=["email"],
        resources=resources,
    )
    client = logto.LogtoClient(config, KeyringSdkStorage())  # reused, like the app's client
    try:
        for i in range(rounds):
            arrived = loop.create_future()
            url = await client.signIn(redirect_uri)
            send("open", url=url)
            t_callback, target = await asyncio.wait_for(arrived, WAIT_S)
            probe["last"], probe["max"] = loop.time(), 0.0
            t0, cpu0 = time.monotonic(), time.process_time()
            await client.handleSignInCallback(f"http://127.0.0.1:{port}{target}")
            info = await client.fetchUserInfo()
            t1, cpu1 = time.monotonic(), time.process_time()
            now = loop.time()
            stall = max(probe["max"], now - probe["last"]) * 1000 - STALL_INTERVAL_MS
            if not info.sub:
                raise RuntimeError("userinfo without sub")
            send(
                "result",
                round=i,
                callback_to_profile_ms=(t1 - t0) * 1000,
                cpu_callback_to_profile_ms=(cpu1 - cpu0) * 1000,
                callback_request_to_profile_ms=(t1 - t_callback) * 1000,
                stall_sign_in_ms=max(0.0, stall),
            )
    except Exception as exc:
        send("error", message=f"{type(exc).__name__}: {exc}"[:300])
        return 1
    finally:
        server.close()
    return 0


def main() -> int:
    mode, *rest = sys.argv[1:]
    if mode == "bare":
        return run_bare()
    if mode == "floor":
        return run_bare(with_sdk=True)
    if mode == "text":
        return run_bare(with_text=True)
    if mode == "floor_text":
        return run_bare(with_sdk=True, with_text=True)
    if mode == "app":
        return run_app(rest)
    if mode == "plain":
        endpoint, app_id, rounds, *resources = rest
        return run_plain(endpoint, app_id, int(rounds), resources)
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    raise SystemExit(main())
