"""Render the Settings dialog (first run, an error, Advanced open) in light and dark; save PNGs.

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python scripts/settings_screenshots.py
    QT_SCALE_FACTOR=2 xvfb-run -a ... scripts/settings_screenshots.py --suffix @2x

Writes docs/screenshots/settings-{first-run,error,advanced,demo-no-keyring}-{light,dark}[suffix].png:
the first run, an inline error (a space in the endpoint, no App ID), Advanced open with the
port refused, and the demo without a keyring (nothing saved, Session only ticked and locked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.config import Settings  # noqa: E402
from desktop_app.ui import theme  # noqa: E402
from desktop_app.ui.settings_dialog import SettingsDialog  # noqa: E402


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()
        QCoreApplication.sendPostedEvents()


def shoot(app: QApplication, out: Path, suffix: str) -> None:
    demo = Settings(
        endpoint="https://your-tenant.logto.app",
        app_id="",
        config_path=Path.home() / ".config/desktop-app/config.toml",
    )
    for name, palette in (("light", app.style().standardPalette()), ("dark", theme.dark_palette())):
        app.setPalette(palette)
        cases = {
            "first-run": dict(first_run=True),
            "error": dict(first_run=False),
            "advanced": dict(first_run=False),
            "demo-no-keyring": dict(persistent=False, keyring_available=False),
        }
        for case, kwargs in cases.items():
            dialog = SettingsDialog(demo, **kwargs)  # type: ignore[arg-type]
            dialog.show()
            settle(app)
            if case == "error":
                dialog.endpoint.setText("https://my tenant.logto.app")
                dialog.save_button.click()
            if case == "demo-no-keyring":
                dialog.app_id.setText("demo-app")
                dialog.advanced_toggle.setChecked(True)
                dialog.session_only.setFocus(Qt.FocusReason.TabFocusReason)
            if case == "advanced":
                dialog.app_id.setText("nq2bq4cpeegu1bbkv2qu0")
                dialog.advanced_toggle.setChecked(True)
                dialog.redirect_port.setValue(80)
                dialog.save_button.click()
                dialog.advanced_toggle.setFocus(Qt.FocusReason.TabFocusReason)
            settle(app)
            dialog.grab().save(str(out / f"settings-{case}-{name}{suffix}.png"))
            dialog.close()
            dialog.deleteLater()
            settle(app)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suffix", default="")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication([sys.argv[0]])
    app.setStyle("Fusion")
    args.out.mkdir(parents=True, exist_ok=True)
    shoot(app, args.out, args.suffix)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
