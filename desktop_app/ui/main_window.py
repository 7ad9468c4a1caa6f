"""The main window: thin widgets bound to a :class:`~desktop_app.ui.view_model.SessionViewModel`.

No awaits and no imports from ``desktop_app.auth``: clicks call view-model slots, view-model
signals update widgets. Every control has an accessible name (tests find widgets by it, and so
do screen readers) and buttons a description; every string goes through ``self.tr``.

The layout follows ``theme``'s spacing and type scales: each page is one centred column in a
scroll area (a small window scrolls, nothing is clipped); the signed-in page is a profile card
and one *Session* card that holds the token status, Refresh, Sign out (the primary action) and
the end-session choice. The banner sits above the pages in a slot that keeps its height, so a
message does not move the page. State changes are announced to assistive technology
(:meth:`MainWindow._announce`). Text from outside (Logto, the network, settings) goes through
:mod:`desktop_app.ui.text` and plain-text labels only.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFont,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_DISPLAY_NAME
from desktop_app.ui import theme
from desktop_app.ui.avatar import AvatarLoader, placeholder_pixmap, rounded
from desktop_app.ui.prefs import UiPrefs
from desktop_app.ui.text import breakable, clean, message, one_line
from desktop_app.ui.view_model import SessionViewModel

logger = logging.getLogger(__name__)

AVATAR_SIZE = 72
COLUMN_WIDTH = 560  # the widest a page's content gets; wider windows centre it
MIN_SIZE = QSize(400, 420)

_L = TypeVar("_L", bound=QLabel)

if TYPE_CHECKING:
    from desktop_app.ui.about import AboutDialog


def _label(text: str = "", *, name: str, wrap: bool = True, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    # Never AutoText: a label may show text from Logto or the network (issue 10 item 3).
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    return label


def _button(text: str, *, name: str, description: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    button.setAccessibleDescription(description)
    return button


class ElidedLabel(QLabel):
    """One line of outside text (a name, an email address) that never widens the window: what
    does not fit ends in "…", and the tooltip shows it all."""

    def __init__(
        self,
        *,
        name: str,
        selectable: bool = True,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__()
        self._full = ""
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName(name)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if selectable:
            self.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )

    def full_text(self) -> str:
        """The whole text, however much of it fits."""
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setAccessibleDescription(text)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 1)
        shown = self.fontMetrics().elidedText(self._full, self._mode, width)
        self.setToolTip(self._full if shown != self._full else "")
        super().setText(shown)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        wanted = self.fontMetrics().horizontalAdvance(self._full) + 4
        return QSize(min(wanted, 480), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()


def _column(*, max_width: int = COLUMN_WIDTH) -> tuple[QScrollArea, QVBoxLayout]:
    """A page: a scroll area (small windows scroll instead of clipping) around one centred
    column of at most ``max_width`` pixels. Returns the page and the column's layout."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    content = QWidget()
    row = QHBoxLayout(content)
    row.setContentsMargins(theme.SPACE_L, theme.SPACE_S, theme.SPACE_L, theme.SPACE_L)
    column = QWidget()
    column.setMaximumWidth(max_width)
    column.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(theme.SPACE_XS)
    row.addStretch(0)
    row.addWidget(column, 1)
    row.addStretch(0)
    scroll.setWidget(content)
    return scroll, layout


def _card(name: str) -> tuple[QFrame, QVBoxLayout]:
    """A framed group (the profile, the session): reads as one thing."""
    card = QFrame()
    card.setObjectName("card")
    card.setAccessibleName(name)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(theme.SPACE_M, theme.SPACE_M, theme.SPACE_M, theme.SPACE_M)
    layout.setSpacing(theme.SPACE_XS)
    return card, layout


def _set_primary(button: QPushButton, primary: bool) -> None:
    """:func:`theme.make_primary`, or back to an ordinary button (a state's primary action can
    change while the page shows, e.g. Copy sign-in link once the browser failed)."""
    if primary:
        theme.make_primary(button)
    elif button.property("primary"):
        button.setProperty("primary", False)
        theme.repolish(button)


def _centre(label: QLabel) -> QLabel:
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def _caption(label: _L) -> _L:
    theme.set_text_style(label, theme.CAPTION)
    label.setProperty("muted", True)
    return label


