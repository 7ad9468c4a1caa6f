"""The Settings dialog: the two required fields (Logto endpoint, App ID) first, with help text;
scopes, API resources, callback, social connector and session-only mode under *Advanced*.

Values are validated by :mod:`desktop_app.config` (the one place for the rules): each field as
soon as the person leaves it, and all of them on Save. A problem is shown under the field that
caused it, the field's accessible description carries it for screen readers, and the dialog
grows to show it whole (a scroll area takes over before the dialog outgrows the screen).

Keyboard: every field has a label with a mnemonic (Alt+letter) and a buddy, Enter saves, Esc
cancels, Tab follows the reading order. Open it with ``open()``, never ``exec()`` from a
coroutine: a nested loop starves asyncio.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QIcon,
    QKeyEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import config
from desktop_app.config import Settings
from desktop_app.errors import ConfigError
from desktop_app.ui import theme

logger = logging.getLogger(__name__)

DIALOG_WIDTH = 560
_LONG_RUN = re.compile(r"\S{49,}")  # a "word" too long to wrap: a pasted blob, a huge host


def _elide_long_words(text: str, limit: int = 48) -> str:
    """Shorten unbreakable runs so a message can always wrap inside the dialog's width."""
    half = (limit - 1) // 2
    return _LONG_RUN.sub(lambda m: m.group()[:half] + "…" + m.group()[-half:], text)


