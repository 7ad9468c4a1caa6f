"""``bench --quick`` runs end to end and reports every row with numbers (not whether targets
are met: that is the benchmark's report, not a test)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every row of the table; the ones with a baseline column compare against one.
ROWS = {
    "cold start to first paint": True,
    "CPU time to first paint": True,
    "a window with a heading, a line of text and a button": True,
    "start-up with a stored session: first paint -> signed-in page": False,
    "of the same runs: spawn -> first paint": True,
    "callback -> signed-in UI with profile": True,
    "CPU time on that path": True,
    "max event-loop stall: sign-in": True,
    "of which the Qt thread was busy": False,
    "max event-loop stall: refresh": False,
    "max event-loop stall: sign-out": False,
    "max stall, JWKS after 0.5 s: sign-in": True,
    "max stall, JWKS after 0.5 s: refresh": False,
    "max stall, JWKS after 0.5 s: sign-out": False,
    "peak RSS after sign-in vs the floor": True,
    "the floor vs a bare window": True,
    "the floor with a heading, a line of text and a button": True,
}
NUMBER = re.compile(r"\d+\.\d")

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]


def test_quick_benchmark_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = proc.stdout
    report = json.loads(out.read_text())
    rows = {row["metric"]: row for row in report["rows"]}
    for prefix, has_baseline in ROWS.items():
        matches = [name for name in rows if name.strip().startswith(prefix)]
        assert len(matches) == 1, f"no single row starts with {prefix!r}: {sorted(rows)}"
        row = rows[matches[0]]
        assert math.isfinite(row["app"]["median"]), row
        assert row["app"]["n"] >= 1
        if has_baseline:
            assert math.isfinite(row["baseline"]["median"]), row
            assert row["ratio"] is not None
        line = next(line for line in table.splitlines() if line.strip().startswith(prefix))
        assert NUMBER.search(line.split("|")[1]), line
    # Installer sizes are reported as a size or as "not built".
    assert re.search(r"^\.deb size .*\| (\d+\.\d MiB|not built|incomplete)", table, re.M), table
    assert re.search(r"^bundle size .*\| (\d+\.\d MiB|not built|incomplete)", table, re.M), table
    # What loads before the first paint that a bare window does not, by name (issue 13).
    assert "desktop_app.ui.main_window" in report["raw"]["modules_before_first_paint"]
    # Never a token in what the benchmark prints.
    assert "eyJ" not in table + proc.stderr
