"""mypy --strict passes on all the Python in the repo (issue 14, item 5), so ``./run tests``, and
with it CI, keeps it that way. What mypy checks is pyproject's ``[tool.mypy] files``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mypy_files() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    files: list[str] = config["tool"]["mypy"]["files"]
    return files


def tracked_python_files() -> list[PurePosixPath]:
    """Every committed .py file, and every extensionless one that starts with a Python shebang."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    found = []
    for name in filter(None, listed.stdout.split("\0")):
        path = PurePosixPath(name)
        if path.suffix == ".py":
            found.append(path)
        elif not path.suffix and (ROOT / name).is_file():
            with (ROOT / name).open("rb") as file:
                first_line = file.readline()
            if first_line.startswith(b"#!") and b"python" in first_line:
                found.append(path)
    return found


def test_mypy_is_configured_for_every_python_file_in_the_repo() -> None:
    roots = [PurePosixPath(entry) for entry in mypy_files()]
    unchecked = [
        str(path)
        for path in tracked_python_files()
        if not any(path == root or root in path.parents for root in roots)
    ]
    assert unchecked == [], "add their folders to [tool.mypy] files in pyproject.toml"


@pytest.mark.slow
def test_mypy_strict_passes() -> None:
    # The configuration (strict, files, overrides) is pyproject's; the cache is the checkout's
    # .mypy_cache, so a second run takes seconds.
    checked = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout
