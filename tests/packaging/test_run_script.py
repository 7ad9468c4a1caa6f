"""./run's set-up names the step that failed and what it needed, in its last line.

The Debian tools are replaced by small scripts on PATH that fail the way an unreachable
mirror makes them fail; ./run itself is the real one, copied into a scratch directory so it
touches nothing here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[Path, Path]:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy2(ROOT / "run", checkout / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _tool(bin_dir, "dpkg-query", "exit 1")  # nothing is installed
    _tool(bin_dir, "dpkg", "exit 1")
    _tool(bin_dir, "sudo", 'exec "$@"')
    return checkout, bin_dir


def _setup(checkout: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    path = f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    return subprocess.run(
        ["bash", str(checkout / "run"), "setup"],
        env={"PATH": path, "HOME": str(checkout), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_mirror_stops_at_apt_get_update_and_says_so(
    scratch: tuple[Path, Path],
) -> None:
    checkout, bin_dir = scratch
    calls = checkout / "apt-calls"
    _tool(
        bin_dir,
        "apt-get",
        f'echo "$*" >> {calls}\n'
        'echo "E: Failed to fetch http://mirror.invalid/dists/bookworm/InRelease" >&2\n'
        "exit 100",
    )
    done = _setup(checkout, bin_dir)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert 'step "apt-get update" failed' in last
    assert "package registry" in last
    # An update error is fatal (not a warning), and nothing was installed after it.
    lines = calls.read_text(encoding="utf-8").splitlines()
    assert lines == ["update -qq --error-on=any"]


def test_a_failed_install_names_the_packages_it_needed(scratch: tuple[Path, Path]) -> None:
    checkout, bin_dir = scratch
    _tool(
        bin_dir,
        "apt-get",
        'case "$1" in update) exit 0 ;; esac\n'
        'echo "E: Unable to locate package chromium" >&2\n'
        "exit 100",
    )
    done = _setup(checkout, bin_dir)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert 'step "apt-get install" failed' in last
    assert "chromium" in last
    assert "libatomic1" in last  # Playwright's Node driver needs it on a minimal Debian
