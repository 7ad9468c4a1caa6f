"""Keep PySide6's import hook from holding the source of every module in memory.

Once shiboken6 is loaded, it asks of every module imported afterwards whether its source
mentions ``PySide6`` (PYSIDE-2029: ``from __feature__ import snake_case`` applies only to such
modules). It asks through ``inspect.getsource``, which decodes the whole file, splits it into
lines and keeps them in :mod:`linecache` for the rest of the process. The auth stack (aiohttp,
pydantic, cryptography, logto, keyring...) loads after the window, so each of its several hundred
modules stayed there: about 15 MiB of the app's peak memory (issue 13, measured with
tracemalloc), and decoding work on the worker thread that imports it.

:func:`scan_without_caching` answers the same question from the file's bytes, which are read
and dropped. A module without a plain ``.py`` file (an extension, a frozen or zipped module)
still goes to PySide's own check.
"""

from __future__ import annotations

import linecache
import logging
import sys
from collections.abc import Callable
from types import ModuleType

logger = logging.getLogger(__name__)

# Where shiboken keeps the check (its embedded "shibokensupport" package).
_FEATURE_MODULE = "shibokensupport.feature"
_CHECK = "_mod_uses_pyside"


def _uses_pyside(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                # The same test as PySide's ("PySide6" in the decoded source), on the bytes:
                # Python source is ASCII-compatible (PEP 263), so the answer is the same.
                return b"PySide6" in source.read()
        except OSError:
            return False  # what PySide's check answers when the source cannot be read

    uses_pyside.desktop_app_scan = True  # type: ignore[attr-defined]
    return uses_pyside


def scan_without_caching() -> bool:
    """Replace shiboken's per-import source check with one that keeps nothing (see the module
    docstring) and drop the lines its check cached so far. True when the check is in place (also
    when it already was); False when this PySide6 has no such check (nothing to do)."""
    feature = sys.modules.get(_FEATURE_MODULE)
    original = getattr(feature, _CHECK, None)
    if feature is None or not callable(original):
        logger.debug("PySide6 has no per-import source check here; nothing to replace")
        return False
    if not getattr(original, "desktop_app_scan", False):
        setattr(feature, _CHECK, _uses_pyside(original))
        # What the check read while shiboken and the first modules loaded; tracebacks read
        # the lines again when they need them.
        linecache.clearcache()
    return True
