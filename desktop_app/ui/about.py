"""The About box: name, version, the Logto endpoint in use, licence and maintainer."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app import APP_DISPLAY_NAME, __version__
from desktop_app.ui.text import breakable, clean

__all__ = ["APP_DISPLAY_NAME", "AboutDialog", "licence_and_maintainer"]

DISTRIBUTION = "desktop-app"  # pyproject.toml's [project] name


def licence_and_maintainer() -> tuple[str, str]:
    """The licence (SPDX expression) and the maintainer ("Name <email>") that pyproject.toml
    declares, read from the installed distribution's metadata (frozen bundles carry it: see
    packaging/hooks/hook-desktop_app.py). The .deb's control and copyright files take the same
    fields from pyproject.toml, so both say the same thing. Empty strings when the package is
    not installed (a bare source checkout)."""
    # Imported here, when the box opens: nothing before the first paint needs it.
    from importlib import metadata

    try:
        fields = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "", ""

    def first(*names: str) -> str:
        # PEP 639's License-Expression, else the older free-text License field; a maintainer
        # with an email is written to Maintainer-email, one without to Maintainer.
        return next((value for name in names for value in fields.get_all(name) or []), "")

    return first("License-Expression", "License"), first("Maintainer-email", "Maintainer")


class AboutDialog(QDialog):
    """Shown with ``open()`` (window-modal, no nested event loop)."""

    def __init__(self, endpoint: str, icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About {name}").format(name=APP_DISPLAY_NAME))
        self.setAccessibleName(self.tr("About"))
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(icon.pixmap(64, 64))
        logo.setAccessibleName(self.tr("App icon"))
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        text = QLabel()
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        text.setOpenExternalLinks(True)
        text.setWordWrap(True)
        endpoint_line = (
            self.tr("Logto endpoint: {endpoint}").format(endpoint=clean(endpoint, limit=300))
            if endpoint
            else self.tr("Logto endpoint: not configured")
        )
        licence, maintainer = licence_and_maintainer()
        facts = []
        if licence:
            facts.append(self.tr("Licence: {licence}").format(licence=licence))
        if maintainer:
            facts.append(self.tr("Maintainer: {maintainer}").format(maintainer=maintainer))
        text.setText(
            f"<h3>{APP_DISPLAY_NAME} {__version__}</h3>"
            f"<p>{self.tr('Signs you in with Logto through your own browser (RFC 8252).')}</p>"
            f"<p>{html.escape(breakable(endpoint_line))}</p>"
            + "".join(f"<p>{html.escape(fact)}</p>" for fact in facts)
        )
        text.setAccessibleName(self.tr("About text"))
        top.addWidget(text, 1)
        layout.addLayout(top)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text = text
