"""Issue 12 item 4: the system browser is opened by a command that can fail at once (Debian's
chromium as root); the app must know, say why, and leave no zombie process behind."""

from __future__ import annotations

import os
import signal
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.auth.state import SystemBrowser

URL = "http://127.0.0.1:1/auth?client_id=x&state=abc"
UseBrowser = Callable[[webbrowser.BaseBrowser], None]


def fake_browser(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "browser"
    script.write_text(
        f'#!/bin/sh\necho $$ > "{tmp_path}/pid"\necho "$1" > "{tmp_path}/url"\n{body}\n'
    )
    script.chmod(0o755)
    return script


def pid_of(tmp_path: Path) -> int:
    return int((tmp_path / "pid").read_text())


def is_zombie_or_gone(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "gone"
    return "zombie" if stat.rsplit(")", 1)[1].split()[0] == "Z" else "running"


def wait_gone(pid: int, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while (state := is_zombie_or_gone(pid)) != "gone" and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the process table: there is no event to wait on
    return state


@pytest.fixture
def use_browser(monkeypatch: pytest.MonkeyPatch) -> UseBrowser:
    def use(controller: webbrowser.BaseBrowser) -> None:
        monkeypatch.setattr(webbrowser, "get", lambda using=None: controller)

    return use


ROOT_REFUSAL = (
    'echo "[1203:1203:ERROR:zygote_host_impl_linux.cc(100)] Running as root without '
    '--no-sandbox is not supported. See https://crbug.com/638180." >&2\nexit 1'
)


def test_chromium_refusing_root_is_a_failure_with_the_reason(
    tmp_path: Path, use_browser: UseBrowser
) -> None:
    # webbrowser.Chromium is this same class under a second name that typeshed lacks.
    use_browser(webbrowser.Chrome(str(fake_browser(tmp_path, ROOT_REFUSAL))))
    browser = SystemBrowser()
    assert browser(URL) is False
    assert "root" in browser.last_problem
    assert "Chromium" in browser.last_problem
    assert (tmp_path / "url").read_text().strip() == URL  # the URL as one argument
    assert is_zombie_or_gone(pid_of(tmp_path)) == "gone"  # reaped at once


def test_any_quick_failure_is_reported(tmp_path: Path, use_browser: UseBrowser) -> None:
    use_browser(webbrowser.BackgroundBrowser([str(fake_browser(tmp_path, "exit 3")), "%s"]))
    browser = SystemBrowser()
    assert browser(URL) is False
    assert "exit status 3" in browser.last_problem
    assert is_zombie_or_gone(pid_of(tmp_path)) == "gone"


def test_a_handover_that_exits_zero_is_a_success(tmp_path: Path, use_browser: UseBrowser) -> None:
    use_browser(webbrowser.BackgroundBrowser([str(fake_browser(tmp_path, "exit 0")), "%s"]))
    browser = SystemBrowser()
    assert browser(URL) is True
    assert browser.last_problem == ""
    assert is_zombie_or_gone(pid_of(tmp_path)) == "gone"


def test_a_browser_still_running_is_a_success_and_is_reaped_later(
    tmp_path: Path, use_browser: UseBrowser
) -> None:
    use_browser(webbrowser.BackgroundBrowser([str(fake_browser(tmp_path, "exec sleep 60")), "%s"]))
    browser = SystemBrowser(grace=0.3)
    assert browser(URL) is True
    pid = pid_of(tmp_path)
    assert is_zombie_or_gone(pid) == "running"
    os.kill(pid, signal.SIGTERM)  # the person closes the browser
    assert wait_gone(pid) == "gone"  # reaped, not left a zombie


def test_a_missing_command_is_a_failure(tmp_path: Path, use_browser: UseBrowser) -> None:
    use_browser(webbrowser.BackgroundBrowser([str(tmp_path / "nope"), "%s"]))
    browser = SystemBrowser()
    assert browser(URL) is False
    assert "could not be started" in browser.last_problem
