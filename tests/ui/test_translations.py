"""The app in German: every string translated, the committed catalogue built from its source,
loaded from the locale with Qt's translator, and dates in the locale's format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QAbstractButton, QLabel, QPlainTextEdit

from desktop_app.ui.settings_dialog import SettingsDialog
from desktop_app.ui.translations import install_translators, ui_locales
from desktop_app.ui.view_model import claims_text
from tests.ui.conftest import find
from tests.ui.fakes import FakeSession
from tests.ui.test_window_states import signed_in

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "desktop_app_de.ts"


@pytest.fixture
def german(qapp: Any) -> Iterator[None]:
    """Qt's and our German translators installed, and German the default locale."""
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    translators = install_translators(qapp, QLocale(QLocale.Language.German))
    yield
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


def test_every_string_has_a_german_translation_with_its_placeholders() -> None:
    messages = ET.parse(TS).getroot().findall("context/message")  # noqa: S314 - our own file
    assert len(messages) > 200
    for message in messages:
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        assert translation.get("type") is None, f"unfinished: {source!r}"
        assert translation.text, f"empty: {source!r}"
        assert sorted(re.findall(r"\{\w+\}", source)) == sorted(
            re.findall(r"\{\w+\}", translation.text)
        ), source
        assert source.count("&") == translation.text.count("&"), f"mnemonic: {source!r}"


def test_the_committed_catalogue_is_built_from_the_source(tmp_path: Path) -> None:
    built = tmp_path / "de.qm"
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(TS), "-qm", str(built)], check=True)
    assert built.read_bytes() == TS.with_suffix(".qm").read_bytes(), (
        "run .venv/bin/python scripts/update_translations.py and commit the .qm"
    )


def test_the_window_speaks_german(german: None, window_for: Any) -> None:
    session = FakeSession()
    window = window_for(session)
    assert find(window, "Anmelden", QAbstractButton).text() == "&Anmelden"
    assert find(window, "Konto erstellen", QAbstractButton).isVisible()
    signed_in(session)
    assert find(window, "Abmelden", QAbstractButton).text() == "Ab&melden"
    assert "Aktualisierungstoken: vorhanden" in find(window, "Token-Status", QLabel).text()
    claims = json.loads(find(window, "Claims des ID-Tokens", QPlainTextEdit).toPlainText())
    assert claims["iat"].startswith("14.11.23 ")  # 1_700_000_000, the German way


def test_settings_speak_german_with_their_own_mnemonics(german: None, qtbot: Any) -> None:
    dialog = SettingsDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Einstellungen"
    assert dialog.save_button.text() == "&Speichern"
    labels = [label.text() for label in dialog.findChildren(QLabel) if label.buddy()]
    assert "Logto-&Endpunkt" in labels
    keys = [re.search(r"&(\w)", t).group(1).lower() for t in labels if "&" in t]  # type: ignore[union-attr]
    assert len(keys) == len(set(keys)), keys


def test_dates_follow_the_locale() -> None:
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    us = json.loads(claims_text({"iat": 1_700_000_000}))["iat"]
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    de = json.loads(claims_text({"iat": 1_700_000_000}))["iat"]
    assert re.match(r"11/1[45]/23 \d{1,2}:\d\d:\d\d\s[AP]M ", us), us  # \u202f before PM
    assert re.match(r"1[45]\.11\.23 \d\d:\d\d:\d\d ", de), de
    assert us.endswith("(1700000000)")
    assert de.endswith("(1700000000)")


def test_logto_is_asked_for_the_locale_languages() -> None:
    assert ui_locales(QLocale(QLocale.Language.German, QLocale.Country.Switzerland)) == (
        "de-CH",
        "de",
    )
    assert ui_locales(QLocale.c()) == ()
