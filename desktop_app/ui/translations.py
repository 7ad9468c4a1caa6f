"""The app in the person's language: Qt translators for our strings and Qt's own, chosen
from the OS locale, and the BCP 47 language tags Logto's sign-in page is asked to use.

Translations live in ``desktop_app.resources.translations`` as ``desktop_app_<lang>.qm``
(built from the ``.ts`` next to it by ``scripts/update_translations.py``), so a wheel and a
frozen bundle find them; Qt's own (standard buttons, context menus) come with PySide6.
"""

from __future__ import annotations

import logging
from importlib import resources
from importlib.resources.abc import Traversable

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

logger = logging.getLogger(__name__)


def install_translators(app: QCoreApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """Install Qt's and our translators for ``locale`` (default: ``QLocale()``, the OS locale
    unless set otherwise), trying its UI languages in order of preference; English needs
    none. Returns the installed translators."""
    locale = locale if locale is not None else QLocale()
    installed: list[QTranslator] = []
    qt = QTranslator(app)
    if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    ours = QTranslator(app)
    found = _our_translation(locale)
    if found is not None:
        # as_file on a file, never on the folder: a frozen bundle's folder is a
        # MultiplexedPath, which Python 3.11 cannot hand out as a directory.
        with resources.as_file(found) as path:
            if ours.load(str(path)):
                app.installTranslator(ours)
                installed.append(ours)
                logger.info("UI language: %s", ours.language())
    return installed


def _our_translation(locale: QLocale) -> Traversable | None:
    """Our ``.qm`` for the first of the person's UI languages that we have (de-DE, then de),
    the way ``QTranslator.load(QLocale, ...)`` picks; English is the source language, so an
    English preference ahead of another language keeps the app in English."""
    folder = resources.files("desktop_app.resources").joinpath("translations")
    for tag in locale.uiLanguages():
        parts = tag.replace("-", "_").split("_")
        if parts[0] in {"en", "C", ""}:
            return None
        for end in range(len(parts), 0, -1):
            candidate = folder.joinpath(f"desktop_app_{'_'.join(parts[:end])}.qm")
            if candidate.is_file():
                return candidate
    return None


def ui_locales(locale: QLocale | None = None) -> tuple[str, ...]:
    """The person's UI languages as BCP 47 tags, most preferred first (e.g. ``("de-DE",
    "de", "en-US")``), for Logto's ``ui_locales`` (OIDC Core 3.1.2.1)."""
    locale = locale if locale is not None else QLocale()
    tags: list[str] = []
    for tag in locale.uiLanguages(QLocale.TagSeparator.Dash):
        # Qt adds script variants ("de-Latn-DE"); sign-in pages match language[-region].
        parts = tag.split("-")
        if not tag or tag == "C" or any(len(p) == 4 and p.isalpha() for p in parts[1:]):
            continue
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)
