"""Which top-level parts of the repository may import which: the benchmark (bench/) uses the
app and the test support, never the other way round, so the tests run without it (only the
benchmark's own tests, in tests/bench/, import it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(path: Path) -> set[str]:
    """The top-level packages ``path`` imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


@pytest.mark.parametrize("part", ["desktop_app", "demo", "tests"])
def test_nothing_but_the_benchmark_imports_it(part: str) -> None:
    files = sorted((ROOT / part).rglob("*.py"))
    assert files
    # tests/bench/ holds the benchmark's own tests: the one place in tests/ that may use it.
    files = [f for f in files if not f.is_relative_to(ROOT / "tests" / "bench")]
    offenders = [str(f.relative_to(ROOT)) for f in files if "bench" in imported_packages(f)]
    assert offenders == []
