"""Composition root: the QApplication, the qasync loop, the session, the view model, the windows.

Everything is wired here and nowhere else; collaborators (the browser opener, the keyring
backend, the config and UI-prefs paths, the local IdP for demo mode) come in through
:class:`DesktopApp`'s constructor so tests build the real app with test doubles::

    python -m desktop_app                    # settings from the config file / environment
    python -m demo                           # (source checkout) a local IdP with test users
    python -m desktop_app --endpoint https://tenant.logto.app --app-id abc123
    python -m desktop_app --smoke-test       # open and close the window, exit 0
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import shiboken6
from PySide6.QtCore import QCoreApplication, QLocale, QObject, Slot
from PySide6.QtWidgets import QApplication

from desktop_app import APP_DISPLAY_NAME, APP_NAME, __version__
from desktop_app.auth.state import BrowserOpener, SystemBrowser
from desktop_app.errors import ConfigError, DesktopAppError, StorageError
from desktop_app.log import setup_logging
from desktop_app.ui.feature_scan import scan_without_caching
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.prefs import UiPrefs
from desktop_app.ui.qt_async import TaskRunner, paint_now, painted, run_app
from desktop_app.ui.resources import app_icon
from desktop_app.ui.single_instance import SingleInstance, ignored_flags_message
from desktop_app.ui.translations import install_translators, ui_locales
from desktop_app.ui.view_model import SessionViewModel

if TYPE_CHECKING:
    import asyncio

    from keyring.backend import KeyringBackend

    from demo.local_idp import LocalIdp, LocalIdpInfo
    from desktop_app.auth.session import AuthSession
    from desktop_app.auth.storage import KeyringStorage, SessionOnlyStorage
    from desktop_app.config import Settings
    from desktop_app.ui.settings_dialog import SettingsDialog

# What a bare window does not need for its first frame is imported after it (issue 13):
# asyncio and qasync when the event loop starts (ui.qt_async), the settings (config: tomllib,
# tomli_w, ipaddress) and the auth stack on a worker thread, the Settings dialog when opened,
# QtNetwork when the single-instance check listens. bench/ lists what still loads first.
# The auth stack (aiohttp, pydantic, cryptography, logto) takes most of the start-up time; it
# is imported on a worker thread after the window is shown (see DesktopApp.start).
AUTH_STACK = ("desktop_app.config", "desktop_app.auth.session", "desktop_app.auth.storage")


def checkout_has_demo() -> bool:
    """Whether this runs from a source checkout, whose ``./run demo`` (the top-level ``demo``
    package and the Node provider in ``local_idp/``) can show the app without a Logto account.
    An installed app (wheel or frozen bundle) ships neither; the app never imports ``demo``."""
    if getattr(sys, "frozen", False):
        return False
    return (Path(__file__).resolve().parents[1] / "demo" / "__main__.py").is_file()


def _import_auth_stack() -> None:
    for name in AUTH_STACK:
        importlib.import_module(name)


logger = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("DesktopApp", text)


def default_prefs_path() -> Path:
    """The QSettings INI file for UI preferences, next to config.toml."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "ui.ini"


def demo_hint(info: LocalIdpInfo) -> str:
    # Short on purpose: the endpoint is already shown above it, and a long centred paragraph
    # of small text is hard to read.
    users = _tr(", ").join(f"{u.username} / {u.password}" for u in info.users)
    hint = _tr("Demo users: {users}").format(users=users)
    connector, upstream = info.social_connector, info.upstream
    if connector is not None and upstream is not None and upstream.users:
        social_users = _tr(", ").join(f"{u.username} / {u.password}" for u in upstream.users)
        hint += "\n" + _tr("{name}: {users}").format(name=connector.name, users=social_users)
    return hint


def demo_keyring_service(app_id: str) -> str:
    """The keyring service of ``--demo`` sessions: the same on every run (see _start_demo)."""
    # The same prefix as the real entries (storage.SERVICE_PREFIX); "demo" is no URL, so it
    # never collides with a real endpoint's entry.
    return f"desktop_app:demo#{app_id}"


class DesktopApp(QObject):
    """The running app: owns the window, the view model and the current AuthSession."""

    def __init__(
        self,
        *,
        config_path: Path | None = None,
        overrides: dict[str, object] | None = None,
        demo: bool = False,
        open_browser: BrowserOpener | None = None,
        keyring_backend: KeyringBackend | None = None,
        prefs_path: Path | None = None,
        local_idp_factory: Callable[[], LocalIdp] | None = None,
        restore_on_start: bool = True,
        show_first_run_settings: bool = True,
        freeze_start_up_objects: bool = False,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config_path = config_path
        self.overrides = dict(overrides or {})
        self.demo = demo
        # The system browser by default; it says why it did not open (e.g. Chromium as root).
        self.open_browser: BrowserOpener = open_browser or SystemBrowser()
        self.keyring_backend = keyring_backend
        if demo and local_idp_factory is None:
            raise ValueError("demo mode needs local_idp_factory (see the demo package)")
        self.local_idp_factory = local_idp_factory
        self.restore_on_start = restore_on_start
        self.show_first_run_settings = show_first_run_settings
        self.freeze_start_up_objects = freeze_start_up_objects
        self.clock = clock
        self.local_idp: LocalIdp | None = None
        self.local_idp_info: LocalIdpInfo | None = None
        self.settings: Settings | None = None
        self.settings_dialog: SettingsDialog | None = None
        # Where the demo keeps its tokens (its keyring entry, or memory when no keyring works);
        # kept across Settings changes for the same app.
        self.demo_storage: KeyringStorage | SessionOnlyStorage | None = None
        self.icon = app_icon()
        self.prefs = UiPrefs(prefs_path or default_prefs_path())
        self.runner = TaskRunner(self)
        self.view_model = SessionViewModel(
            self.runner, clock=clock, browser_problem=self._browser_problem, parent=self
        )
        self.window = MainWindow(
            self.view_model,
            icon=self.icon,
            prefs=self.prefs,
            demo_available=demo or checkout_has_demo(),
        )
        self.window.settings_requested.connect(self.open_settings)
        self.window.quit_requested.connect(self.quit)
        self._finished: asyncio.Future[int] | None = None
        self._started: asyncio.Task[None] | None = None

    def _browser_problem(self) -> str:
        # Any opener may say why it failed the way SystemBrowser does (``last_problem``).
        problem = getattr(self.open_browser, "last_problem", "")
        return problem if isinstance(problem, str) else ""

    # ------------------------------------------------------------------ lifecycle

    def _show_starting_page(self) -> None:
        if self.demo:
            self.view_model.set_starting(_tr("Starting the local demo sign-in server…"))
        else:
            self.view_model.set_starting("")

    def show_window(self) -> bool:
        """Show the window on its start-up page and paint it, before the event loop starts
        (True once painted). The first frame is the final layout of the "starting" page; the
        settings and the session fill it in afterwards. Not from a coroutine: it spins a
        short plain Qt loop (see :func:`~desktop_app.ui.qt_async.paint_now`)."""
        self._show_starting_page()
        return paint_now(self.window)

    def start(self) -> None:
        """Show the window (unless :meth:`show_window` did) and load the settings (demo: start
        the local IdP first)."""
        import asyncio

        self._finished = asyncio.get_running_loop().create_future()
        if not self.window.isVisible():
            self._show_starting_page()
            self.window.show()
        if self.demo:
            self._started = self.runner.start(self._start_demo(), name="start demo")
        else:
            self._started = self.runner.start(self._start(), name="start")

    async def _start(self) -> None:
        import asyncio

        # Paint first. Then the settings and the stored session, off the Qt thread (the config
        # file, the keyring), and the signed-in page from it; only then the SDK stack (about
        # half a second to import), whose AuthSession restores the session for real.
        try:
            settings = await asyncio.to_thread(self._read_settings)
        except ConfigError as exc:
            self._settings_failed(exc)
            return
        storage = None
        if self.restore_on_start and not settings.session_only:
            storage = await self._show_stored_session(settings)
        await self._load_auth_stack()
        if self.settings is None:  # not already chosen in the Settings dialog meanwhile
            self.apply_settings(settings, storage=storage)

    async def _load_auth_stack(self) -> None:
        """Import the SDK stack off the Qt thread; start-up ends here."""
        import asyncio

        await asyncio.to_thread(_import_auth_stack)
        if self.freeze_start_up_objects:
            # What start-up made (PySide6, the window, the SDK stack's modules and classes)
            # lives as long as the process, yet every full collection would walk it again:
            # about 30 ms on the Qt thread with the SDK loaded. Frozen, collections skip it
            # (about 1 ms). Only for the process's own app (main()): in a test process it
            # would keep earlier tests' garbage for good.
            gc.freeze()

    def _read_settings(self) -> Settings:
        """The settings (worker thread); also imports the keyring storage for the next step."""
        from desktop_app import config
        from desktop_app.auth import storage  # noqa: F401  (keyring: imported off the Qt thread)

        return config.load(overrides=self.overrides, config_path=self.config_path)

    async def _show_stored_session(self, settings: Settings) -> KeyringStorage:
        """Read the keyring entry of ``settings`` and, when it holds a session, show it on the
        signed-in page (without the SDK stack: see desktop_app.auth.stored_session); returns
        the loaded storage for the session. A keyring that fails shows nothing here: the
        session's restore reads it again and says what is wrong."""
        from desktop_app.auth.storage import KeyringStorage
        from desktop_app.auth.stored_session import StoredSession

        storage = KeyringStorage.for_app(
            settings.endpoint, settings.app_id, backend=self.keyring_backend
        )
        try:
            await storage.load()
        except StorageError:
            return storage
        stored = StoredSession.from_storage(settings, storage)
        if stored is not None:
            self.view_model.show_stored(stored)
            # The SDK's import must not compete with painting the page.
            await painted(self.window.name_label)
        return storage

    async def run(self) -> int:
        """Start, then wait until the app is asked to quit; clean up; return the exit code."""
        self.start()
        assert self._finished is not None
        try:
            return await self._finished
        finally:
            await self.shutdown()

    @Slot()
    def quit(self) -> None:
        """Close the window and end :meth:`run`."""
        if shiboken6.isValid(self.window):
            self.window.close()
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(0)

    async def shutdown(self) -> None:
        """Cancel pending work, close the session, stop the demo IdP."""
        if self.settings_dialog is not None and shiboken6.isValid(self.settings_dialog):
            self.settings_dialog.close()
        await self.view_model.close()
        idp, self.local_idp = self.local_idp, None
        if idp is not None:
            import asyncio

            await asyncio.to_thread(idp.stop)

    def dispose(self) -> None:
        """After the event loop has ended: delete the window and this object (with its view
        model and task runner) here, on the Qt thread. They hold reference cycles, so otherwise
        the garbage collector frees them, on whatever thread allocates at that moment (a daemon
        worker that outlived the app), or at interpreter exit after the QApplication."""
        for obj in (self.window, self):
            if shiboken6.isValid(obj):
                shiboken6.delete(obj)

    @Slot(list)
    def second_launch(self, ignored_flags: list[str]) -> None:
        """Another launch happened: come to the front, and say which of its settings flags
        (``--endpoint``, ``--app-id``...) were not applied to this window."""
        self.window.bring_to_front()
        if ignored_flags:
            self.view_model.show_notice(ignored_flags_message(ignored_flags))

    # ------------------------------------------------------------------ settings

    def _settings_failed(self, exc: ConfigError) -> None:
        """No usable settings: say why, or (first run) open the Settings dialog."""
        from desktop_app import config

        self.view_model.set_session(None)
        first_run = exc.field in {"endpoint", "app_id"} and not config.is_configured(
            config_path=self.config_path
        )
        if not first_run:
            self.view_model.show_error(exc.message, exc.advice)
        if self.show_first_run_settings:
            self.open_settings(first_run=first_run, error=None if first_run else exc)

    def apply_settings(self, settings: Settings, storage: Any = None) -> AuthSession:
        """Build a new AuthSession for ``settings`` (the old one is closed) and restore it."""
        from desktop_app.auth.session import AuthSession

        self.settings = settings
        session = AuthSession(
            settings,
            storage=storage,
            keyring_backend=self.keyring_backend,
            open_browser=self.open_browser,
            clock=self.clock,
            ui_locales=ui_locales(QLocale()),
        )
        self.view_model.set_session(session)
        if self.restore_on_start:
            self.view_model.restore()
        return session

    @Slot()
    def open_settings(self, first_run: bool = False, error: ConfigError | None = None) -> None:
        """Show the Settings dialog (window-modal, no nested loop)."""
        from desktop_app import config
        from desktop_app.config import Settings
        from desktop_app.ui.settings_dialog import SettingsDialog

        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        current = self.settings
        if current is None:
            with contextlib.suppress(ConfigError):
                raw = config.read_file(self._config_file())
                current = Settings(
                    endpoint=str(raw.get("endpoint", "")),
                    app_id=str(raw.get("app_id", "")),
                    config_path=self._config_file(),
                )
        dialog = SettingsDialog(
            current,
            save=self._save_settings,
            first_run=first_run,
            persistent=not self.demo,
            keyring_available=not self._demo_has_no_keyring(),
            parent=self.window,
        )
        dialog.settings_accepted.connect(self._settings_accepted)
        if error is not None:
            dialog.show_error(error)
        self.settings_dialog = dialog
        dialog.open()

    def _demo_has_no_keyring(self) -> bool:
        if self.demo_storage is None:
            return False
        from desktop_app.auth.storage import SessionOnlyStorage

        return isinstance(self.demo_storage, SessionOnlyStorage)

    def _demo_storage_for(self, settings: Settings) -> KeyringStorage | SessionOnlyStorage | None:
        """The demo's storage for changed settings (None: the session's default). The same app
        keeps the demo's own entry or memory, so it stays signed in; without a keyring the
        tokens stay in memory whatever the app, as the dialog said."""
        kept = self.demo_storage
        if kept is None:
            return None
        from desktop_app.auth.storage import SessionOnlyStorage

        old = self.settings
        same_app = old is not None and (old.endpoint, old.app_id) == (
            settings.endpoint,
            settings.app_id,
        )
        if isinstance(kept, SessionOnlyStorage):
            self.demo_storage = kept if same_app else SessionOnlyStorage()
            return self.demo_storage
        if same_app and not settings.session_only:
            return kept
        return None

    def _config_file(self) -> Path:
        from desktop_app import config

        return self.config_path or config.default_config_path()

    def _save_settings(self, settings: Settings) -> object:
        if self.demo:
            return None  # the demo's settings belong to this run, not to the config file
        from desktop_app import config

        return config.save(settings, settings.config_path or self._config_file())

    @Slot(object)
    def _settings_accepted(self, settings: Settings) -> None:
        if settings.config_path is None and not self.demo:
            settings = dataclasses.replace(settings, config_path=self._config_file())
        logger.info("Settings changed; rebuilding the session")
        storage = self._demo_storage_for(settings)
        # (The dialog itself says that the demo saves nothing.)
        self.apply_settings(settings, storage=storage)

    # ------------------------------------------------------------------ demo

    async def _start_demo(self) -> None:
        import asyncio

        assert self.local_idp_factory is not None  # checked in __init__
        idp = self.local_idp_factory()
        try:
            info = await asyncio.to_thread(idp.start)
            await self._load_auth_stack()
        except DesktopAppError as exc:
            self.view_model.set_session(None)
            self.view_model.show_error(exc.message, exc.advice)
            return
        self.local_idp, self.local_idp_info = idp, info
        raw: dict[str, object] = {
            "endpoint": info.endpoint,
            "app_id": info.app_id,
            "scopes": ["email", "identities"],
            "resources": [info.api_resource],
        }
        if info.social_connector is not None:
            # "Continue with OAuth2" through the demo's upstream OAuth 2.0 provider.
            raw["social_target"] = info.social_connector.target
            raw["social_name"] = info.social_connector.name
        from desktop_app import config

        settings = config.validate(raw)
        from desktop_app.auth.storage import KeyringStorage, SessionOnlyStorage

        # Use the keyring when there is one; a demo falls back to memory (and says so). The
        # entry is one fixed name, not the endpoint's (its port is new on every run), and the
        # last run's session is removed first: its provider is gone, so it could only ever be
        # an orphan in the person's keyring.
        storage: KeyringStorage | SessionOnlyStorage = KeyringStorage(
            demo_keyring_service(settings.app_id), backend=self.keyring_backend
        )
        note = ""
        try:
            await storage.load()
            await storage.clear()
        except StorageError as exc:
            logger.info(
                "Demo: keyring unavailable (%s); keeping tokens in memory", type(exc).__name__
            )
            storage = SessionOnlyStorage()
            note = _tr(
                "No usable keyring here, so this demo keeps tokens in memory only: "
                "you will sign in again after a restart."
            )
        self.view_model.set_hint(demo_hint(info))
        self.demo_storage = storage
        self.apply_settings(settings, storage=storage)
        if note:
            self.view_model.set_hint(demo_hint(info) + "\n" + note)


# ---------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None, *, demo: bool = False) -> argparse.Namespace:
    """The command line; ``--demo`` only where ``demo`` says it can run (``python -m demo``)."""
    parser = argparse.ArgumentParser(
        prog="desktop-app",
        description="Sign in to Logto through your browser (RFC 8252).",
    )
    parser.add_argument("--endpoint", help="Logto endpoint, e.g. https://tenant.logto.app")
    parser.add_argument("--app-id", help="App ID of the Native app in the Logto Console")
    parser.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML)")
    parser.add_argument(
        "--demo",
        action="store_true",
        # Not offered where it cannot run (the installed app ships no local provider).
        help="start a local test IdP and sign in to it" if demo else argparse.SUPPRESS,
    )
    parser.add_argument(
        "--verbose", action="store_true", help="debug logging (tokens are still never logged)"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help=argparse.SUPPRESS,  # for installers and CI: open and close the window, exit 0
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if args.demo and not demo:
        parser.error(
            "--demo needs the local test sign-in server, which this installation does not "
            "include. Try the demo from a source checkout with ./run demo."
        )
    return args


def create_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with the app's names, icon and translations."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv))
    # desktop_app.APP_NAME: not Logto's App ID (see there).
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(app_icon())
    # Before the auth stack is imported: PySide6 would keep the source of each of its modules.
    scan_without_caching()
    # Qt's own strings (standard buttons) and ours in the person's language.
    install_translators(app)
    return app


def missing_display(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> str:
    """Why no window can open here, in words for people; "" when a display is there.

    Checked before the QApplication exists: without a display Qt aborts the process (SIGABRT)
    after a hint about reinstalling xcb-cursor0, which is not the problem.
    """
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return ""
    env = os.environ if env is None else env
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    has_x, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if qpa in {"", "xcb", "wayland", "wayland-egl"}:
        wanted = {"": has_x or has_wayland, "xcb": has_x}.get(qpa, has_wayland)
        if not wanted:
            what = {
                "xcb": "DISPLAY is not set",
                "": "neither DISPLAY nor WAYLAND_DISPLAY is set",
            }.get(qpa, "WAYLAND_DISPLAY is not set")
            return (
                f"{APP_DISPLAY_NAME} needs a graphical desktop to open its window, but there is "
                f"none here ({what}). Start it from your desktop session; over SSH, connect "
                "with `ssh -X`; on a server without a screen, run it under `xvfb-run`."
            )
    return ""


def _settings_flags(args: argparse.Namespace) -> list[str]:
    """The flags given that change settings: a second launch cannot apply them."""
    given = {
        "--endpoint": args.endpoint,
        "--app-id": args.app_id,
        "--config": args.config,
        "--demo": args.demo,
    }
    return [flag for flag, value in given.items() if value]


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    return {"endpoint": args.endpoint, "app_id": args.app_id}


async def _smoke(desktop: DesktopApp, app: QApplication) -> int:
    import asyncio

    desktop.start()
    for _ in range(3):
        await asyncio.sleep(0)
        app.processEvents()
    ok = desktop.window.isVisible() and not desktop.icon.isNull()
    desktop.quit()
    await desktop.shutdown()
    print("smoke test:", "ok" if ok else "FAILED")
    return 0 if ok else 1


def main(
    argv: Sequence[str] | None = None, *, local_idp_factory: Callable[[], LocalIdp] | None = None
) -> int:
    """The ``desktop-app`` entry point (also ``python -m desktop_app``).

    ``local_idp_factory`` is what offers ``--demo``: only the source checkout's ``python -m demo``
    passes one, so an installed app never lists or accepts it.
    """
    args = parse_args(sys.argv[1:] if argv is None else argv, demo=local_idp_factory is not None)
    setup_logging(verbose=args.verbose)
    problem = missing_display()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)  # the loop ends through DesktopApp.quit

    if args.smoke_test:
        desktop = DesktopApp(
            config_path=args.config,
            overrides=_overrides(args),
            restore_on_start=False,
            show_first_run_settings=False,
        )
        code = run_app(app, lambda: _smoke(desktop, app))
        desktop.dispose()
        return code

    single = SingleInstance()
    flags = _settings_flags(args)
    # Decided before any window shows (a second launch must not flash one); the first
    # instance takes the lock here and starts listening once its window is painted.
    if not single.lock(flags):
        if single.problem:
            print(single.problem, file=sys.stderr)
            return 1
        print("desktop-app is already running; brought it to the front.", file=sys.stderr)
        if flags:
            print(ignored_flags_message(flags), file=sys.stderr)
        return 0
    try:
        desktop = DesktopApp(
            config_path=args.config,
            overrides=_overrides(args),
            demo=args.demo,
            local_idp_factory=local_idp_factory,
            freeze_start_up_objects=True,
        )
        app.lastWindowClosed.connect(desktop.quit)
        desktop.show_window()
        single.listen()
        single.activation_requested.connect(desktop.second_launch)
        code = run_app(app, desktop.run)
        desktop.dispose()
        return code
    finally:
        single.release()


if __name__ == "__main__":
    raise SystemExit(main())
