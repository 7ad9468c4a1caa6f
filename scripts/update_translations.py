"""Refresh the translation sources (resources/translations/*.ts) from the code, and build the
compiled catalogues (.qm) next to them, with the Qt tools from the PySide6 wheel.

    .venv/bin/python scripts/update_translations.py          # update every .ts, build every .qm
    .venv/bin/python scripts/update_translations.py fr       # start French: desktop_app_fr.ts

``pyside6-lupdate`` finds ``self.tr(...)`` itself. The module-level ``_tr(...)`` helpers of
``app.py`` (context ``DesktopApp``) and ``ui/view_model.py`` (``SessionViewModel``) are found
through ``-tr-function-alias``; lupdate files those under an empty context, so this script
moves them to the context the helper passes to ``QCoreApplication.translate``. Translations
already in a .ts are kept (lupdate merges); strings gone from the code are marked obsolete.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
BIN = Path(sys.executable).parent
# Where a module-level _tr() helper translates, by file.
HELPER_CONTEXTS = {"app.py": "DesktopApp", "view_model.py": "SessionViewModel"}


def sources() -> list[str]:
    files = [ROOT / "desktop_app" / "app.py", *sorted((ROOT / "desktop_app" / "ui").glob("*.py"))]
    return [str(f) for f in files]


def update(ts: Path, language: str) -> None:
    # The first lupdate pass does not see the helpers' strings and drops them as obsolete:
    # keep their translations to put back.
    kept = helper_translations(ts) if ts.exists() else {}
    # No locations: line numbers would change the file on every edit of the code.
    lupdate = [str(BIN / "pyside6-lupdate"), "-no-obsolete"]
    subprocess.run(
        [*lupdate, "-locations", "none", *sources(), "-target-language", language, "-ts", str(ts)],
        check=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        helpers = Path(tmp) / "helpers.ts"
        subprocess.run(
            [
                *lupdate,
                *("-locations", "absolute", "-tr-function-alias", "tr+=_tr"),
                *sources(),
                *("-ts", str(helpers)),
            ],
            check=True,
            capture_output=True,
        )
        merge_helper_strings(ts, helpers, kept)


def helper_translations(ts: Path) -> dict[tuple[str, str], ET.Element]:
    found: dict[tuple[str, str], ET.Element] = {}
    for context in ET.parse(ts).getroot().iterfind("context"):
        name = context.findtext("name") or ""
        if name in HELPER_CONTEXTS.values():
            for message in context.iterfind("message"):
                translation = message.find("translation")
                if translation is not None:
                    found[(name, message.findtext("source") or "")] = translation
    return found


def merge_helper_strings(ts: Path, helpers: Path, kept: dict[tuple[str, str], ET.Element]) -> None:
    """Add the empty-context messages of ``helpers`` to ``ts`` under their helper's context,
    keeping any translation ``ts`` already has for them."""
    tree = ET.parse(ts)
    root = tree.getroot()
    contexts = {c.findtext("name"): c for c in root.findall("context")}
    for message in ET.parse(helpers).getroot().iterfind("context/message"):
        location = message.find("location")
        filename = Path(location.get("filename", "")).name if location is not None else ""
        name = HELPER_CONTEXTS.get(filename)
        if name is None:
            continue
        context = contexts.get(name)
        if context is None:
            context = ET.SubElement(root, "context")
            ET.SubElement(context, "name").text = name
            contexts[name] = context
        source = message.findtext("source")
        if any(m.findtext("source") == source for m in context.iterfind("message")):
            continue
        if location is not None:
            message.remove(location)
        previous = kept.get((name, source or ""))
        if previous is not None:
            old = message.find("translation")
            if old is not None:
                message.remove(old)
            message.append(previous)
        context.append(message)
    ET.indent(tree)
    tree.write(ts, encoding="utf-8", xml_declaration=True)


def build(ts: Path) -> None:
    qm = ts.with_suffix(".qm")
    subprocess.run([str(BIN / "pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def main(args: list[str]) -> None:
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    languages = args or [p.stem.removeprefix("desktop_app_") for p in TRANSLATIONS.glob("*.ts")]
    for language in languages:
        ts = TRANSLATIONS / f"desktop_app_{language}.ts"
        update(ts, language)
        build(ts)


if __name__ == "__main__":
    main(sys.argv[1:])
