"""The composition root: settings (dialog, validation, first run, rebuild), demo mode, the smoke
test, a single running instance, avatars."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QSpinBox

from demo.local_idp import LocalIdpInfo
from desktop_app.app import DesktopApp
from desktop_app.auth.storage import KeyringStorage
from desktop_app.config import Settings
from desktop_app.ui import avatar
from desktop_app.ui.avatar import AvatarLoader
from desktop_app.ui.settings_dialog import SettingsDialog
from desktop_app.ui.single_instance import SingleInstance
from tests.fixtures.chromium import ChromiumPerson, sign_in_as
from tests.fixtures.keyrings import InMemoryKeyring, LockedKeyring
from tests.ui.conftest import WAIT_MS, find

MakeApp = Callable[..., DesktopApp]
REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------- settings dialog


def test_settings_dialog_shows_errors_next_to_the_field(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(endpoint="https://a.logto.app", app_id="abc"))
    qtbot.addWidget(dialog)
    dialog.show()
    find(dialog, "Logto endpoint", QLineEdit).setText("http://auth.example.com")
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        find(dialog, "Save", QPushButton).click()
    assert "plain http" in dialog.error_text("endpoint")
    assert find(dialog, "Logto endpoint error", QLabel).isVisible()
    assert dialog.isVisible()

    find(dialog, "Logto endpoint", QLineEdit).setText("https://a.logto.app")
    find(dialog, "Callback path", QLineEdit).setText("callback")
    find(dialog, "Save", QPushButton).click()
    assert dialog.error_text("endpoint") == ""
    assert "must start with" in dialog.error_text("redirect_path")

    find(dialog, "Callback path", QLineEdit).setText("/cb")
    find(dialog, "Callback port", QSpinBox).setValue(80)
    find(dialog, "Save", QPushButton).click()
    assert "out of range" in dialog.error_text("redirect_port")


def test_settings_dialog_saves_valid_settings(qtbot: Any, tmp_path: Path) -> None:
    from desktop_app import config

    path = tmp_path / "config.toml"
    dialog = SettingsDialog(
        Settings(endpoint="https://a.logto.app", app_id="abc", config_path=path),
        save=lambda s: config.save(s, path),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    find(dialog, "Extra scopes", QLineEdit).setText("email phone")
    find(dialog, "API resources", QLineEdit).setText("https://api.example.com")
    find(dialog, "Social connector target", QLineEdit).setText("google")
    find(dialog, "Social connector name", QLineEdit).setText("Google")
    find(dialog, "Session only", QCheckBox).setChecked(True)
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        qtbot.keyClick(find(dialog, "App ID", QLineEdit), Qt.Key.Key_Return)
    settings = blocker.args[0]
    assert settings.scopes == ("email", "phone")
    assert settings.session_only
    saved = tomllib.loads(path.read_text())
    assert saved["resources"] == ["https://api.example.com"]
    assert saved["social_target"] == "google"
    assert not dialog.isVisible()


def test_first_run_opens_settings_and_saving_builds_the_session(
    qtbot: Any,
    make_app: MakeApp,
    local_idp: LocalIdpInfo,
    memory_keyring: InMemoryKeyring,
    tmp_path: Path,
) -> None:
    app = make_app(keyring_backend=memory_keyring)
    qtbot.waitUntil(lambda: app.view_model.page == "not_configured", timeout=WAIT_MS)
    assert app.window.current_page == "not_configured"
    dialog = app.settings_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert find(dialog, "Welcome", QLabel).isVisible()
    find(dialog, "Logto endpoint", QLineEdit).setText(local_idp.endpoint)
    find(dialog, "App ID", QLineEdit).setText(local_idp.app_id)
    find(dialog, "Save", QPushButton).click()
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    assert app.view_model.session is not None
    assert local_idp.endpoint in find(app.window, "Logto endpoint", QLabel).text()
    assert tomllib.loads((tmp_path / "config.toml").read_text())["app_id"] == local_idp.app_id


def test_changing_settings_rebuilds_the_session(
    qtbot: Any, make_app: MakeApp, local_idp: LocalIdpInfo, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(
        overrides={"endpoint": local_idp.endpoint, "app_id": local_idp.app_id},
        keyring_backend=memory_keyring,
    )
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    first = app.view_model.session
    app.window.settings_action.trigger()
    dialog = app.settings_dialog
    assert dialog is not None
    find(dialog, "Social connector target", QLineEdit).setText("oauth2")
    find(dialog, "Social connector name", QLineEdit).setText("Example SSO")
    find(dialog, "Save", QPushButton).click()
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    assert app.view_model.session is not first
    social = find(app.window, "Continue with social account", QPushButton)
    assert social.isVisible()
    assert social.text().replace("&", "") == "Continue with Example SSO"  # Alt+T


# ---------------------------------------------------------------------- demo mode


def test_demo_mode_starts_the_local_idp_and_signs_in(
    qtbot: Any, make_app: MakeApp, person: ChromiumPerson, memory_keyring: InMemoryKeyring
) -> None:
    app = make_app(
        demo=True,
        keyring_backend=memory_keyring,
        open_browser=person.opener(sign_in_as("alice", "alice-password")),
    )
    assert app.window.current_page == "busy"  # starting the server, window responsive
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    assert app.local_idp is not None
    assert app.local_idp.running
    hint = find(app.window, "Hint", QLabel)
    assert hint.isVisible()
    assert "alice / alice-password" in hint.text()
    assert "memory only" not in hint.text()
    with qtbot.waitSignal(app.view_model.signed_in, timeout=WAIT_MS):
        find(app.window, "Sign in", QPushButton).click()
    assert find(app.window, "Name", QLabel).text() == "Alice Example"
    assert "OS keyring" in find(app.window, "Token status", QLabel).text()
    idp = app.local_idp
    app.quit()
    import asyncio

    done = asyncio.ensure_future(app.shutdown())
    qtbot.waitUntil(done.done, timeout=20_000)
    assert not idp.running  # stopped on quit


def test_demo_mode_without_keyring_falls_back_to_memory(
    qtbot: Any, make_app: MakeApp, locked_keyring: LockedKeyring
) -> None:
    app = make_app(demo=True, keyring_backend=locked_keyring)
    qtbot.waitUntil(lambda: app.view_model.page == "signed_out", timeout=WAIT_MS)
    assert "memory only" in find(app.window, "Hint", QLabel).text()
    assert app.view_model.session is not None
    assert app.view_model.session.storage.location_label == "Memory only (this session)"


def test_demo_runs_leave_no_orphan_in_the_keyring(
    qtbot: Any, make_app: MakeApp, memory_keyring: InMemoryKeyring
) -> None:
    from desktop_app.app import demo_keyring_service

    first = make_app(demo=True, keyring_backend=memory_keyring)
    qtbot.waitUntil(lambda: first.view_model.page == "signed_out", timeout=WAIT_MS)
    assert first.local_idp_info is not None
    app_id = first.local_idp_info.app_id
    port = first.local_idp_info.endpoint.rsplit(":", 1)[1]
    session = first.view_model.session
    assert session is not None
    assert isinstance(session.storage, KeyringStorage)  # the demo keeps its session too
    service = session.storage.service
    assert service == demo_keyring_service(app_id)
    assert port not in service  # the random port would make every run a new entry
    # A previous run's session (its provider is gone): removed at start, not restored.
    memory_keyring.set_password(service, "session", "left over by an earlier demo run")
    second = make_app(demo=True, keyring_backend=memory_keyring)
    qtbot.waitUntil(lambda: second.view_model.page == "signed_out", timeout=WAIT_MS)
    assert not [key for key in memory_keyring.entries if key[0] == service]
    assert "expired" not in second.view_model.banner_text


# ---------------------------------------------------------------------- process level


@pytest.mark.parametrize("scale", ["1", "2"])
def test_smoke_test_flag(tmp_path: Path, scale: str) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QT_SCALE_FACTOR": scale,
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--smoke-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "smoke test: ok" in result.stdout


def test_second_instance_activates_the_first(qtbot: Any) -> None:
    name = f"desktop-app-test-{uuid.uuid4().hex[:8]}"
    first = SingleInstance(name)
    assert first.acquire()
    try:
        with qtbot.waitSignal(first.activation_requested, timeout=5000):
            assert not SingleInstance(name).acquire()
    finally:
        first.release()
    again = SingleInstance(name)
    assert again.acquire()  # the name is free once the first one is gone
    again.release()


# ---------------------------------------------------------------------- avatars


@pytest.fixture
def picture_server() -> Iterator[str]:
    """A local HTTP server with /avatar.png (a red square) and /not-an-image."""
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 types the format as bytes, but only a str works at run time.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    png = bytes(data.data())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (
                (png, "image/png") if self.path == "/avatar.png" else (b"nope", "text/plain")
            )
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_avatar_loads_off_the_ui_thread(
    qtbot: Any, picture_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    threads: list[threading.Thread] = []
    receive, decode = avatar._receive, avatar._decode

    def spy(call: Any) -> Any:
        def spied(arg: Any) -> Any:
            threads.append(threading.current_thread())
            return call(arg)

        return spied

    # Both the network and the decoding.
    monkeypatch.setattr(avatar, "_receive", spy(receive))
    monkeypatch.setattr(avatar, "_decode", spy(decode))
    loader = AvatarLoader()
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        loader.load(picture_server + "/avatar.png")
    assert blocker.args[0].pixelColor(0, 0) == QColor("red")
    assert len(threads) == 2
    assert threading.main_thread() not in threads


def test_a_newer_avatar_request_abandons_the_older_one(qtbot: Any, picture_server: str) -> None:
    from PySide6.QtCore import QObject, Qt, Slot

    class Delivered(QObject):
        """Sees each worker answer after the loader's own queued slot has handled it."""

        def __init__(self) -> None:
            super().__init__()
            self.generations: list[int] = []

        @Slot(object, int, object)
        def record(self, ref: object, generation: int, image: object) -> None:
            self.generations.append(generation)

    loader = AvatarLoader()
    delivered = Delivered()
    # Connected after the relay's own delivery slot: queued events run in order, so when this
    # one has seen an answer, the loader has already handled it (or dropped it).
    avatar._the_relay().done.connect(delivered.record, Qt.ConnectionType.QueuedConnection)
    failures: list[bool] = []
    loaded: list[bool] = []
    loader.failed.connect(lambda: failures.append(True))
    loader.loaded.connect(lambda image: loaded.append(True))
    loader.load(picture_server + "/not-an-image")
    loader.load(picture_server + "/avatar.png")
    qtbot.waitUntil(lambda: len(delivered.generations) == 2, timeout=10_000)
    assert len(set(delivered.generations)) == 2  # the older answer did arrive...
    assert loaded == [True]
    assert failures == []  # ...and was dropped: it belonged to an abandoned request


