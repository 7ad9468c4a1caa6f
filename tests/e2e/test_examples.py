"""The README's headless example runs as printed."""

from __future__ import annotations

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
