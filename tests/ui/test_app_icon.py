"""The app icon (issue 13, item 5: memory): every size from the rendered PNGs, without loading
QtSvg and its icon engine (about 2.2 MiB resident) for sizes the PNGs already cover."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.fixtures.fresh_process import run_python

SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui.resources import ICON_SIZES, app_icon

    app = QApplication([])
    icon = app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    ok = sizes == set(ICON_SIZES) and not icon.pixmap(QSize(80, 80)).isNull()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        svg = "libQt6Svg" in maps.read()
    print("icon:", ok, "svg:", svg)
    """
)


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc/self/maps")
def test_the_app_icon_has_every_size_without_qtsvg() -> None:
    result = run_python(SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "icon: True svg: False" in result.stdout
