"""The app's design language: spacing and type scales, colours, the primary button, the focus ring.

One place for every visual constant, so the windows look like one app::

    theme.apply(window)                      # style sheet (buttons, fields, 2 px focus ring)
    theme.set_text_role(hint, "muted")       # help/hint text; also "error", "success"
    layout.setSpacing(theme.SPACE_S)         # spacing on the GNOME HIG scale 6/12/18/24
    theme.set_text_style(title, theme.TITLE)  # type scale relative to the person's font
    theme.make_primary(sign_in_button)       # the one suggested action per state
    theme.colours(widget.palette()).error    # named colours for the current light/dark scheme

Colours meet WCAG 2.2 AA in both schemes (``tests/ui/test_contrast.py`` computes every pair):
text, hint text, links, errors and success marks >= 4.5:1 on the window and field backgrounds;
the focus ring, field and check-box borders >= 3:1 (SC 1.4.11 non-text contrast, SC 2.4.7 focus visible);
white initials >= 4.5:1 on every avatar background. Neutral colours (window, text, buttons) come
from the platform palette; only the accents are ours, one set for light and one for dark.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QPushButton, QWidget

# ---------------------------------------------------------------------- spacing (px)

SPACE_XS = 6  # between a field and its help text, inside a group
SPACE_S = 12  # between related controls, buttons in a row
SPACE_M = 18  # between groups (sections of a page)
SPACE_L = 24  # window and dialog margins
RADIUS = 6  # corner radius of buttons, banners and cards
FOCUS_RING_WIDTH = 2  # px; WCAG 2.4.13 asks for at least a 2 px perimeter


# ---------------------------------------------------------------------- type scale


@dataclass(frozen=True)
class TextStyle:
    """A step on the type scale: a size relative to the person's font and a weight."""

    scale: float
    weight: QFont.Weight


TITLE = TextStyle(1.5, QFont.Weight.Bold)  # one per page: "Sign in to …", the person's name
HEADING = TextStyle(1.0, QFont.Weight.Bold)  # section headings: by weight, not by size
BODY = TextStyle(1.0, QFont.Weight.Normal)
CAPTION = TextStyle(0.9, QFont.Weight.Normal)  # help and hint text (never smaller)


def font_for(style: TextStyle, base: QFont) -> QFont:
    """``base`` (usually ``widget.font()``) resized and weighted for ``style``."""
    font = QFont(base)
    if style.scale != 1.0:
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * style.scale)
        else:
            font.setPixelSize(max(1, round(font.pixelSize() * style.scale)))
    font.setWeight(style.weight)
    return font


def set_text_style(widget: QWidget, style: TextStyle) -> None:
    """Give ``widget`` the font of ``style`` (relative to the application font)."""
    from PySide6.QtWidgets import QApplication

    widget.setFont(font_for(style, QApplication.font(widget)))


# ---------------------------------------------------------------------- colours


@dataclass(frozen=True)
class Colours:
    """The accent colours of one scheme (hex strings, usable in style sheets and QColor).

    ``window`` and ``base`` are the backgrounds they were checked against (our dark palette and
    Fusion's light one); platform palettes within a few shades of them keep the same ratios.
    """

    window: str  # window background
    base: str  # field background
    text: str  # body text (the palette's own, for the contrast check)
    muted: str  # help text, hints, placeholders: still >= 4.5:1
    link: str
    error: str  # inline errors, error banners' border
    success: str  # "verified" marks
    accent: str  # primary button background
    accent_hover: str
    accent_pressed: str
    on_accent: str  # primary button text
    focus_ring: str  # 2 px keyboard-focus ring on window/field backgrounds
    focus_ring_on_accent: str  # the ring around a focused primary button
    border: str  # field and secondary-button borders (>= 3:1, SC 1.4.11)
    info_background: str  # information banner
    info_border: str
    error_background: str  # error banner
    error_border: str


LIGHT = Colours(
    window="#efefef",
    base="#ffffff",
    text="#000000",
    muted="#595959",
    link="#1a5fb4",
    error="#b3261e",
    success="#17693f",
    accent="#1a5fb4",
    accent_hover="#1c68c4",
    accent_pressed="#154d94",
    on_accent="#ffffff",
    focus_ring="#1a5fb4",
    focus_ring_on_accent="#000000",
    border="#767676",
    info_background="#e8f1fb",
    info_border="#1a5fb4",
    error_background="#fdecea",
    error_border="#b3261e",
)

