"""Text from outside the app (Logto, an upstream OAuth provider, the network, the person's
settings), made safe to put on screen.

Such text is always shown as plain text (``Qt.PlainText``; ``html.escape`` in the one rich-text
label), so markup like ``<img src=file:...>`` or ``<a href>`` is shown, never rendered. Beyond
markup, three things can still go wrong in a plain-text label, and :func:`one_line` handles them:

- control characters and newlines (a name spread over several lines, a terminal escape);
- bidirectional overrides (U+202E turns "alice (verified)" around): each outside value is
  wrapped in a first-strong isolate (U+2068 ... U+2069, Unicode Bidirectional Algorithm, UAX #9
  section 2.7), so whatever it contains cannot reorder the words around it;
- length: a 5,000 character name must not make the window 5,000 characters wide. Values are
  capped here; the widgets elide or wrap what is left (see ``main_window``).
"""

from __future__ import annotations

import re
import unicodedata

#: Longest outside value shown in full; longer ones end in an ellipsis (tooltip: up to TOOLTIP).
MAX_SHOWN = 200
MAX_TOOLTIP = 1000

_FSI, _PDI = "\u2068", "\u2069"
# Explicit directional formatting characters (UAX #9 table 1): they only ever matter inside
# the isolate we add, but unbalanced ones are dropped so copying the text does not carry them.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_SPACES = re.compile(r"\s+")
# A run this long without a space cannot wrap in a QLabel; give it places to break.
_LONG_RUN = re.compile(r"\S{40,}")


def _visible(text: str) -> str:
    # Cc (controls, including newlines and tabs) become spaces; other invisible format
    # characters stay (zero-width joiners are part of emoji and of some scripts).
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def clean(value: object, *, limit: int = MAX_SHOWN) -> str:
    """``value`` as one line of visible text, at most ``limit`` characters; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    text = _SPACES.sub(" ", _visible(value).translate(_BIDI_CONTROLS)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def isolate(text: str) -> str:
    """``text`` inside a first-strong isolate, so its direction cannot leak into ours."""
    return f"{_FSI}{text}{_PDI}" if text else ""


# Bidi classes that can reorder the text around them (UAX #9 table 4); a value with none of
# them (plain left-to-right text, digits) reads the same with or without an isolate.
_REORDERING = frozenset(
    {"R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "RLI", "LRI", "FSI", "PDF", "PDI"}
)


def one_line(value: object, *, limit: int = MAX_SHOWN) -> str:
    """:func:`clean`, then :func:`isolate` when the value could reorder the sentence of ours
    it is formatted into (right-to-left letters, directional controls)."""
    text = clean(value, limit=limit)
    if isinstance(value, str) and any(unicodedata.bidirectional(ch) in _REORDERING for ch in value):
        return isolate(text)
    return text


def breakable(text: str) -> str:
    """``text`` with zero-width spaces inside very long unbroken runs (a URL, a 5,000 character
    host), so a word-wrapped label wraps them instead of growing."""
    return _LONG_RUN.sub(lambda m: "\u200b".join(_chunks(m.group(0), 20)), text)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def message(value: object) -> str:
    """A multi-line message from outside (an error description): controls other than newlines
    removed, overrides neutralised, long runs breakable, at most :data:`MAX_TOOLTIP` characters."""
    if not isinstance(value, str):
        return ""
    lines = [clean(line, limit=MAX_TOOLTIP) for line in value.splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(text) > MAX_TOOLTIP:
        text = text[: MAX_TOOLTIP - 1] + "…"
    return breakable(text)
