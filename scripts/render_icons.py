"""Render resources/desktop-app.svg to resources/icons/desktop-app-<size>.png with Qt.

QT_QPA_PLATFORM=offscreen python scripts/render_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256)
ROOT = Path(__file__).resolve().parent.parent / "resources"


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 - QPainter on QImage needs a Gui app for fonts
    renderer = QSvgRenderer(str(ROOT / "desktop-app.svg"))
    if not renderer.isValid():
        print("desktop-app.svg is not a valid SVG", file=sys.stderr)
        return 1
    out = ROOT / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out / f"desktop-app-{size}.png"
        if not image.save(str(path)):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
