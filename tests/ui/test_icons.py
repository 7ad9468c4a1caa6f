"""The app icon's PNGs: each one is what packaging/make_icons.py renders from its drawing, and
the 16 px one is drawn for that size (flat, bold shapes with enough contrast), not the large
drawing scaled down into a blur."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage

ROOT = Path(__file__).resolve().parents[2]


def make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "packaging/make_icons.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pixels(image: QImage) -> list[QColor]:
    return [image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width())]


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("size", make_icons().PNG_SIZES)
def test_each_committed_png_is_rendered_from_its_drawing(
    qapp: Any, size: int, tmp_path: Path
) -> None:
    module = make_icons()
    fresh = tmp_path / f"{size}.png"
    module.render_svg(size, fresh)
    committed = QImage(str(module.png(size))).convertToFormat(QImage.Format.Format_ARGB32)
    rendered = QImage(str(fresh)).convertToFormat(QImage.Format.Format_ARGB32)
    assert committed.size() == rendered.size()
    # Qt versions round a blended channel differently by one; anything more is a stale PNG.
    worst = max(
        max(
            abs(a.red() - b.red()),
            abs(a.green() - b.green()),
            abs(a.blue() - b.blue()),
            abs(a.alpha() - b.alpha()),
        )
        for a, b in zip(pixels(committed), pixels(rendered), strict=True)
    )
    assert worst <= 2, f"run .venv/bin/python packaging/make_icons.py --pngs ({size} px)"


def test_the_16px_icon_is_drawn_for_16px(qapp: Any) -> None:
    module = make_icons()
    assert module.source_svg(16).name == "desktop-app-16.svg"
    image = QImage(str(module.png(16)))
    opaque = [c for c in pixels(image) if c.alpha() == 255]
    colours = Counter((c.red(), c.green(), c.blue()) for c in opaque)
    (backdrop, _), (glyph, _), (badge, _) = colours.most_common(3)
    # Few, flat shapes: most pixels are one of the three colours, not anti-aliased blends
    # (the large drawing scaled to 16 px has 136 colours, its commonest three cover 8 %).
    assert sum(n for _, n in colours.most_common(3)) >= 2 / 3 * len(opaque)
    # WCAG 2.2 SC 1.4.11 (non-text contrast): the person and the badge stand out by >= 3:1.
    assert contrast(glyph, backdrop) >= 3
    assert contrast(badge, backdrop) >= 3