DARK = Colours(
    window="#252629",
    base="#1c1d1f",
    text="#e6e6e6",
    muted="#a8a8a8",
    link="#78aeff",
    error="#ff7b72",
    success="#4cc38a",
    accent="#2f6bc4",
    accent_hover="#3471cc",
    accent_pressed="#265aa6",
    on_accent="#ffffff",
    focus_ring="#78aeff",
    focus_ring_on_accent="#e6e6e6",
    border="#8a8a8a",
    info_background="#1f334a",
    info_border="#78aeff",
    error_background="#4a1f24",
    error_border="#ff7b72",
)

# Initials badges: white text >= 4.5:1 on each (the old orange gave 2.85:1); no red, which
# reads as an error.
AVATAR_BACKGROUNDS = ("#3b5bdb", "#1f7a70", "#7048c6", "#a6541a", "#2f6f9f", "#5c6b2f")
AVATAR_TEXT = "#ffffff"


def is_dark(palette: QPalette) -> bool:
    """Whether the window background is dark."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def colours(palette: QPalette) -> Colours:
    """The colour set for ``palette``'s scheme (light or dark)."""
    return DARK if is_dark(palette) else LIGHT


def avatar_background(initials: str) -> QColor:
    """A stable badge colour for ``initials`` (picked from the letters)."""
    return QColor(AVATAR_BACKGROUNDS[sum(map(ord, initials)) % len(AVATAR_BACKGROUNDS)])


def error_colour(palette: QPalette) -> QColor:
    """Inline error text: >= 4.5:1 on the window and field backgrounds."""
    return QColor(colours(palette).error)


def success_colour(palette: QPalette) -> QColor:
    """Green for "verified" marks, bright enough on dark backgrounds."""
    return QColor(colours(palette).success)


def muted_colour(palette: QPalette) -> QColor:
    """Secondary text (help, hints): >= 4.5:1, unlike Qt's half-transparent placeholder."""
    return QColor(colours(palette).muted)


def link_colour(palette: QPalette) -> QColor:
    """Links in rich text."""
    return QColor(colours(palette).link)


def banner_style(palette: QPalette, *, error: bool) -> str:
    """A style sheet for the message banner: tinted background, the palette's own text colour."""
    c = colours(palette)
    background, border = (
        (c.error_background, c.error_border) if error else (c.info_background, c.info_border)
    )
    text = palette.color(QPalette.ColorRole.WindowText).name()
    return (
        f"QFrame#banner {{ background: {background}; border: 1px solid {border};"
        f" border-radius: {RADIUS}px; }} QFrame#banner QLabel {{ color: {text}; }}"
    )


# ---------------------------------------------------------------------- style sheet


def style_sheet(c: Colours) -> str:
    """Buttons, fields and check boxes with a visible 2 px focus ring, and the primary button.

    Neutral colours are ``palette(...)`` references, so they follow the platform palette; every
    focusable kind gets the same ring, and its padding shrinks by the ring's extra width so
    nothing moves when the focus arrives.
    """
    ring = FOCUS_RING_WIDTH
    return f"""
QPushButton {{
    background: palette(button); color: palette(button-text);
    border: 1px solid {c.border}; border-radius: {RADIUS}px;
    padding: 5px 16px; min-width: 64px;
}}
QPushButton:hover {{ background: palette(light); }}
QPushButton:pressed {{ background: palette(mid); }}
QPushButton:focus {{ border: {ring}px solid {c.focus_ring}; padding: 4px 15px; }}
QPushButton:disabled {{ border-color: palette(mid); }}
QPushButton[primary="true"] {{
    background: {c.accent}; color: {c.on_accent}; border: 1px solid {c.accent};
    font-weight: bold;
}}
QPushButton[primary="true"]:hover {{ background: {c.accent_hover}; }}
QPushButton[primary="true"]:pressed {{ background: {c.accent_pressed}; }}
QPushButton[primary="true"]:focus {{ border: {ring}px solid {c.focus_ring_on_accent}; }}
QPushButton[primary="true"]:disabled {{
    background: palette(button); color: {c.border}; border: 1px solid {c.border};
    font-weight: normal;
}}
QLineEdit, QSpinBox, QPlainTextEdit, QTextEdit {{
    background: palette(base); color: palette(text);
    border: 1px solid {c.border}; border-radius: 4px; padding: 4px 6px;
    placeholder-text-color: {c.muted};
    selection-background-color: {c.accent}; selection-color: {c.on_accent};
}}
QPlainTextEdit, QTextEdit {{ padding: 0px; }}
QAbstractSpinBox QLineEdit, QAbstractSpinBox QLineEdit:focus {{
    border: none; padding: 0px; background: transparent;
}}
QAbstractSpinBox::up-button {{
    subcontrol-origin: border; subcontrol-position: top right; width: 20px;
}}
QAbstractSpinBox::down-button {{
    subcontrol-origin: border; subcontrol-position: bottom right; width: 20px;
}}
QLineEdit:focus, QSpinBox:focus {{ border: {ring}px solid {c.focus_ring}; padding: 3px 5px; }}
QPlainTextEdit:focus, QTextEdit:focus {{ border: {ring}px solid {c.focus_ring}; }}
QCheckBox, QToolButton {{
    border: {ring}px solid transparent; border-radius: 4px; padding: 2px 4px;
}}
QToolButton:hover {{ background: palette(midlight); }}
QCheckBox:focus, QToolButton:focus {{ border-color: {c.focus_ring}; }}
QCheckBox::indicator {{
    width: 16px; height: 16px; border-radius: 3px;
    border: 1px solid {c.border}; background: palette(base);
}}
QCheckBox::indicator:checked {{
    background: {c.accent}; border-color: {c.accent}; image: url("{_check_mark_path()}");
}}
QCheckBox::indicator:checked:disabled {{ background: {c.border}; border-color: {c.border}; }}
QLabel[textRole="muted"] {{ color: {c.muted}; }}
QLabel[textRole="error"] {{ color: {c.error}; }}
QLabel[textRole="success"] {{ color: {c.success}; }}
"""