def _field_problem(name: str, value: object) -> ConfigError | None:
    """What :func:`config.validate` says about one field on its own (None: nothing)."""
    try:
        config.validate({name: value})
    except ConfigError as exc:
        # With one field given, validate() checks it first, then complains that a required
        # field is missing; only the first kind of complaint is about this field.
        return exc if exc.field == name else None
    return None


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class _Disclosure(QToolButton):
    """The *Advanced* toggle: an arrow and a label; Enter and Space both toggle it."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setArrowType(Qt.ArrowType.RightArrow)
        self.toggled.connect(self._point)

    def _point(self, expanded: bool) -> None:
        self.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()  # Enter activates the focused control instead of saving the dialog
            return
        super().keyPressEvent(event)


class SettingsDialog(QDialog):
    """Edit :class:`Settings`. On Save: validate, call ``save`` (may raise), emit
    ``settings_accepted(Settings)`` and close.

    ``persistent=False`` (the demo) says that nothing is written to disk;
    ``keyring_available=False`` ticks and locks *Session only* and says why (tokens can only be
    kept in memory on this computer)."""

    settings_accepted = Signal(object)

    def __init__(
        self,
        current: Settings | None,
        *,
        save: Callable[[Settings], object] | None = None,
        first_run: bool = False,
        persistent: bool = True,
        keyring_available: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._current = current
        self._save = save
        self._persistent = persistent
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self.setModal(True)
        self.setSizeGripEnabled(True)
        self._fields: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._help: dict[str, str] = {}
        self._ready = False  # change/resize events arrive while the widgets are being built

        outer = self._outer = QVBoxLayout(self)
        outer.setContentsMargins(theme.SPACE_L, theme.SPACE_L, theme.SPACE_L, theme.SPACE_M)
        outer.setSpacing(theme.SPACE_M)

        # Everything but the buttons scrolls, so Save and Cancel stay in reach on a small
        # screen or at 200 %; normally the dialog is tall enough that no scroll bar shows.
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        body.setObjectName("settingsBody")
        body.setAutoFillBackground(False)
        self._body = body
        layout = self._body_layout = QVBoxLayout(body)
        layout.setContentsMargins(theme.FOCUS_RING_WIDTH, 0, theme.FOCUS_RING_WIDTH, 0)
        layout.setSpacing(theme.SPACE_M)
        self._scroll.setWidget(body)
        self._scroll.viewport().setAutoFillBackground(False)
        outer.addWidget(self._scroll, 1)

        s = current or Settings(endpoint="", app_id="")
        if first_run:
            title = QLabel(self.tr("Connect to your Logto app"))
            title.setAccessibleName(self.tr("Welcome"))
            theme.set_text_style(title, theme.TITLE)
            title.setWordWrap(True)
            layout.addWidget(title)
            intro = QLabel(
                self.tr(
                    "Enter the endpoint and App ID of your Native app (Logto Console → "
                    "Applications), and register this redirect URI there: {uri}"
                ).format(uri=s.registered_redirect_uri)
            )
            intro.setTextFormat(Qt.TextFormat.PlainText)
            intro.setWordWrap(True)
            intro.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            intro.setAccessibleName(self.tr("Getting started"))
            layout.addWidget(intro)

        # ----------------------------------------------------------- required
        self.endpoint = self._line(
            "endpoint",
            self.tr("Logto &endpoint"),
            s.endpoint,
            layout,
            help_text=self.tr("As shown in the Logto Console, e.g. https://your-tenant.logto.app"),
            placeholder="https://your-tenant.logto.app",
        )
        self.app_id = self._line(
            "app_id",
            self.tr("&App ID"),
            s.app_id,
            layout,
            help_text=self.tr("On your Native app's page in the Logto Console, under App ID."),
        )

        # ----------------------------------------------------------- advanced
        self.advanced_toggle = _Disclosure(self.tr("Ad&vanced"))
        self.advanced_toggle.setAccessibleName(self.tr("Advanced"))
        self.advanced_toggle.setAccessibleDescription(
            self.tr("Scopes, API resources, callback, social sign-in and session-only mode")
        )
        layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.advanced = QWidget()
        self.advanced.setAccessibleName(self.tr("Advanced settings"))
        advanced = QVBoxLayout(self.advanced)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.setSpacing(theme.SPACE_M)
        layout.addWidget(self.advanced)

        self.scopes = self._line(
            "scopes",
            self.tr("Extra sco&pes"),
            " ".join(s.scopes),
            advanced,
            help_text=self.tr(
                "Separated by spaces. openid, profile and offline_access are always asked for."
            ),
            placeholder=self.tr("e.g. email phone custom_data"),
        )
        self.resources = self._line(
            "resources",
            self.tr("API &resources"),
            " ".join(s.resources),
            advanced,
            help_text=self.tr(
                "API identifiers from the Logto Console to get access tokens for, "
                "separated by spaces."
            ),
            placeholder=self.tr("e.g. https://api.example.com"),
        )
        self.organizations = QCheckBox(self.tr("Organi&zations: sign in as a member of them"))
        self.organizations.setChecked(s.organizations)
        self._add(
            "organizations",
            "",
            self.organizations,
            advanced,
            help_text=self.tr(
                "Asks Logto for your organizations and their roles (add organization scopes "
                "such as read:reports to Extra scopes), so you can get organization tokens."
            ),
        )
        self.organizations.setAccessibleName(self.tr("Organizations"))
        self.ui_locales = self._line(
            "ui_locales",
            self.tr("Sign-in page &languages"),
            " ".join(s.ui_locales),
            advanced,
            help_text=self.tr(
                "Language tags for Logto's sign-in page, preferred first, e.g. de-CH de. "
                "Empty: this computer's languages ({languages})."
            ).format(languages=" ".join(self._os_languages()) or self.tr("none set")),
            placeholder=self.tr("e.g. de en"),
        )
        self.redirect_path = self._line(
            "redirect_path",
            self.tr("Callback pa&th"),
            s.redirect_path,
            advanced,
            help_text=self.tr(
                "The redirect URI's path: register http://127.0.0.1 plus this path in Logto."
            ),
        )
        self.redirect_port = QSpinBox()
        self.redirect_port.setRange(0, 65535)
        self.redirect_port.setSpecialValueText(self.tr("any free port"))
        self.redirect_port.setValue(s.redirect_port)
        # A styled spin box puts its editor flush against the border; line it up with the others.
        self.redirect_port.lineEdit().setTextMargins(5, 0, 0, 0)
        self._add(
            "redirect_port",
            self.tr("Callback p&ort"),
            self.redirect_port,
            advanced,
            help_text=self.tr(
                "0 means any free port (recommended: Logto ignores the port of a loopback "
                "redirect URI); otherwise 1024 to 65535."
            ),
        )
        self.social_target = self._line(
            "social_target",
            self.tr("Social connector tar&get"),
            s.social_target,
            advanced,
            help_text=self.tr(
                "Optional: adds a “Continue with …” button for this social connector."
            ),
            placeholder=self.tr("e.g. google"),
        )
        self.social_name = self._line(
            "social_name",
            self.tr("Social connector &name"),
            s.social_name,
            advanced,
            help_text=self.tr("Optional: the name on that button."),
            placeholder=self.tr("e.g. Google"),
        )
        self.session_only = QCheckBox(self.tr("Session onl&y: never store tokens on this computer"))
        self.session_only.setChecked(s.session_only or not keyring_available)
        if keyring_available:
            session_help = self.tr(
                "Tokens stay in memory and you sign in again after quitting. Use this on a "
                "shared computer, or where no keyring is available."
            )
        else:
            self.session_only.setEnabled(False)
            session_help = self.tr(
                "No usable keyring was found on this computer, so tokens are kept in memory "
                "only: you sign in again after quitting."
            )
        self._add("session_only", "", self.session_only, advanced, help_text=session_help)
        self.session_only.setAccessibleName(self.tr("Session only"))

        # ----------------------------------------------------------- footer
        self.general_error = self._error_label(self.tr("Settings error"))
        layout.addWidget(self.general_error)
        self.storage_note = QLabel(self._storage_text())
        self.storage_note.setAccessibleName(self.tr("Where settings are saved"))
        self.storage_note.setTextFormat(Qt.TextFormat.PlainText)
        self.storage_note.setWordWrap(True)
        self.storage_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_text_style(self.storage_note, theme.CAPTION)
        theme.set_text_role(self.storage_note, "muted")
        layout.addWidget(self.storage_note)
        self.proxy_note = QLabel()
        self.proxy_note.setAccessibleName(self.tr("Proxy in use"))
        self.proxy_note.setTextFormat(Qt.TextFormat.PlainText)
        self.proxy_note.setWordWrap(True)
        self.proxy_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_text_style(self.proxy_note, theme.CAPTION)
        theme.set_text_role(self.proxy_note, "muted")
        layout.addWidget(self.proxy_note)
        self.endpoint.textChanged.connect(self._show_proxy)
        self._show_proxy()
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("&Save"))
        self.save_button.setIcon(QIcon())  # a floppy disk and a red cross add nothing
        self.save_button.setAccessibleName(self.tr("Save"))
        self.save_button.setAccessibleDescription(self.tr("Check and save the settings (Enter)"))
        self.save_button.setDefault(True)
        theme.make_primary(self.save_button)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("&Cancel"))
        self.cancel_button.setIcon(QIcon())
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        self.cancel_button.setAccessibleDescription(self.tr("Close without saving (Esc)"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        order: list[QWidget] = [
            self.endpoint,
            self.app_id,
            self.advanced_toggle,
            self.scopes,
            self.resources,
            self.organizations,
            self.ui_locales,
            self.redirect_path,
            self.redirect_port,
            self.social_target,
            self.social_name,
            self.session_only,
            self.save_button,
            self.cancel_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._advanced_toggled)
        self._ready = True
        theme.apply(self)
        self.resize(DIALOG_WIDTH, 10)
        self.fit_to_contents()
        # Values read from an old file or the environment may break today's rules: say so now,
        # not only after Save (a valid Settings shows nothing here).
        for name in self._fields:
            self._check_field(name, quiet_if_empty=True)
        # Start where there is something to type: the first empty required field.
        first = self.app_id if self.endpoint.text() and not self.app_id.text() else self.endpoint
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------------ building

    def _storage_text(self) -> str:
        if not self._persistent:
            return self.tr(
                "Demo mode: these settings last until you quit. Nothing is saved to disk."
            )
        return self.tr(
            "Saved to {path}. Tokens are never saved there: they are kept in the system "
            "keyring, or only in memory with Session only."
        ).format(path=_home_relative(self._path()))

    @staticmethod
    def _os_languages() -> tuple[str, ...]:
        from desktop_app.ui.translations import ui_locales

        return ui_locales()

    @Slot()
    def _show_proxy(self) -> None:
        """Which proxy the endpoint is reached through: the person's settings, shown as is."""
        # Imported here: urllib.request is not needed before Settings opens.
        from desktop_app.auth.proxy import is_loopback, proxy_for

        endpoint = self.endpoint.text().strip()
        url = endpoint if "://" in endpoint else "https://logto.invalid"
        try:
            proxy = proxy_for(url)
        except ConfigError as exc:
            text = exc.message
        else:
            host = urlsplit(url).hostname or ""
            if proxy is not None:
                text = (
                    self.tr("Proxy: {proxy} with a user name and password, from {source}.")
                    if proxy.username
                    else self.tr("Proxy: {proxy}, from {source}.")
                ).format(proxy=proxy.display, source=self._proxy_source(proxy.source))
            elif host and is_loopback(host):
                text = self.tr("Proxy: none (this computer's own addresses are reached directly).")
            else:
                text = self.tr("Proxy: none, the app connects directly.")
        self.proxy_note.setText(text)

    def _proxy_source(self, source: str) -> str:
        if source.endswith("environment variable"):
            name = source.split()[1]
            return self.tr("the {name} environment variable").format(name=name)
        return self.tr("the system proxy settings")

    def _path(self) -> Path:
        if self._current is not None and self._current.config_path is not None:
            return self._current.config_path
        return config.default_config_path()

    def _line(
        self,
        name: str,
        label: str,
        value: str,
        layout: QVBoxLayout,
        *,
        help_text: str,
        placeholder: str = "",
    ) -> QLineEdit:
        edit = QLineEdit(value)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(False)
        self._add(name, label, edit, layout, help_text=help_text)
        edit.editingFinished.connect(lambda: self._field_left(name))
        edit.textEdited.connect(lambda _text: self._recheck_if_shown(name))
        return edit

    def _error_label(self, name: str) -> QLabel:
        error = QLabel()
        error.setTextFormat(Qt.TextFormat.PlainText)
        error.setWordWrap(True)
        error.setAccessibleName(name)
        error.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        theme.set_text_role(error, "error")
        error.hide()
        return error

    def _add(
        self, name: str, label: str, widget: QWidget, layout: QVBoxLayout, *, help_text: str
    ) -> None:
        plain = label.replace("&", "") or widget.accessibleName()
        widget.setAccessibleName(plain)
        widget.setAccessibleDescription(help_text)
        group = QVBoxLayout()
        group.setSpacing(theme.SPACE_XS)
        if label:
            caption = QLabel(label)
            caption.setBuddy(widget)
            theme.set_text_style(caption, theme.HEADING)
            group.addWidget(caption)
        group.addWidget(widget)
        help_label = QLabel(help_text)
        help_label.setTextFormat(Qt.TextFormat.PlainText)
        help_label.setWordWrap(True)
        theme.set_text_style(help_label, theme.CAPTION)
        theme.set_text_role(help_label, "muted")
        group.addWidget(help_label)
        error = self._error_label(self.tr("{field} error").format(field=plain or name))
        group.addWidget(error)
        layout.addLayout(group)
        if isinstance(widget, QSpinBox):
            widget.editingFinished.connect(lambda: self._field_left(name))
            widget.valueChanged.connect(lambda _value: self._recheck_if_shown(name))
        self._fields[name] = widget
        self._errors[name] = error
        self._help[name] = help_text

    # ------------------------------------------------------------------ size

    def _advanced_toggled(self, expanded: bool) -> None:
        self.advanced.setVisible(expanded)
        self.fit_to_contents(shrink=not expanded)
        if expanded:
            self._scroll.ensureWidgetVisible(self.advanced_toggle)

    def fit_to_contents(self, *, shrink: bool = False) -> None:
        """Grow (or with ``shrink``, also shrink) the height to show every visible line, up to
        the screen's height; beyond that the body scrolls. Word-wrapped labels need this: Qt
        does not grow a top-level window for a label's height-for-width."""
        body_layout = self._body_layout
        body_layout.activate()
        # The width the body has without a vertical scroll bar (the one it will have).
        width = max(1, self.width() - self._chrome_width())
        needed_body = max(
            body_layout.totalHeightForWidth(width)
            if body_layout.hasHeightForWidth()
            else body_layout.totalSizeHint().height(),
            # The scroll area never makes the body smaller than this.
            self._body.minimumSizeHint().height(),
        )
        layout = self._outer
        margins = layout.contentsMargins()
        needed = (
            margins.top()
            + margins.bottom()
            + layout.spacing()
            + self.buttons.sizeHint().height()
            + needed_body
        )
        screen = self.screen()
        limit = int(screen.availableGeometry().height() * 0.9) if screen is not None else needed
        target = min(needed, limit)
        self._scroll.setMinimumHeight(min(needed_body, max(0, limit - (needed - needed_body))))
        if target > self.height() or shrink:
            self.resize(self.width(), target)

    def _chrome_width(self) -> int:
        margins = self._outer.contentsMargins()
        return margins.left() + margins.right() + 2 * self._scroll.frameWidth()

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
            "organizations": self.organizations.isChecked(),
            "ui_locales": self.ui_locales.text(),
        }
        if current is not None:  # keep what the dialog does not edit
            raw["sign_in_timeout"] = current.sign_in_timeout
            raw["post_logout_redirect_uri"] = current.post_logout_redirect_uri
        return raw

    def _check_field(self, name: str, *, quiet_if_empty: bool = False) -> bool:
        """Validate one field now; show or clear its error. True when it is fine."""
        value = self.raw_values()[name]
        if quiet_if_empty and value == "" and not self._errors[name].isVisibleTo(self):
            return True  # an empty required field is pointed out on Save, not on Tab
        problem = _field_problem(name, value)
        if problem is None:
            self._set_error(name, "")
            return True
        self._set_error(name, problem.user_message)
        return False

    def _field_left(self, name: str) -> None:
        # editingFinished also fires while the dialog closes and its widgets are deleted.
        if shiboken6.isValid(self) and self.isVisible():
            self._check_field(name, quiet_if_empty=True)

    def _recheck_if_shown(self, name: str) -> None:
        if shiboken6.isValid(self) and self._errors[name].isVisibleTo(self):
            self._check_field(name)

    def validated(self) -> Settings | None:
        """The form's settings, or None after showing every problem next to its field (the
        focus goes to the first)."""
        self.general_error.clear()
        self.general_error.hide()
        bad = [name for name in self._fields if not self._check_field(name)]
        if bad:
            self._focus_problem(bad[0])
            self._announce_problems(len(bad))
            return None
        path = self._current.config_path if self._current is not None else None
        try:
            return config.validate(self.raw_values(), config_path=path)
        except ConfigError as exc:
            self.show_error(exc)
            return None

    def show_error(self, exc: ConfigError) -> None:
        """Show ``exc`` next to the field it names (or under the form) and focus that field."""
        if exc.field in self._errors:
            self._set_error(exc.field, exc.user_message)
            self._focus_problem(exc.field)
        else:
            self._show_general_error(exc.user_message)

    def _show_general_error(self, text: str) -> None:
        self.general_error.setText(_elide_long_words(text))
        self.general_error.show()
        self.fit_to_contents()
        self._scroll.ensureWidgetVisible(self.general_error)
        QAccessible.updateAccessibility(
            QAccessibleEvent(self.general_error, QAccessible.Event.Alert)
        )

    def _set_error(self, name: str, text: str) -> None:
        label, field = self._errors[name], self._fields[name]
        shown = _elide_long_words(text)
        if label.text() == shown and label.isVisibleTo(self) == bool(text):
            return
        label.setText(shown)
        label.setVisible(bool(text))
        description = self._help[name]
        if text:
            description = self.tr("Error: {problem} {help}").format(problem=shown, help=description)
            if not self.advanced.isVisible() and self.advanced.isAncestorOf(field):
                self.advanced_toggle.setChecked(True)
        field.setAccessibleDescription(description)
        QAccessible.updateAccessibility(
            QAccessibleEvent(field, QAccessible.Event.DescriptionChanged)
        )
        self.fit_to_contents()

    def _focus_problem(self, name: str) -> None:
        field = self._fields[name]
        if self.advanced.isAncestorOf(field):
            self.advanced_toggle.setChecked(True)
        field.setFocus(Qt.FocusReason.OtherFocusReason)
        # After the layout has settled, so the field and its error are scrolled into view.
        QTimer.singleShot(0, self, lambda: self._scroll.ensureWidgetVisible(self._errors[name]))

    def _announce_problems(self, count: int) -> None:
        text = (
            self.tr("One setting needs attention.")
            if count == 1
            else self.tr("{count} settings need attention.").format(count=count)
        )
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self, text))

    def error_text(self, field: str) -> str:
        """The error shown for ``field`` ("" when none is visible)."""
        label = self._errors.get(field, self.general_error)
        return label.text() if label.isVisibleTo(self) else ""

    # ------------------------------------------------------------------ Qt overrides

    def accept(self) -> None:
        settings = self.validated()
        if settings is None:
            return
        if self._save is not None:
            try:
                self._save(settings)
            except ConfigError as exc:
                logger.warning("Settings not saved: %s", exc)
                self._show_general_error(exc.user_message)
                return
            except OSError as exc:
                logger.warning("Settings not saved: %s", exc)
                self._show_general_error(
                    self.tr(
                        "Could not save the settings to {path}: {problem}. Nothing was changed; "
                        "check that the folder can be written to, then save again."
                    ).format(
                        path=_home_relative(self._path()),
                        problem=exc.strerror or type(exc).__name__,
                    )
                )
                return
        self.settings_accepted.emit(settings)
        super().accept()

    def changeEvent(self, event: QEvent) -> None:
        if getattr(self, "_ready", False) and event.type() in {
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        }:
            theme.apply(self)  # the colours of the new scheme
        super().changeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.fit_to_contents()  # fonts and the style sheet are final once shown

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if getattr(self, "_ready", False) and event.size().width() != event.oldSize().width():
            self.fit_to_contents()  # narrower means more wrapped lines
