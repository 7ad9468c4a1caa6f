"""Colours that read well on light and dark palettes, and a dark palette for screenshots."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def is_dark(palette: QPalette) -> bool:
    """Whether the window background is dark."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def banner_style(palette: QPalette, *, error: bool) -> str:
    """A style sheet for the message banner: tinted background, the palette's own text colour."""
    dark = is_dark(palette)
    if error:
        background, border = ("#4a1f24", "#c0504d") if dark else ("#fdecea", "#d9534f")
    else:
        background, border = ("#1f334a", "#4a90d9") if dark else ("#e8f1fb", "#4a90d9")
    text = palette.color(QPalette.ColorRole.WindowText).name()
    return (
        f"QFrame#banner {{ background: {background}; border: 1px solid {border};"
        f" border-radius: 6px; }} QFrame#banner QLabel {{ color: {text}; }}"
    )


def success_colour(palette: QPalette) -> QColor:
    """Green for "verified" marks, bright enough on dark backgrounds."""
    return QColor("#4cc38a" if is_dark(palette) else "#1e7b4f")


def muted_colour(palette: QPalette) -> QColor:
    """Secondary text (placeholder-like) for hints and labels."""
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)


def dark_palette() -> QPalette:
    """A dark Fusion palette (for screenshots and platforms without a dark theme)."""
    p = QPalette()
    window, base, text = QColor(37, 38, 41), QColor(28, 29, 31), QColor(230, 230, 230)
    disabled = QColor(127, 127, 127)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(52, 53, 57))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(255, 90, 90))
    p.setColor(QPalette.ColorRole.Link, QColor(120, 160, 255))
    p.setColor(QPalette.ColorRole.Highlight, QColor(106, 92, 240))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Light, QColor(70, 70, 75))
    p.setColor(QPalette.ColorRole.Midlight, QColor(60, 60, 64))
    p.setColor(QPalette.ColorRole.Mid, QColor(45, 45, 48))
    p.setColor(QPalette.ColorRole.Dark, QColor(20, 20, 22))
    p.setColor(QPalette.ColorRole.Shadow, QColor(0, 0, 0))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p