class MainWindow(QMainWindow):
    """Signed out, waiting for the browser, signed in, and the messages in between."""

    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        view_model: SessionViewModel,
        *,
        icon: QIcon | None = None,
        prefs: UiPrefs | None = None,
        demo_available: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.demo_available = demo_available
        self.vm = view_model
        self.prefs = prefs
        self.icon = icon or QIcon()
        self.about_dialog: AboutDialog | None = None
        self.last_announcement = ""
        self.setWindowTitle(APP_DISPLAY_NAME)
        self.setWindowIcon(self.icon)
        self.setAccessibleName(self.tr("Main window"))
        self._avatar_loader = AvatarLoader(self)
        self._avatar_loader.loaded.connect(self._show_avatar_image)
        self._avatar_loader.failed.connect(self._show_avatar_placeholder)

        self._browser_failed_shown = False
        self._build_menu()
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._build_banner())
        self.pages = QStackedWidget()
        self.pages.setAccessibleName(self.tr("Pages"))
        self._page_widgets = {
            "signed_out": self._build_signed_out(),
            "waiting": self._build_waiting(),
            "signed_in": self._build_signed_in(),
            "busy": self._build_busy(),
            "not_configured": self._build_not_configured(),
        }
        for widget in self._page_widgets.values():
            self.pages.addWidget(widget)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        # Enter activates the focused button, as Space does (in a QMainWindow Qt only does
        # that for auto-default buttons, which are off outside dialogs).
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(True)
        self.setMinimumSize(MIN_SIZE)
        theme.apply(self)
        self._restyle()

        vm = self.vm
        vm.page_changed.connect(self._render_page)
        vm.banner_changed.connect(self._render_banner)
        vm.waiting_changed.connect(self._render_waiting)
        vm.profile_changed.connect(self._render_profile)
        vm.token_status_changed.connect(self._render_token_status)
        vm.details_changed.connect(self._render_details)
        vm.api_claims_changed.connect(self._render_api_claims)
        vm.busy_changed.connect(self._render_busy)
        vm.settings_changed.connect(self._render_settings)
        vm.hint_changed.connect(self._render_hint)
        vm.signed_in.connect(self.bring_to_front)
        self._render_all()

        if prefs is not None:
            geometry = prefs.geometry()
            if geometry is not None:
                self.restoreGeometry(geometry)
                self._fit_on_screen()
            self.end_session_checkbox.setChecked(prefs.end_browser_session)
            self._set_details_open(prefs.token_details_open)
        if prefs is None or prefs.geometry() is None:
            self.resize(620, 640)

    # ------------------------------------------------------------------ building

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.settings_action = QAction(self.tr("&Settings…"), self)
        # StandardKey.Preferences is empty on most Linux desktops; Ctrl+, is the common one.
        shortcuts = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        self.settings_action.setShortcuts(shortcuts or [QKeySequence(self.tr("Ctrl+,"))])
        self.settings_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.settings_action.triggered.connect(self.settings_requested)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence(self.tr("Ctrl+Q")))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.quit_requested)
        file_menu.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.about_action = QAction(self.tr("&About {name}").format(name=APP_DISPLAY_NAME), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _build_banner(self) -> QWidget:
        # The banner lives in a slot that keeps its height when the banner hides, so showing
        # or dismissing a message does not move the page under the pointer.
        self.banner_slot = QWidget()
        slot = QVBoxLayout(self.banner_slot)
        slot.setContentsMargins(theme.SPACE_L, theme.SPACE_S, theme.SPACE_L, 0)
        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner.setAccessibleName(self.tr("Message"))
        layout = QHBoxLayout(self.banner)
        layout.setContentsMargins(theme.SPACE_S, theme.SPACE_XS, theme.SPACE_XS, theme.SPACE_XS)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.banner_text = _label(name=self.tr("Message text"), selectable=True)
        self.banner_advice = _label(name=self.tr("What to do"), selectable=True)
        for label in (self.banner_text, self.banner_advice):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        texts.addWidget(self.banner_text)
        texts.addWidget(self.banner_advice)
        layout.addLayout(texts, 1)
        self.banner_close = QToolButton()
        self.banner_close.setText("✕")
        self.banner_close.setAccessibleName(self.tr("Dismiss message"))
        self.banner_close.setToolTip(self.tr("Dismiss message"))
        self.banner_close.setAutoRaise(True)
        self.banner_close.clicked.connect(self.banner.hide)
        layout.addWidget(self.banner_close, 0, Qt.AlignmentFlag.AlignTop)
        slot.addWidget(self.banner)
        self.banner.hide()
        return self.banner_slot

    def _build_signed_out(self) -> QWidget:
        page, layout = _column(max_width=420)
        page.setAccessibleName(self.tr("Signed out"))
        layout.addStretch(1)
        logo = QLabel()
        logo.setAccessibleName(self.tr("App icon"))
        logo.setPixmap(self.icon.pixmap(QSize(80, 80)))
        layout.addWidget(_centre(logo))
        layout.addSpacing(theme.SPACE_S)
        title = _label(APP_DISPLAY_NAME, name=self.tr("App name"))
        theme.set_text_style(title, theme.TITLE)
        layout.addWidget(_centre(title))
        subtitle = _label(
            self.tr("Sign in with your Logto account. Your browser opens to finish."),
            name=self.tr("Welcome text"),
        )
        layout.addWidget(_centre(subtitle))
        layout.addSpacing(theme.SPACE_M)

        self.sign_in_button = _button(
            self.tr("&Sign in"),
            name=self.tr("Sign in"),
            description=self.tr("Opens Logto's sign-in page in your browser"),
        )
        self.sign_in_button.setDefault(True)
        theme.make_primary(self.sign_in_button)
        self.sign_in_button.clicked.connect(self.vm.sign_in)
        self.create_account_button = _button(
            self.tr("&Create account"),
            name=self.tr("Create account"),
            description=self.tr("Opens Logto's sign-up page in your browser"),
        )
        self.create_account_button.clicked.connect(self.vm.create_account)
        self.social_button = _button(
            "",
            name=self.tr("Continue with social account"),
            description=self.tr("Signs in through the social account set in Settings"),
        )
        self.social_button.clicked.connect(self.vm.continue_with_social)
        for button in (self.sign_in_button, self.create_account_button, self.social_button):
            button.setMinimumHeight(36)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            layout.addWidget(button)
            layout.addSpacing(theme.SPACE_XS)
        layout.addSpacing(theme.SPACE_S)
        self.endpoint_label = _caption(
            ElidedLabel(name=self.tr("Logto endpoint"), mode=Qt.TextElideMode.ElideMiddle)
        )
        self.endpoint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.endpoint_label)
        self.hint_label = _caption(_label(name=self.tr("Hint"), selectable=True))
        self.hint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(_centre(self.hint_label))
        layout.addStretch(2)
        return page

    def _build_waiting(self) -> QWidget:
        page, layout = _column(max_width=460)
        page.setAccessibleName(self.tr("Waiting for the browser"))
        layout.addStretch(1)
        self.waiting_title = _label(name=self.tr("Waiting title"))
        theme.set_text_style(self.waiting_title, theme.TITLE)
        layout.addWidget(_centre(self.waiting_title))
        self.waiting_explanation = _label(name=self.tr("Waiting explanation"))
        self.waiting_explanation.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        layout.addWidget(_centre(self.waiting_explanation))
        layout.addSpacing(theme.SPACE_M)
        self.waiting_progress = QProgressBar()
        self.waiting_progress.setAccessibleName(self.tr("Time left to sign in"))
        self.waiting_progress.setTextVisible(False)
        self.waiting_progress.setMaximumHeight(8)
        layout.addWidget(self.waiting_progress)
        self.waiting_elapsed = _caption(_label(name=self.tr("Elapsed time")))
        layout.addWidget(_centre(self.waiting_elapsed))
        layout.addSpacing(theme.SPACE_M)
        row = QHBoxLayout()
        row.setSpacing(theme.SPACE_S)
        row.addStretch(1)
        self.cancel_button = _button(
            self.tr("C&ancel"),
            name=self.tr("Cancel sign-in"),
            description=self.tr("Stops waiting for the browser (Esc)"),
        )
        self.cancel_button.setToolTip(self.tr("Stop waiting for the browser (Esc)"))
        self.cancel_button.clicked.connect(self.vm.cancel)
        self.open_again_button = _button(
            self.tr("&Open browser again"),
            name=self.tr("Open browser again"),
            description=self.tr("Opens the same sign-in page once more"),
        )
        self.open_again_button.clicked.connect(self.vm.open_browser_again)
        self.copy_link_button = _button(
            self.tr("Co&py sign-in link"),
            name=self.tr("Copy sign-in link"),
            description=self.tr("Copies the sign-in page's address, to open it yourself"),
        )
        self.copy_link_button.setToolTip(
            self.tr("For when the browser did not open, e.g. over SSH or in WSL")
        )
        self.copy_link_button.clicked.connect(self.vm.copy_sign_in_link)
        for button in (self.cancel_button, self.open_again_button, self.copy_link_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _build_signed_in(self) -> QWidget:
        page, layout = _column()
        page.setAccessibleName(self.tr("Signed in"))
        layout.setSpacing(theme.SPACE_M)
        layout.addStretch(1)

        profile, who = _card(self.tr("Profile"))
        header = QHBoxLayout()
        header.setSpacing(theme.SPACE_M)
        self.avatar = QLabel()
        self.avatar.setAccessibleName(self.tr("Avatar"))
        self.avatar.setFixedSize(AVATAR_SIZE, AVATAR_SIZE)
        header.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        names = QVBoxLayout()
        names.setSpacing(2)
        self.name_label = ElidedLabel(name=self.tr("Name"))
        theme.set_text_style(self.name_label, theme.TITLE)
        names.addWidget(self.name_label)
        self.username_label = _caption(ElidedLabel(name=self.tr("Username")))
        names.addWidget(self.username_label)
        # The one rich-text label (for the coloured "verified" mark): the address is escaped.
        self.email_label = _label(name=self.tr("Email"), selectable=True)
        self.email_label.setTextFormat(Qt.TextFormat.RichText)
        self.email_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        names.addWidget(self.email_label)
        self.user_id_label = _caption(ElidedLabel(name=self.tr("User ID")))
        names.addWidget(self.user_id_label)
        self.identities_label = _caption(_label(name=self.tr("Linked accounts"), selectable=True))
        self.identities_label.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        names.addWidget(self.identities_label)
        names.addStretch(1)
        header.addLayout(names, 1)
        who.addLayout(header)
        self.offline_label = _label(
            self.tr("Offline: showing your saved profile."), name=self.tr("Offline note")
        )
        who.addWidget(self.offline_label)
        layout.addWidget(profile)

        session, tokens = _card(self.tr("Session"))
        heading = _label(self.tr("Session"), name=self.tr("Session heading"))
        theme.set_text_style(heading, theme.HEADING)
        tokens.addWidget(heading)
        self.token_status_label = _label(name=self.tr("Token status"), selectable=True)
        self.token_status_label.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        tokens.addWidget(self.token_status_label)
        tokens.addSpacing(theme.SPACE_S)
        self.refresh_button = _button(
            self.tr("&Refresh profile"),
            name=self.tr("Refresh profile"),
            description=self.tr("Loads your profile from Logto again"),
        )
        self.refresh_button.clicked.connect(self.vm.refresh_profile)
        self.sign_out_button = _button(
            self.tr("Sign &out"),
            name=self.tr("Sign out"),
            description=self.tr("Removes your session from this computer and tells Logto"),
        )
        theme.make_primary(self.sign_out_button)
        self.sign_out_button.clicked.connect(self._sign_out)
        buttons = QHBoxLayout()
        buttons.setSpacing(theme.SPACE_S)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_out_button)
        tokens.addLayout(buttons)
        self.end_session_checkbox = QCheckBox(
            self.tr("Also sign out of Logto in the &browser (to switch accounts)")
        )
        self.end_session_checkbox.setAccessibleName(self.tr("End browser session too"))
        self.end_session_checkbox.setAccessibleDescription(
            self.tr(
                "Ends the sign-in session in your browser too, so the next sign-in can be "
                "someone else"
            )
        )
        self.end_session_checkbox.toggled.connect(self._end_session_toggled)
        tokens.addWidget(self.end_session_checkbox, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(session)

        self.details_toggle = QToolButton()
        self.details_toggle.setText(self.tr("&Token details"))
        self.details_toggle.setAccessibleName(self.tr("Token details"))
        self.details_toggle.setAccessibleDescription(
            self.tr("Shows or hides the decoded token claims")
        )
        self.details_toggle.setCheckable(True)
        self.details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.details_toggle.setAutoRaise(True)
        self.details_toggle.toggled.connect(self._set_details_open)
        layout.addWidget(self.details_toggle, 0, Qt.AlignmentFlag.AlignLeft)

        self.details_panel = QWidget()
        self.details_panel.setAccessibleName(self.tr("Token details panel"))
        details = QVBoxLayout(self.details_panel)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(theme.SPACE_XS)
        details.addWidget(
            _caption(
                _label(
                    self.tr(
                        "ID token claims, decoded (times in your time zone; the token itself "
                        "is never shown)"
                    ),
                    name=self.tr("ID token claims heading"),
                )
            )
        )
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.id_claims_view = QPlainTextEdit()
        self.id_claims_view.setReadOnly(True)
        self.id_claims_view.setFont(mono)
        self.id_claims_view.setAccessibleName(self.tr("ID token claims"))
        self.id_claims_view.setMinimumHeight(140)
        details.addWidget(self.id_claims_view)
        api_row = QHBoxLayout()
        self.api_resource_combo = QComboBox()
        self.api_resource_combo.setAccessibleName(self.tr("API resource"))
        self.api_resource_combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.api_token_button = _button(
            self.tr("&Get API token"),
            name=self.tr("Get API token"),
            description=self.tr("Gets an access token for the chosen API and shows its claims"),
        )
        self.api_token_button.clicked.connect(self._get_api_token)
        api_row.addWidget(self.api_resource_combo, 1)
        api_row.addWidget(self.api_token_button)
        self.api_row = QWidget()
        self.api_row.setLayout(api_row)
        api_row.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.api_row)
        # Logto organizations: pick one, get an organization token (shown below like an API
        # token's); a plain sentence when the person belongs to none.
        self.organizations_heading = _caption(
            _label(self.tr("Organizations"), name=self.tr("Organizations heading"))
        )
        details.addWidget(self.organizations_heading)
        self.no_organizations_label = _label(
            self.tr("You are not a member of any organization in this Logto tenant."),
            name=self.tr("Organizations"),
        )
        details.addWidget(self.no_organizations_label)
        org_row = QHBoxLayout()
        org_row.setContentsMargins(0, 0, 0, 0)
        self.organization_combo = QComboBox()
        self.organization_combo.setAccessibleName(self.tr("Organization"))
        self.organization_combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.organization_token_button = _button(
            self.tr("Get &organization token"),
            name=self.tr("Get organization token"),
            description=self.tr(
                "Gets a token to act as a member of the chosen organization and shows its claims"
            ),
        )
        self.organization_token_button.clicked.connect(self._get_organization_token)
        org_row.addWidget(self.organization_combo, 1)
        org_row.addWidget(self.organization_token_button)
        self.organization_row = QWidget()
        self.organization_row.setLayout(org_row)
        details.addWidget(self.organization_row)
        self.api_claims_view = QPlainTextEdit()
        self.api_claims_view.setReadOnly(True)
        self.api_claims_view.setFont(mono)
        self.api_claims_view.setAccessibleName(self.tr("API token claims"))
        self.api_claims_view.setMinimumHeight(120)
        details.addWidget(self.api_claims_view)
        layout.addWidget(self.details_panel)
        self.details_panel.hide()
        layout.addStretch(2)
        return page

    def _build_busy(self) -> QWidget:
        page, layout = _column(max_width=420)
        page.setAccessibleName(self.tr("Working"))
        layout.addStretch(1)
        self.busy_label = _label(name=self.tr("Progress"))
        theme.set_text_style(self.busy_label, theme.HEADING)
        layout.addWidget(_centre(self.busy_label))
        bar = QProgressBar()
        bar.setRange(0, 0)
        bar.setTextVisible(False)
        bar.setMaximumHeight(8)
        bar.setAccessibleName(self.tr("Working…"))
        layout.addWidget(bar)
        layout.addStretch(2)
        return page

    def _build_not_configured(self) -> QWidget:
        page, layout = _column(max_width=440)
        page.setAccessibleName(self.tr("Not configured"))
        layout.addStretch(1)
        logo = QLabel()
        logo.setAccessibleName(self.tr("App logo"))
        logo.setPixmap(self.icon.pixmap(QSize(64, 64)))
        layout.addWidget(_centre(logo))
        layout.addSpacing(theme.SPACE_S)
        title = _label(self.tr("Connect to your Logto"), name=self.tr("Setup title"))
        theme.set_text_style(title, theme.TITLE)
        layout.addWidget(_centre(title))
        setup = self.tr("Enter your Logto endpoint and the App ID of a Native app to start.")
        if self.demo_available:  # only a source checkout has ./run demo
            setup += " " + self.tr("Try it without a Logto account: run ./run demo.")
        text = _label(setup, name=self.tr("Setup text"))
        layout.addWidget(_centre(text))
        layout.addSpacing(theme.SPACE_M)
        self.open_settings_button = _button(
            self.tr("Open &Settings…"),
            name=self.tr("Open settings"),
            description=self.tr("Enter your Logto endpoint and App ID"),
        )
        theme.make_primary(self.open_settings_button)
        self.open_settings_button.setDefault(True)
        layout.addWidget(self.open_settings_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.open_settings_button.clicked.connect(self.settings_requested)
        layout.addStretch(2)
        return page

    # ------------------------------------------------------------------ rendering

    def _render_all(self) -> None:
        self._render_settings()
        self._render_hint()
        self._render_banner()
        self._render_profile()
        self._render_token_status()
        self._render_details()
        self._render_api_claims(self.vm.api_claims_text)
        self._render_waiting()
        self._render_page(self.vm.page)

    @property
    def current_page(self) -> str:
        """Which page is showing: signed_out, waiting, signed_in, busy or not_configured."""
        current = self.pages.currentWidget()
        return next(k for k, w in self._page_widgets.items() if w is current)

    @Slot(str)
    def _render_page(self, page: str) -> None:
        widget_key = {
            "error": "signed_out",
            "completing": "waiting",
            "restoring": "busy",
            "signing_out": "busy",
            "starting": "busy",
        }.get(page, page)
        self.busy_label.setText(
            {
                "restoring": self.tr("Restoring your session…"),
                "signing_out": self.tr("Signing out…"),
                "starting": self.vm.hint or self.tr("Starting…"),
            }.get(page, "")
        )
        previous = self.pages.currentWidget()
        widget = self._page_widgets[widget_key]
        self.pages.setCurrentWidget(widget)
        completing = page == "completing"
        self.cancel_button.setEnabled(not completing)
        self.open_again_button.setEnabled(not completing)
        self.copy_link_button.setEnabled(not completing and self.vm.has_sign_in_link)
        if previous is not widget:
            focus = {
                "signed_out": self.sign_in_button,
                "waiting": self.cancel_button,
                "signed_in": self.sign_out_button,
                "not_configured": self.open_settings_button,
            }.get(widget_key)
            if focus is not None and self.isActiveWindow():
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._render_waiting()
        self._announce(self._page_summary(page))

    def _page_summary(self, page: str) -> str:
        return {
            "signed_out": self.tr("Signed out"),
            "error": self.tr("Sign-in did not complete. {problem}").format(
                problem=clean(self.vm.banner_text, limit=300)
            ),
            "waiting": self.waiting_title.text(),
            "completing": self.tr("Completing sign-in"),
            "signed_in": self.tr("Signed in as {name}").format(name=clean(self.vm.display_name)),
            "restoring": self.tr("Restoring your session"),
            "signing_out": self.tr("Signing out"),
            "starting": self.tr("Starting"),
            "not_configured": self.tr("Not configured yet"),
        }.get(page, "")

    def _announce(self, text: str) -> None:
        """Tell assistive technology about a state change (the window's accessible description
        changes and an alert is raised, which screen readers speak)."""
        if not text or text == self.last_announcement:
            return
        self.last_announcement = text
        self.pages.setAccessibleDescription(text)
        if not self.isVisible():
            return  # nobody to tell yet (and QAccessible loads after the first paint)
        from PySide6.QtGui import QAccessible, QAccessibleEvent

        QAccessible.updateAccessibility(
            QAccessibleEvent(self.pages, QAccessible.Event.DescriptionChanged)
        )
        QAccessible.updateAccessibility(QAccessibleEvent(self.pages, QAccessible.Event.Alert))

    @Slot()
    def _render_banner(self) -> None:
        # Messages can quote the provider (an error description): plain text, long runs breakable.
        text = message(self.vm.banner_text)
        advice = message(self.vm.banner_advice)
        self.banner_text.setText(text)
        self.banner_text.setAccessibleDescription(text)
        self.banner_advice.setText(advice)
        self.banner_advice.setAccessibleDescription(advice)
        self.banner_advice.setVisible(bool(advice))
        # Only an error's headline is bold; a long notice in bold is hard to read.
        font = QFont(self.banner_advice.font())
        font.setBold(self.vm.banner_is_error)
        self.banner_text.setFont(font)
        self.banner.setStyleSheet(theme.banner_style(self.palette(), error=self.vm.banner_is_error))
        self.banner.setProperty("error", self.vm.banner_is_error)
        self.banner.setVisible(bool(text))
        # Keep room for a two-line message, so the page stays put when one comes and goes.
        line = self.fontMetrics().lineSpacing()
        self.banner_slot.setMinimumHeight(2 * line + 2 * theme.SPACE_XS + theme.SPACE_S + 4)
        if text:
            self._announce(text + (" " + advice if advice else ""))

    @Slot()
    def _render_waiting(self) -> None:
        vm = self.vm
        timeout = max(vm.waiting_timeout, 1)
        self.waiting_progress.setRange(0, timeout)
        self.waiting_progress.setValue(min(vm.waiting_elapsed, timeout))
        self.waiting_elapsed.setText(vm.waiting_text)
        self.waiting_elapsed.setAccessibleDescription(vm.waiting_text)
        browser = vm.browser_state
        if vm.page == "completing":
            title = self.tr("Completing sign-in…")
            explanation = self.tr("Your browser sent the answer back. One moment.")
        elif browser == "opening":
            title = self.tr("Opening your browser…")
            explanation = self.tr("The sign-in page opens in your web browser.")
        elif browser == "failed":
            title = self.tr("Your browser did not open")
            problem = vm.browser_problem or self.tr("The browser did not open.")
            explanation = (
                problem
                + " "
                + self.tr(
                    "Use Copy sign-in link, paste the link into a browser on this computer and "
                    "finish signing in there."
                )
            )
        else:
            title = self.tr("Continue in your browser")
            explanation = self.tr(
                "A sign-in page has opened in your browser. Come back here when it says you "
                "can close it."
            )
        self.waiting_title.setText(title)
        self.waiting_explanation.setText(explanation)
        self.waiting_explanation.setAccessibleDescription(explanation)
        failed = browser == "failed"
        if failed != self._browser_failed_shown:
            self._browser_failed_shown = failed
            # With no browser, copying the link is the one way on: make it the primary action.
            _set_primary(self.copy_link_button, failed)
            self.copy_link_button.setDefault(failed)
            on_page = self.pages.currentWidget() is self._page_widgets["waiting"]
            if failed and on_page and self.isActiveWindow():
                self.copy_link_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.copy_link_button.setEnabled(vm.page == "waiting" and vm.has_sign_in_link)

    @Slot()
    def _render_organizations(self) -> None:
        vm = self.vm
        enabled = vm.organizations_enabled and bool(vm.profile)
        organizations = vm.organizations if enabled else ()
        chosen = self.organization_combo.currentData()
        self.organization_combo.clear()
        for org_id, name, roles in organizations:
            label = clean(name, limit=60)
            if roles:
                label = self.tr("{name} ({roles})").format(
                    name=label, roles=", ".join(clean(r, limit=30) for r in roles)
                )
            self.organization_combo.addItem(label, org_id)
        index = self.organization_combo.findData(chosen)
        if index >= 0:
            self.organization_combo.setCurrentIndex(index)
        self.organizations_heading.setVisible(enabled)
        self.organization_row.setVisible(bool(organizations))
        self.no_organizations_label.setVisible(enabled and not organizations)

    @Slot()
    def _render_profile(self) -> None:
        vm = self.vm
        self._render_organizations()
        self.name_label.set_full_text(clean(vm.display_name) if vm.profile else "")
        username = one_line(vm.username)
        self.username_label.set_full_text(
            self.tr("Username: {username}").format(username=username) if username else ""
        )
        self.username_label.setVisible(bool(username))
        email = clean(vm.email)
        if email:
            mark = (
                f' <span style="color:{theme.success_colour(self.palette()).name()}">'
                f"✔ {html.escape(self.tr('verified'))}</span>"
                if vm.email_verified
                else f" ({html.escape(self.tr('not verified'))})"
            )
            self.email_label.setText(html.escape(breakable(email)) + mark)
            self.email_label.setToolTip(email)
        else:
            self.email_label.setText(html.escape(self.tr("No email address")))
            self.email_label.setToolTip("")
        self.email_verified = vm.email_verified
        self.user_id_label.set_full_text(self.tr("User ID: {sub}").format(sub=one_line(vm.user_id)))
        linked = vm.linked_identities
        self.identities_label.setText(
            breakable(self.tr("Linked accounts: {accounts}").format(accounts=linked))
            if linked
            else ""
        )
        self.identities_label.setAccessibleDescription(self.identities_label.text())
        self.identities_label.setVisible(bool(linked))
        self.offline_label.setVisible(vm.offline)
        self.email_label.setAccessibleDescription(
            email + (" " + self.tr("verified") if vm.email_verified else "")
        )
        self._show_avatar_placeholder()
        if vm.avatar_url:
            self._avatar_loader.load(vm.avatar_url)
        else:
            self._avatar_loader.clear()

    @Slot(QImage)
    def _show_avatar_image(self, image: QImage) -> None:
        self.avatar.setPixmap(rounded(image, AVATAR_SIZE, self.devicePixelRatioF()))
        self.avatar.setProperty("placeholder", False)
        self.avatar.setAccessibleDescription(self.tr("Profile picture"))

    @Slot()
    def _show_avatar_placeholder(self) -> None:
        self.avatar.setPixmap(
            placeholder_pixmap(self.vm.initials, AVATAR_SIZE, self.devicePixelRatioF())
        )
        self.avatar.setProperty("placeholder", True)
        self.avatar.setAccessibleDescription(
            self.tr("Initials {initials}").format(initials=self.vm.initials)
        )

    @Slot()
    def _render_token_status(self) -> None:
        self.token_status_label.setText(self.vm.token_status_text)
        self.token_status_label.setAccessibleDescription(self.vm.token_status_text)

    @Slot()
    def _render_details(self) -> None:
        self.id_claims_view.setPlainText(self.vm.id_token_claims_text)

    @Slot(str)
    def _render_api_claims(self, text: str) -> None:
        self.api_claims_view.setPlainText(text)
        self.api_claims_view.setVisible(bool(text))

    @Slot(bool)
    def _render_busy(self, busy: bool) -> None:
        for button in (
            self.refresh_button,
            self.sign_out_button,
            self.api_token_button,
            self.organization_token_button,
        ):
            button.setEnabled(not busy)

    @Slot()
    def _render_settings(self) -> None:
        vm = self.vm
        self.endpoint_label.set_full_text(clean(vm.endpoint_text, limit=400))
        social = clean(vm.social_name, limit=40)
        # "&" would make a mnemonic out of the next letter of the person's own text.
        self.social_button.setText(
            self.tr("Con&tinue with {name}").format(name=social.replace("&", "&&"))
        )
        self.social_button.setVisible(bool(social))
        self.api_resource_combo.clear()
        self.api_resource_combo.addItems(list(vm.api_resources))
        self.api_row.setVisible(bool(vm.api_resources))
        self._render_organizations()

    @Slot()
    def _render_hint(self) -> None:
        self.hint_label.setText(breakable(self.vm.hint))
        self.hint_label.setAccessibleDescription(self.vm.hint)
        self.hint_label.setVisible(bool(self.vm.hint))
        if self.vm.page == "starting":
            self.busy_label.setText(self.vm.hint)

    # ------------------------------------------------------------------ actions

    def _fit_on_screen(self) -> None:
        """A saved size larger than the screen (an older version grew to 32,767 px for a very
        long endpoint) is brought back within the screen."""
        screen = self.screen()
        if screen is None:
            return
        room = screen.availableGeometry().size()
        if self.width() > room.width() or self.height() > room.height():
            self.resize(self.size().boundedTo(room).expandedTo(self.minimumSize()))

    @Slot()
    def _cancel_by_key(self) -> None:
        if self.cancel_button.isVisible() and self.cancel_button.isEnabled():
            self.cancel_button.click()

    @Slot()
    def _sign_out(self) -> None:
        self.vm.sign_out(self.end_session_checkbox.isChecked())

    @Slot(bool)
    def _end_session_toggled(self, checked: bool) -> None:
        if self.prefs is not None:
            self.prefs.end_browser_session = checked

    @Slot(bool)
    def _set_details_open(self, open_: bool) -> None:
        if self.details_toggle.isChecked() != open_:
            self.details_toggle.setChecked(open_)  # re-enters through toggled
            return
        self.details_toggle.setArrowType(
            Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow
        )
        self.details_panel.setVisible(open_)
        if self.prefs is not None:
            self.prefs.token_details_open = open_

    @Slot()
    def _get_api_token(self) -> None:
        self.vm.get_api_token(self.api_resource_combo.currentText())

    @Slot()
    def _get_organization_token(self) -> None:
        self.vm.get_organization_token(str(self.organization_combo.currentData() or ""))

    @Slot()
    def show_about(self) -> None:
        """Open the About box (window-modal, no nested event loop)."""
        if self.about_dialog is None:
            from desktop_app.ui.about import AboutDialog

            self.about_dialog = AboutDialog(self.vm.endpoint, self.icon, self)
        self.about_dialog.open()

    @Slot()
    def bring_to_front(self) -> None:
        """Back to the front after the browser had the focus (sign-in done, second launch)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ Qt overrides

    def _restyle(self) -> None:
        """Colours that follow the palette (light or dark): cards, secondary text."""
        palette = self.palette()
        c = theme.colours(palette)
        for card in self.findChildren(QFrame, "card"):
            card.setStyleSheet(
                f"QFrame#card {{ background: {c.base}; border: 1px solid {c.border};"
                f" border-radius: {theme.RADIUS}px; }}"
            )
        for bar in self.findChildren(QProgressBar):
            bar.setStyleSheet(
                f"QProgressBar {{ border: none; background: {c.border}; border-radius: 3px; }}"
                f" QProgressBar::chunk {{ background: {c.accent}; border-radius: 3px; }}"
            )
        # Fusion draws a check box's outline as the Window colour darkened by 140 %: 2.3:1 on a
        # light field and all but invisible on a dark one (WCAG 1.4.11 wants 3:1). Give it a
        # Window colour whose darker shade is theme's border colour.
        for box in self.findChildren(QCheckBox):
            box_palette = box.palette()
            box_palette.setColor(QPalette.ColorRole.Window, QColor(c.border).lighter(140))
            box.setPalette(box_palette)
        muted = theme.muted_colour(palette)
        for label in self.findChildren(QLabel):
            if label.property("muted"):
                label_palette = label.palette()
                label_palette.setColor(QPalette.ColorRole.WindowText, muted)
                label.setPalette(label_palette)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc cancels the wait, wherever the focus is on the page (no button takes Esc, so it
        # arrives here).
        if (
            event.key() == Qt.Key.Key_Escape
            and self.pages.currentWidget() is self._page_widgets["waiting"]
        ):
            self._cancel_by_key()
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in {QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange}:
            theme.apply(self)
            self._restyle()
            self._render_banner()
            self._render_profile()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.prefs is not None:
            self.prefs.set_geometry(self.saveGeometry())
            self.prefs.sync()
        super().closeEvent(event)
