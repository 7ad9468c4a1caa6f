"""The Settings dialog: the Logto endpoint and app, scopes, API resources, callback, social
connector and session-only mode. Validated by :func:`desktop_app.config.validate`; a
:class:`~desktop_app.errors.ConfigError` is shown next to the field it names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app import config
from desktop_app.config import Settings
from desktop_app.errors import ConfigError

logger = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Edit :class:`Settings`. On OK: validate, call ``save`` (may raise), emit
    ``settings_accepted(Settings)`` and close. Open it with ``open()`` (never ``exec()`` from a
    coroutine: a nested loop starves asyncio)."""

    settings_accepted = Signal(object)

    def __init__(
        self,
        current: Settings | None,
        *,
        save: Callable[[Settings], object] | None = None,
        first_run: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = current
        self._save = save
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self.setModal(True)

        layout = QVBoxLayout(self)
        if first_run:
            intro = QLabel(
                self.tr(
                    "Welcome! Enter the Logto endpoint and the App ID of your Native app "
                    "(Logto Console → Applications). Register this redirect URI there: "
                    "http://127.0.0.1/callback"
                )
            )
            intro.setWordWrap(True)
            intro.setAccessibleName(self.tr("Welcome"))
            layout.addWidget(intro)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.addLayout(form)
        self._fields: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}

        s = current or Settings(endpoint="", app_id="")
        self.endpoint = self._line("endpoint", self.tr("Logto &endpoint"), s.endpoint, form)
        self.endpoint.setPlaceholderText("https://your-tenant.logto.app")
        self.app_id = self._line("app_id", self.tr("&App ID"), s.app_id, form)
        self.scopes = self._line("scopes", self.tr("Extra &scopes"), " ".join(s.scopes), form)
        self.scopes.setPlaceholderText(self.tr("e.g. email phone custom_data"))
        self.resources = self._line(
            "resources", self.tr("API &resources"), " ".join(s.resources), form
        )
        self.resources.setPlaceholderText(self.tr("e.g. https://api.example.com"))
        self.redirect_path = self._line(
            "redirect_path", self.tr("Callback &path"), s.redirect_path, form
        )
        self.redirect_port = QSpinBox()
        self.redirect_port.setRange(0, 65535)
        self.redirect_port.setSpecialValueText(self.tr("any free port"))
        self.redirect_port.setValue(s.redirect_port)
        self._add("redirect_port", self.tr("Callback p&ort"), self.redirect_port, form)
        self.social_target = self._line(
            "social_target", self.tr("Social &connector target"), s.social_target, form
        )
        self.social_target.setPlaceholderText(self.tr("optional, e.g. google"))
        self.social_name = self._line(
            "social_name", self.tr("Social connector &name"), s.social_name, form
        )
        self.social_name.setPlaceholderText(self.tr("optional, e.g. Google"))
        self.session_only = QCheckBox(self.tr("Session &only: never store tokens on this computer"))
        self.session_only.setChecked(s.session_only)
        self._add("session_only", "", self.session_only, form)
        self.session_only.setAccessibleName(self.tr("Session only"))

        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.setAccessibleName(self.tr("Settings error"))
        self.general_error.setStyleSheet("color: #d9534f;")
        self.general_error.hide()
        layout.addWidget(self.general_error)

        note = QLabel(self.tr("Settings are saved to {path}").format(path=self._path_text()))
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note.setAccessibleName(self.tr("Settings file"))
        layout.addWidget(note)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setAccessibleName(self.tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            self.tr("Cancel")
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _path_text(self) -> str:
        if self._current is not None and self._current.config_path is not None:
            return str(self._current.config_path)
        return str(config.default_config_path())

    def _line(self, name: str, label: str, value: str, form: QFormLayout) -> QLineEdit:
        edit = QLineEdit(value)
        self._add(name, label, edit, form)
        return edit

    def _add(self, name: str, label: str, widget: QWidget, form: QFormLayout) -> None:
        plain = label.replace("&", "")
        widget.setAccessibleName(plain)
        error = QLabel()
        error.setWordWrap(True)
        error.setStyleSheet("color: #d9534f;")
        error.setAccessibleName(self.tr("{field} error").format(field=plain))
        error.hide()
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(2)
        box_layout.addWidget(widget)
        box_layout.addWidget(error)
        if label:
            label_widget = QLabel(label)
            label_widget.setBuddy(widget)
            form.addRow(label_widget, box)
        else:
            form.addRow(box)
        self._fields[name] = widget
        self._errors[name] = error

    # ------------------------------------------------------------------ validation

    def raw_values(self) -> dict[str, Any]:
        """What the form holds, as :func:`config.validate` takes it."""
        current = self._current
        raw: dict[str, Any] = {
            "endpoint": self.endpoint.text(),
            "app_id": self.app_id.text(),
            "scopes": self.scopes.text(),
            "resources": self.resources.text(),
            "redirect_path": self.redirect_path.text().strip(),
            "redirect_port": self.redirect_port.value(),
            "social_target": self.social_target.text().strip(),
            "social_name": self.social_name.text(),
            "session_only": self.session_only.isChecked(),
        }
        if current is not None:  # keep what the dialog does not edit
            raw["sign_in_timeout"] = current.sign_in_timeout
            raw["post_logout_redirect_uri"] = current.post_logout_redirect_uri
        return raw

    def validated(self) -> Settings | None:
        """The form's settings, or None after showing the problem next to its field."""
        self._clear_errors()
        path = self._current.config_path if self._current is not None else None
        try:
            return config.validate(self.raw_values(), config_path=path)
        except ConfigError as exc:
            self.show_error(exc)
            return None

    def show_error(self, exc: ConfigError) -> None:
        label = self._errors.get(exc.field)
        if label is None:
            label = self.general_error
        label.setText(exc.user_message)
        label.show()
        field = self._fields.get(exc.field)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, field: str) -> str:
        """The error shown for ``field`` ("" when none is visible)."""
        label = self._errors.get(field, self.general_error)
        return label.text() if label.isVisibleTo(self) else ""

    def _clear_errors(self) -> None:
        for label in [*self._errors.values(), self.general_error]:
            label.clear()
            label.hide()

    def accept(self) -> None:
        settings = self.validated()
        if settings is None:
            return
        if self._save is not None:
            try:
                self._save(settings)
            except (OSError, ConfigError) as exc:
                logger.warning("Settings not saved: %s", exc)
                self.general_error.setText(
                    self.tr("Could not save the settings: {problem}").format(problem=exc)
                )
                self.general_error.show()
                return
        self.settings_accepted.emit(settings)
        super().accept()
