"""The single-instance check is private to the user: launches at the same moment, planted files,
stale sockets and directories of other users neither stop the app nor let two run."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.ui.single_instance import (
    SingleInstance,
    candidate_dirs,
    ignored_flags_message,
    private_dir,
)

ROOT = Path(__file__).resolve().parents[2]


class Launch:
    """One launch of the single-instance check in a process of its own."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.single_instance_child", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("g")
        self.proc.stdin.flush()

    def line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line:
            self.proc.wait(10)
            raise AssertionError(f"no answer; stderr: {self.proc.stderr.read()}")  # type: ignore[union-attr]
        return line

    def stop(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    started: list[Launch] = []
    yield started
    for launch in started:
        launch.stop()


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private $XDG_RUNTIME_DIR, as a login session has."""
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    return path


def launch(launches: list[Launch], *args: str) -> Launch:
    item = Launch(*args, env=dict(os.environ))
    launches.append(item)
    return item


# --------------------------------------------------------------------------- where


def test_the_socket_lives_in_the_private_runtime_dir(runtime_dir: Path) -> None:
    picked = private_dir(candidate_dirs())
    assert picked == runtime_dir / "desktop-app"
    assert stat.S_IMODE(picked.stat().st_mode) == 0o700
    instance = SingleInstance()
    assert instance.name == str(runtime_dir / "desktop-app" / "instance.sock")


def test_a_runtime_dir_others_can_enter_is_not_used(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime_dir.chmod(0o755)
    assert runtime_dir / "desktop-app" not in candidate_dirs()
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/path")
    assert all(path.is_absolute() for path in candidate_dirs())


def test_a_planted_directory_is_skipped(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)  # what another user would leave for us in /tmp
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    ours = tmp_path / "ours"
    assert private_dir([planted, link, ours]) == ours
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to play another OS user (chown)")
def test_another_users_directory_with_a_listening_socket_does_not_stop_the_app(
    tmp_path: Path, launches: list[Launch]
) -> None:
    # The old attack: another user listens first on the predictable path. Their directory
    # (0700, theirs) is skipped, and the app starts in the next candidate.
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(theirs / "instance.sock"))
    listener.listen()
    os.chown(theirs, 65534, 65534)
    os.chown(theirs / "instance.sock", 65534, 65534)
    ours = tmp_path / "ours"
    try:
        assert private_dir([theirs, ours]) == ours
        first = launch(launches, "--dir", str(ours))
        first.go()
        assert first.line() == "primary"
    finally:
        listener.close()


# --------------------------------------------------------------------------- who runs


def test_two_launches_at_the_same_moment_start_one_instance(
    runtime_dir: Path, launches: list[Launch]
) -> None:
    group = [launch(launches) for _ in range(4)]
    for item in group:  # all four wait, ready, then race for the lock
        item.go()
    answers = [item.line() for item in group]
    assert sorted(answers) == ["primary", "secondary", "secondary", "secondary"]
    primary = group[answers.index("primary")]
    assert [primary.line() for _ in range(3)] == ["activated"] * 3
    # The winner's socket survived the race: a later launch still reaches it.
    late = launch(launches)
    late.go()
    assert late.line() == "secondary"
    assert primary.line() == "activated"


@pytest.mark.parametrize("planted", ["file", "stale socket", "directory"])
def test_a_planted_file_or_stale_socket_neither_stops_the_app_nor_lets_two_run(
    runtime_dir: Path, launches: list[Launch], planted: str
) -> None:
    home = runtime_dir / "desktop-app"
    home.mkdir(mode=0o700)
    path = home / "instance.sock"
    if planted == "file":
        path.write_text("not a socket")
    elif planted == "directory":
        path.mkdir()
    else:
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(str(path))  # bound, never listening: as after a crash
        stale.close()
    first = launch(launches)
    first.go()
    assert first.line() == "primary"
    second = launch(launches)
    second.go()
    assert second.line() == "secondary"
    assert first.line() == "activated"


def test_a_lock_left_by_a_crashed_instance_does_not_stop_the_app(
    runtime_dir: Path, launches: list[Launch]
) -> None:
    home = runtime_dir / "desktop-app"
    home.mkdir(mode=0o700)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (home / "instance.lock").write_text(f"{gone.pid}\npython3\n{os.uname().nodename}\n")
    first = launch(launches)
    first.go()
    assert first.line() == "primary"


def test_an_unreadable_lock_does_not_stop_the_app(
    runtime_dir: Path, launches: list[Launch]
) -> None:
    home = runtime_dir / "desktop-app"
    home.mkdir(mode=0o700)
    (home / "instance.lock").write_text("")  # a crash while the lock was being written
    first = launch(launches)
    first.go()
    assert first.line() == "primary"
    second = launch(launches)
    second.go()
    assert second.line() == "secondary"


# --------------------------------------------------------------------------- settings flags


def test_a_second_launch_with_settings_flags_is_told_they_were_not_applied(
    qtbot: Any, tmp_path: Path
) -> None:
    home = tmp_path / "instance"
    first = SingleInstance(directory=home)
    assert first.acquire()
    try:
        with qtbot.waitSignal(
            first.activation_requested,
            timeout=5000,
            check_params_cb=lambda flags: flags == ["--endpoint", "--app-id"],
        ):
            second = SingleInstance(directory=home)
            assert not second.acquire(["--endpoint", "--app-id"])
            assert second.problem == ""
        with qtbot.waitSignal(
            first.activation_requested, timeout=5000, check_params_cb=lambda flags: flags == []
        ):
            assert not SingleInstance(directory=home).acquire()
    finally:
        first.release()
    message = ignored_flags_message(["--endpoint", "--app-id"])
    assert "--endpoint, --app-id" in message
    assert "not applied" in message
    again = SingleInstance(directory=home)
    assert again.acquire()  # free again once the first one is gone
    again.release()


def test_the_command_line_says_the_flags_were_not_applied(
    runtime_dir: Path, launches: list[Launch]
) -> None:
    first = launch(launches)
    first.go()
    assert first.line() == "primary"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_app",
            "--endpoint",
            "https://other.logto.app",
            "--app-id",
            "other",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert "--endpoint, --app-id" in result.stderr
    assert "not applied" in result.stderr
    assert first.line() == "activated --endpoint --app-id"


def test_the_running_window_says_the_flags_were_not_applied(make_app: Any) -> None:
    app = make_app(start=False)
    app.second_launch([])
    assert app.view_model.banner_text == ""  # a plain second launch only brings it forward
    app.second_launch(["--endpoint", "--app-id"])
    assert "--endpoint, --app-id" in app.view_model.banner_text
    assert "not applied" in app.view_model.banner_text
