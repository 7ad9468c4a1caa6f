"""Every colour pair the theme draws meets WCAG 2.2 AA, in light and in dark.

Text (body, help, links, errors, success marks, button labels, initials): >= 4.5:1 (SC 1.4.3).
Focus ring, field and check-box borders: >= 3:1 against what surrounds them (SC 1.4.11, 2.4.7).
The ratio is computed with the WCAG relative-luminance formula, not read from a table.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from desktop_app.ui import theme

TEXT = 4.5
NON_TEXT = 3.0


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour."""
    q = QColor(colour)
    assert q.isValid(), colour
    return 0.2126 * _channel(q.red()) + 0.7152 * _channel(q.green()) + 0.0722 * _channel(q.blue())


def contrast(a: str, b: str) -> float:
    """WCAG 2.2 contrast ratio, from 1 (same) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#777777") == pytest.approx(1)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the known AA grey


def palettes() -> dict[str, QPalette]:
    """The palettes the app is shown in: Fusion's light one and the theme's dark one."""
    fusion = QStyleFactory.create("Fusion")
    return {"light": fusion.standardPalette(), "dark": theme.dark_palette()}


def pairs(c: theme.Colours, palette: QPalette) -> list[tuple[str, str, str, float]]:
    """(what, foreground, background, minimum) for everything the theme draws."""
    window = palette.color(QPalette.ColorRole.Window).name()
    base = palette.color(QPalette.ColorRole.Base).name()
    button = palette.color(QPalette.ColorRole.Button).name()
    text = palette.color(QPalette.ColorRole.WindowText).name()
    field_text = palette.color(QPalette.ColorRole.Text).name()
    button_text = palette.color(QPalette.ColorRole.ButtonText).name()
    found: list[tuple[str, str, str, float]] = []
    for bg_name, bg in (("window", window), ("field", base)):
        found += [
            (f"muted text on {bg_name}", c.muted, bg, TEXT),
            (f"link on {bg_name}", c.link, bg, TEXT),
            (f"error on {bg_name}", c.error, bg, TEXT),
            (f"success on {bg_name}", c.success, bg, TEXT),
            (f"focus ring on {bg_name}", c.focus_ring, bg, NON_TEXT),
            (f"border on {bg_name}", c.border, bg, NON_TEXT),
        ]
    found += [
        ("text on window", text, window, TEXT),
        ("field text", field_text, base, TEXT),
        ("placeholder in field", c.muted, base, TEXT),
        ("button text", button_text, button, TEXT),
        ("border around a button", c.border, window, NON_TEXT),
        ("primary button text", c.on_accent, c.accent, TEXT),
        ("primary button text, hovered", c.on_accent, c.accent_hover, TEXT),
        ("primary button text, pressed", c.on_accent, c.accent_pressed, TEXT),
        ("ring around a focused primary button", c.focus_ring_on_accent, c.accent, NON_TEXT),
        ("that ring on the window", c.focus_ring_on_accent, window, NON_TEXT),
        ("text on the information banner", text, c.info_background, TEXT),
        ("text on the error banner", text, c.error_background, TEXT),
        ("information banner border", c.info_border, c.info_background, NON_TEXT),
        ("error banner border", c.error_border, c.error_background, NON_TEXT),
        ("selected text in a field", c.on_accent, c.accent, TEXT),
        ("check box tick", "#ffffff", c.accent, NON_TEXT),
        ("check box tick, disabled", "#ffffff", c.border, NON_TEXT),
        ("check box border", c.border, base, NON_TEXT),
    ]
    found += [(f"initials on {bg}", theme.AVATAR_TEXT, bg, TEXT) for bg in theme.AVATAR_BACKGROUNDS]
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_colour_pair_meets_wcag_aa(qapp: QApplication, scheme: str) -> None:
    palette = palettes()[scheme]
    checked = pairs(theme.colours(palette), palette)
    failing = [
        f"{what}: {fg} on {bg} is {contrast(fg, bg):.2f}:1, needs {minimum}:1"
        for what, fg, bg, minimum in checked
        if contrast(fg, bg) < minimum
    ]
    assert not failing, "\n".join(failing)
    assert len(checked) > 30  # the list above really was walked


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_scheme_is_picked_from_the_palette(qapp: QApplication, scheme: str) -> None:
    palette = palettes()[scheme]
    assert theme.colours(palette) is (theme.DARK if scheme == "dark" else theme.LIGHT)
    c = theme.colours(palette)
    # The backgrounds the colours were chosen for are the palette's (or within a shade of it).
    assert contrast(c.window, palette.color(QPalette.ColorRole.Window).name()) < 1.1
    assert contrast(c.base, palette.color(QPalette.ColorRole.Base).name()) < 1.1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_style_sheet_draws_with_the_scheme_colours(qapp: QApplication, scheme: str) -> None:
    c = theme.colours(palettes()[scheme])
    sheet = theme.style_sheet(c)
    assert f"{theme.FOCUS_RING_WIDTH}px solid {c.focus_ring}" in sheet
    for colour in (c.muted, c.error, c.success, c.accent, c.on_accent, c.border):
        assert colour in sheet


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tune_palette_gives_links_placeholders_and_selection_aa_colours(
    qapp: QApplication, scheme: str
) -> None:
    tuned = theme.tune_palette(palettes()[scheme])
    c = theme.colours(tuned)
    assert tuned.color(QPalette.ColorRole.PlaceholderText) == QColor(c.muted)
    assert tuned.color(QPalette.ColorRole.Link) == QColor(c.link)
    highlight = tuned.color(QPalette.ColorRole.Highlight).name()
    assert contrast(tuned.color(QPalette.ColorRole.HighlightedText).name(), highlight) >= TEXT


def test_avatar_colours_are_stable_and_never_red() -> None:
    assert theme.avatar_background("AE") == theme.avatar_background("AE")
    for colour in theme.AVATAR_BACKGROUNDS:
        hue = QColor(colour).hslHue()
        assert 15 <= hue <= 340, f"{colour} reads as an error"
