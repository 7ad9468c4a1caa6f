"""The icon pipeline: render the PNGs of resources/icons from the SVGs, and make the Windows
.ico and the macOS .iconset from them.

    python packaging/make_icons.py --pngs          # resources/icons/desktop-app-<N>.png (commit them)
    python packaging/make_icons.py --ico build/icons/desktop-app.ico
    python packaging/make_icons.py --iconset build/icons/desktop-app.iconset
    iconutil -c icns build/icons/desktop-app.iconset      # macOS: -> desktop-app.icns

The PNGs come from resources/desktop-app.svg, except the small ones: scaled down, its window
frame and key turn into a blur, so 16 px is drawn on its own grid (resources/desktop-app-16.svg).
The .ico holds the rendered PNGs (16-256 px) as they are; the iconset also needs 512 and
1024 px, which Qt renders from the SVG. --ico and --iconset are used by
.github/workflows/installers.yml.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)  # desktop_app.ui.resources.ICON_SIZES
ICO_SIZES = PNG_SIZES
# The largest size each small-size drawing is for; bigger sizes use desktop-app.svg.
SMALL_SOURCES = ((16, "desktop-app-16.svg"),)
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


def source_svg(size: int) -> Path:
    """The drawing a ``size`` px icon is rendered from."""
    for largest, name in SMALL_SOURCES:
        if size <= largest:
            return RESOURCES / name
    return RESOURCES / "desktop-app.svg"


def render_svg(size: int, dest: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source_svg(size)))
    if not renderer.isValid():
        raise SystemExit(f"{source_svg(size)} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    # PySide6 types the format as bytes, but only a str works at run time.
    if not image.save(str(dest), "PNG"):  # type: ignore[call-overload]
        raise SystemExit(f"could not write {dest}")


def render_pngs() -> None:
    for size in PNG_SIZES:
        render_svg(size, png(size))
        print(png(size))


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
    parser.add_argument(
        "--pngs", action="store_true", help="render resources/icons/*.png from the SVGs"
    )
    parser.add_argument("--ico", type=Path, help="write a Windows .ico here")
    parser.add_argument("--iconset", type=Path, help="write a macOS .iconset folder here")
    args = parser.parse_args()
    if args.pngs:
        render_pngs()
    if args.ico:
        make_ico(args.ico)
    if args.iconset:
        make_iconset(args.iconset)
    if not (args.pngs or args.ico or args.iconset):
        parser.error("nothing to do: pass --pngs, --ico and/or --iconset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
