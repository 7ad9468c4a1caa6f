"""The README's headless example runs as printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_headless_example_signs_in_and_prints_the_profile() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "headless_sign_in.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Signed in as Alice Example <alice@example.test>" in done.stdout
    assert "refresh token revoked: True" in done.stdout
    assert "eyJ" not in done.stdout + done.stderr  # no JWT anywhere in the output


@pytest.mark.e2e
def test_headless_example_fails_at_once_when_chromium_cannot_start(tmp_path: Path) -> None:
    """A browser (or Playwright driver) that cannot start ends the example with a clear
    message, instead of a sign-in left waiting for a callback that never comes."""
    missing = tmp_path / "no-chromium-here"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "headless_sign_in.py")],
        env={**os.environ, "CHROMIUM": str(missing)},
        capture_output=True,
        text=True,
        timeout=90,  # a hang guard: the sign-in's own wait for the browser is 120 s or more
        check=False,
    )
    assert done.returncode != 0
    assert f"headless Chromium ({missing}) did not start" in done.stderr
    assert "./run setup" in done.stderr
    assert "Signed in" not in done.stdout