@functools.cache
def _check_mark_path() -> str:
    """A file path for the check box's tick (style sheets take files, not bytes)."""
    from importlib import resources

    tick = resources.files("desktop_app.resources").joinpath("icons", "check.svg")
    return str(tick).replace("\\", "/")


_APPLYING: set[int] = set()


def apply(widget: QWidget) -> None:
    """Style ``widget`` and its children for its palette's scheme; call it again on a palette
    change (from ``changeEvent``). Colours live in the style sheet only: Qt restores a widget's
    own palette whenever its style sheet changes, so the two must not be mixed."""
    key = id(widget)
    if key in _APPLYING:  # re-polishing sends a palette change of its own
        return
    _APPLYING.add(key)
    try:
        sheet = style_sheet(colours(widget.palette()))
        if widget.styleSheet() != sheet:
            widget.setStyleSheet(sheet)
    finally:
        _APPLYING.discard(key)


def tune_palette(palette: QPalette) -> QPalette:
    """``palette`` with AA link, placeholder and selection colours (for ``app.setPalette``;
    Qt's defaults give 3.7:1 for selected text and ~4:1 for placeholders in light)."""
    c = colours(palette)
    tuned = QPalette(palette)
    for role, colour in {
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.link,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.on_accent,
    }.items():
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            tuned.setColor(group, role, QColor(colour))
    return tuned


TEXT_ROLES = ("muted", "error", "success")


def set_text_role(label: QWidget, role: str) -> None:
    """Colour a label's text by role: ``"muted"`` (help, hints), ``"error"`` (inline errors),
    ``"success"``; ``""`` for the palette's own text colour. The colours follow the scheme."""
    if role and role not in TEXT_ROLES:
        raise ValueError(f"unknown text role {role!r}")
    label.setProperty("textRole", role)
    repolish(label)


def make_primary(button: QPushButton) -> None:
    """Mark ``button`` as the state's one suggested action (accent background, bold text)."""
    button.setProperty("primary", True)
    repolish(button)


def repolish(widget: QWidget) -> None:
    """Apply the style sheet again after a property its selectors test changed. A widget not
    polished yet (not shown yet) needs nothing: it is polished with the property as it is when
    it is first shown. (So building a window does not reach for ``widget.style()``, whose
    Python type alone costs PySide6 a fifth of a bare window's start-up: issue 13.)"""
    from PySide6.QtCore import Qt

    if widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)


def dark_palette() -> QPalette:
    """A dark Fusion palette (for screenshots and platforms without a dark theme)."""
    p = QPalette()
    window, base, text = QColor(DARK.window), QColor(DARK.base), QColor(DARK.text)
    disabled = QColor(127, 127, 127)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(DARK.muted))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor(52, 53, 57))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(DARK.error))
    p.setColor(QPalette.ColorRole.Link, QColor(DARK.link))
    p.setColor(QPalette.ColorRole.Highlight, QColor(DARK.accent))
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
