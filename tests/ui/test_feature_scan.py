"""PySide6's per-import source check keeps nothing in memory once the app is set up (issue 13,
item 5): shiboken asks of every module imported after it whether its source mentions PySide6,
and its own check kept each module's lines in linecache (~15 MiB for the auth stack)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.fixtures.fresh_process import run_python

SCRIPT = textwrap.dedent(
    """
    import json, linecache, sys
    from desktop_app.app import create_application

    create_application([sys.argv[0]])
    sys.path.insert(0, sys.argv[1])
    import uses_qt, plain  # written by the test, imported after the app's set-up

    feature = sys.modules["shibokensupport.feature"]
    print(json.dumps({
        "cached": sorted(p for p in linecache.cache if p.startswith(sys.argv[1])),
        "uses_qt": feature.pyside_feature_dict["uses_qt"],
        "plain": feature.pyside_feature_dict["plain"],
    }))
    """
)


def test_modules_imported_after_set_up_leave_no_source_in_memory(tmp_path: Path) -> None:
    (tmp_path / "uses_qt.py").write_text("from PySide6 import QtCore  # noqa\n", "utf-8")
    (tmp_path / "plain.py").write_text("VALUE = 1\n" * 1000, "utf-8")
    result = run_python(SCRIPT, str(tmp_path))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["cached"] == []
    # PySide's answer is unchanged: 0 = uses PySide (features may apply), -1 = ignored.
    assert facts["uses_qt"] == 0
    assert facts["plain"] == -1