def test_oversized_avatar_keeps_the_placeholder(
    qtbot: Any, picture_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(avatar, "MAX_AVATAR_BYTES", 10)  # the test PNG is larger
    loader = AvatarLoader()
    with qtbot.waitSignal(loader.failed, timeout=10_000):
        loader.load(picture_server + "/avatar.png")


@pytest.mark.parametrize("path", ["/not-an-image", "ftp://example.test/a.png", ""])
def test_avatar_failures_keep_the_placeholder(qtbot: Any, picture_server: str, path: str) -> None:
    loader = AvatarLoader()
    url = picture_server + path if path.startswith("/") else path
    with qtbot.waitSignal(loader.failed, timeout=10_000):
        loader.load(url)


def test_the_window_module_does_not_load_the_auth_stack() -> None:
    """The window paints before aiohttp/pydantic/cryptography/logto load (about half a second
    of start-up); DesktopApp.start imports them on a worker thread afterwards."""
    import subprocess
    import sys

    probe = (
        "import sys, desktop_app.app; "
        "print(sorted(m for m in ('aiohttp', 'pydantic', 'cryptography', 'logto', "
        "'desktop_app.auth.session', 'desktop_app.auth.storage') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_first_paint_needs_no_event_loop_settings_or_network_module(tmp_path: Path) -> None:
    """Issue 13: what a bare window does not need for its first frame loads after it: asyncio
    and qasync (event-loop integration), config (tomllib, tomli_w), the Settings dialog and
    QtNetwork (the single-instance server). The window is painted on its start-up page."""
    probe = (
        "import sys\n"
        "from desktop_app import app\n"
        "qt = app.create_application(['desktop-app'])\n"
        "single = app.SingleInstance(directory=__import__('pathlib').Path(sys.argv[1]))\n"
        "assert single.lock([])\n"
        "desktop = app.DesktopApp(config_path=None, prefs_path=__import__('pathlib')"
        ".Path(sys.argv[1]) / 'ui.ini')\n"
        "painted = desktop.show_window()\n"
        "late = ('asyncio', 'qasync', 'PySide6.QtNetwork', 'desktop_app.config', 'tomllib',\n"
        "        'tomli_w', 'desktop_app.ui.settings_dialog', 'aiohttp', 'logto')\n"
        "print(painted, desktop.view_model.page, sorted(m for m in late if m in sys.modules))\n"
        "single.listen()\n"
        "print('listening', 'PySide6.QtNetwork' in sys.modules)\n"
        "single.release()\n"
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True starting []", "listening True"]


# ---------------------------------------------------------------------- no display (issue 12 item 13)


def test_no_display_says_so_instead_of_aborting(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1  # not -6 (SIGABRT)
    assert "needs a graphical desktop" in result.stderr
    assert "DISPLAY" in result.stderr
    assert "xcb-cursor0" not in result.stderr  # Qt's misleading hint never appears


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, "neither DISPLAY nor WAYLAND_DISPLAY"),
        ({"DISPLAY": ":0"}, ""),
        ({"WAYLAND_DISPLAY": "wayland-0"}, ""),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "DISPLAY is not set"),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "WAYLAND_DISPLAY is not set"),
        ({"QT_QPA_PLATFORM": "offscreen"}, ""),
    ],
)
def test_missing_display_reasons(env: dict[str, str], problem: str) -> None:
    from desktop_app.app import missing_display

    said = missing_display(env, platform="linux")
    assert (problem in said) if problem else said == ""
    assert missing_display({}, platform="win32") == ""
