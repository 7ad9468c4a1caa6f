"""Make the Windows .ico and the macOS .iconset from resources/ (PNGs and the SVG).

    python packaging/make_icons.py --ico build/icons/desktop-app.ico
    python packaging/make_icons.py --iconset build/icons/desktop-app.iconset
    iconutil -c icns build/icons/desktop-app.iconset      # macOS: -> desktop-app.icns

The .ico holds the rendered PNGs (16-256 px) as they are; the iconset also
needs 512 and 1024 px, which Qt renders from the SVG. Used by .github/workflows/installers.yml.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONSET = {  # iconutil's file names and their pixel sizes
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
    "icon_512x512@2x.png": 1024,
}


def png(size: int) -> Path:
    return RESOURCES / "icons" / f"desktop-app-{size}.png"


def render_svg(size: int, dest: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(RESOURCES / "desktop-app.svg"))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    # PySide6 types the format as bytes, but only a str works at run time.
    if not image.save(str(dest), "PNG"):  # type: ignore[call-overload]
        raise SystemExit(f"could not write {dest}")


def make_ico(dest: Path) -> None:
    """An .ico whose images are the PNGs themselves (valid since Windows Vista; no Pillow)."""
    images = [(size, png(size).read_bytes()) for size in ICO_SIZES if png(size).is_file()]
    header = struct.pack("<HHH", 0, 1, len(images))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        # width, height (0 means 256), colours, reserved, planes, bits per pixel, size, offset
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(header + entries + blobs)


def make_iconset(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, size in ICONSET.items():
        source = png(size)
        if source.is_file():
            (dest / name).write_bytes(source.read_bytes())
        else:
            render_svg(size, dest / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ico", type=Path, help="write a Windows .ico here")
    parser.add_argument("--iconset", type=Path, help="write a macOS .iconset folder here")
    args = parser.parse_args()
    if args.ico:
        make_ico(args.ico)
    if args.iconset:
        make_iconset(args.iconset)
    if not (args.ico or args.iconset):
        parser.error("nothing to do: pass --ico and/or --iconset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
