"""The About box: name, version, the Logto endpoint in use, licence."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app import APP_DISPLAY_NAME, __version__
from desktop_app.ui.text import breakable, clean

__all__ = ["APP_DISPLAY_NAME", "AboutDialog"]


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
        text.setText(
            f"<h3>{APP_DISPLAY_NAME} {__version__}</h3>"
            f"<p>{self.tr('Signs you in with Logto through your own browser (RFC 8252).')}</p>"
            f"<p>{html.escape(breakable(endpoint_line))}</p>"
            f"<p>{self.tr('Licence: MIT')}</p>"
        )
        text.setAccessibleName(self.tr("About text"))
        top.addWidget(text, 1)
        layout.addLayout(top)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text = text
