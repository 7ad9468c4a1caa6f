"""SessionViewModel: AuthSession snapshots in, Qt properties and signals out.

The window binds to this object and calls its slots; it never sees the session, a token or a
coroutine. Every slot that needs the network starts a task through the
:class:`~desktop_app.ui.qt_async.TaskRunner` and returns at once; the session's snapshots come back
through :meth:`SessionViewModel._on_snapshot` and become property changes.

Pages (``page`` property): ``not_configured``, ``starting``, ``restoring``, ``signed_out``,
``waiting``, ``completing``, ``signed_in``, ``signing_out``, ``error`` (a failed sign-in: the
signed-out page with the error shown).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication

from desktop_app.auth.state import Snapshot, State
from desktop_app.errors import DesktopAppError
from desktop_app.ui.qt_async import TaskRunner
from desktop_app.ui.text import one_line

if TYPE_CHECKING:  # the auth stack loads after the first paint (see DesktopApp.start)
    from desktop_app.auth.organizations import Organization
    from desktop_app.auth.session import AuthSession
    from desktop_app.auth.stored_session import StoredSession
    from desktop_app.config import Settings

logger = logging.getLogger(__name__)

_PAGES = {
    State.RESTORING: "restoring",
    State.SIGNED_OUT: "signed_out",
    State.WAITING_FOR_BROWSER: "waiting",
    State.COMPLETING: "completing",
    State.SIGNED_IN: "signed_in",
    State.SIGNING_OUT: "signing_out",
    State.ERROR: "error",
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("SessionViewModel", text)


def format_duration(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a number of seconds."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def initials_for(name: str) -> str:
    """Up to two capital letters for an avatar placeholder ("Alice Example" -> "AE")."""
    words = [w for w in name.replace("_", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


# JWT NumericDate claims (RFC 7519 4.1.4-4.1.6; OIDC Core 2: auth_time; 5.1: updated_at),
# and Logto's created_at/updated_at, which are in milliseconds.
TIME_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time", "updated_at", "created_at"})
_MILLISECONDS = 100_000_000_000  # later than the year 5138 in seconds: it must be milliseconds


def local_time(seconds: float) -> str:
    """A NumericDate as the person's local date and time in their locale's way, e.g.
    ``03.12.26 07:12:05 MEZ`` in German; ISO 8601 (``2026-12-03 07:12:05 CET``) for the
    C locale, which has no conventions of its own."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    zone = datetime.fromtimestamp(seconds).astimezone().strftime("%Z")  # CET, not its long name
    date = locale.toString(_moment(seconds), locale.dateFormat(QLocale.FormatType.ShortFormat))
    return f"{date} {clock_time(seconds)} {zone}"


def _moment(seconds: float) -> QDateTime:
    moment = QDateTime.fromSecsSinceEpoch(int(seconds))
    if not moment.isValid():
        raise ValueError("not a representable time")
    return moment


def clock_time(seconds: float) -> str:
    """A time of day with seconds in the person's locale (``07:12:05``, ``7:12:05 AM``)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return datetime.fromtimestamp(seconds).strftime("%H:%M:%S")
    # The long format with its time zone name ("t": "Mitteleuropäische Normalzeit") left out.
    pattern = re.sub(r"\s*\bt+\b", "", locale.timeFormat(QLocale.FormatType.LongFormat)).strip()
    return locale.toString(_moment(seconds), pattern)


def claims_text(claims: Mapping[str, Any]) -> str:
    """Decoded claims for Token details: JSON, with times as local dates instead of epochs
    (the epoch stays in brackets for whoever compares it with a log)."""
    shown: dict[str, Any] = {}
    for key, value in claims.items():
        if key in TIME_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value >= _MILLISECONDS else value
            try:
                shown[key] = f"{local_time(seconds)} ({int(value)})"
            except (OverflowError, OSError, ValueError):
                shown[key] = value
        else:
            shown[key] = value
    return json.dumps(shown, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class SessionViewModel(QObject):
    """What the main window shows, derived from the current :class:`AuthSession` snapshot."""

    page_changed = Signal(str)
    banner_changed = Signal()
    waiting_changed = Signal()
    profile_changed = Signal()
    token_status_changed = Signal()
    details_changed = Signal()
    api_claims_changed = Signal(str)
    busy_changed = Signal(bool)
    settings_changed = Signal()
    hint_changed = Signal()
    #: After a sign-in through the browser completed: the window comes back to the front.
    signed_in = Signal()
    #: Any failure the task runner reports, in words for people.
    error_occurred = Signal(str)

    def __init__(
        self,
        runner: TaskRunner | None = None,
        *,
        clock: Callable[[], float] = time.time,
        browser_problem: Callable[[], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # Why the system browser did not open, in words (SystemBrowser.last_problem); read on
        # the Qt thread when a snapshot says the browser did not open.
        self._browser_problem = browser_problem or (lambda: "")
        self._runner = runner or TaskRunner(self)
        self._runner.error_occurred.connect(self._on_task_error)
        self._clock = clock
        self._session: AuthSession | None = None
        # The stored session shown until the session's restore has ended (see show_stored).
        self._stored: StoredSession | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._snapshot: Snapshot | None = None
        self._page = "not_configured"
        self._banner_text = ""
        self._banner_advice = ""
        self._banner_is_error = False
        self._hint = ""
        self._busy = False
        self._profile: Mapping[str, Any] = {}
        self._profile_offline = False
        self._token_status_text = ""
        self._id_claims_text = ""
        self._api_claims_text = ""
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.waiting_changed)
        # The access token's "expires in m:ss" counts down while signed in.
        self._token_ticker = QTimer(self)
        self._token_ticker.setInterval(1000)
        self._token_ticker.timeout.connect(self._tick_token_status)

    # ------------------------------------------------------------------ session wiring

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    @property
    def session(self) -> AuthSession | None:
        return self._session

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def show_stored(self, stored: StoredSession) -> None:
        """Show the stored session (read before the SDK stack loaded) until the next session
        for the same settings has restored it: its first snapshot after ``restoring`` replaces
        this one. Busy meanwhile, so no action needs the session that is not there yet."""
        self._stored = stored
        self.settings_changed.emit()
        self._show(stored.snapshot)

    def set_session(self, session: AuthSession | None) -> None:
        """Show ``session`` from now on (None: nothing configured). The old one is closed."""
        stored = self._stored
        if stored is not None and (session is None or session.settings != stored.settings):
            self._stored = None  # other settings: the stored session is not theirs
        old = self._session
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if old is not None and old is not session:
            self._runner.start(old.close(), name="close old session")
        self._session = session
        self._snapshot = None
        self._set_api_claims("")
        self.settings_changed.emit()
        if session is None:
            self._set_page("not_configured")
            self._ticker.stop()
            self._token_ticker.stop()
            return
        self._unsubscribe = session.subscribe(self._on_snapshot)
        if self._stored is None:
            self._on_snapshot(session.snapshot)

    def set_starting(self, text: str) -> None:
        """Something is being prepared before there is a session (the demo's local IdP)."""
        self.set_hint(text)
        self._set_page("starting")

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self._stored is not None:
            if snapshot.state is State.RESTORING:
                return  # the stored session stays on screen while it is restored
            self._stored = None
        self._show(snapshot)

    def _show(self, snapshot: Snapshot) -> None:
        previous = self._snapshot
        self._snapshot = snapshot
        page = _PAGES[snapshot.state]
        error = snapshot.error
        if error is not None:
            self._set_banner(error.message, error.advice, is_error=True)
        elif snapshot.notice and not (page == "waiting" and not snapshot.browser_opened):
            # (A browser that did not open is explained on the waiting page itself, with the
            # reason and the way out; the same words in a banner above it would only repeat it.)
            self._set_banner(snapshot.notice, "", is_error=False)
        else:
            self._set_banner("", "", is_error=False)
        if page in {"waiting", "completing"}:
            if not self._ticker.isActive():
                self._ticker.start()
        else:
            self._ticker.stop()
        if page == "signed_in":
            if not self._token_ticker.isActive():
                self._token_ticker.start()
        else:
            self._token_ticker.stop()
        self._set_busy(snapshot.busy)
        self._update_profile(snapshot)
        if snapshot.state is not State.SIGNED_IN:
            self._set_api_claims("")
        self._set_page(page)
        self.waiting_changed.emit()
        if (
            snapshot.state is State.SIGNED_IN
            and previous is not None
            and previous.state is State.COMPLETING
        ):
            self.signed_in.emit()

    def _update_profile(self, snapshot: Snapshot) -> None:
        profile = dict(snapshot.profile) if snapshot.state is State.SIGNED_IN else {}
        # The profile card says "offline" too: the same stored profile can come back offline.
        if profile != self._profile or snapshot.offline != self._profile_offline:
            self._profile = profile
            self._profile_offline = snapshot.offline
            self.profile_changed.emit()
        status = ""
        claims = ""
        session = self._source
        if session is not None and snapshot.state is State.SIGNED_IN:
            status = self._describe_tokens(session)
            try:
                claims = claims_text(session.id_token_claims())
            except DesktopAppError:
                claims = ""
        if status != self._token_status_text:
            self._token_status_text = status
            self.token_status_changed.emit()
        if claims != self._id_claims_text:
            self._id_claims_text = claims
            self.details_changed.emit()

    @Slot()
    def _tick_token_status(self) -> None:
        session = self._source
        if session is None or self._snapshot is None or self._snapshot.state is not State.SIGNED_IN:
            return
        status = self._describe_tokens(session)
        if status != self._token_status_text:
            self._token_status_text = status
            self.token_status_changed.emit()

    def _describe_tokens(self, session: AuthSession | StoredSession) -> str:
        status = session.token_status()
        lines = []
        if status.access_token_expires_at is None:
            lines.append(_tr("Access token: none cached (fetched when needed)"))
        else:
            at = status.access_token_expires_at
            left = status.access_token_expires_at - self._clock()
            if left > 0:
                lines.append(
                    _tr("Access token expires at {time} (in {left})").format(
                        time=clock_time(at), left=format_duration(left)
                    )
                )
            else:
                lines.append(
                    _tr("Access token expired at {time} (renewed when needed)").format(
                        time=clock_time(at)
                    )
                )
        lines.append(
            _tr("Refresh token: available")
            if status.refresh_available
            else _tr("Refresh token: none (sign in again when the access token expires)")
        )
        lines.append(_tr("Tokens stored in: {where}").format(where=status.storage_label))
        return "\n".join(lines)

    # ------------------------------------------------------------------ small setters

    def _set_page(self, page: str) -> None:
        if page != self._page:
            self._page = page
            self.page_changed.emit(page)

    def _set_banner(self, text: str, advice: str, *, is_error: bool) -> None:
        new = (text, advice, is_error)
        if new != (self._banner_text, self._banner_advice, self._banner_is_error):
            self._banner_text, self._banner_advice, self._banner_is_error = new
            self.banner_changed.emit()

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _set_api_claims(self, text: str) -> None:
        if text != self._api_claims_text:
            self._api_claims_text = text
            self.api_claims_changed.emit(text)

    def set_hint(self, text: str) -> None:
        """A line of help under the sign-in buttons (e.g. the demo's test users)."""
        if text != self._hint:
            self._hint = text
            self.hint_changed.emit()

    def show_error(self, text: str, advice: str = "") -> None:
        """Show a problem that did not come from the session (settings, the demo IdP)."""
        self._set_banner(text, advice, is_error=True)

    def show_notice(self, text: str) -> None:
        """Show an informational message in the banner."""
        self._set_banner(text, "", is_error=False)

    @Slot(str)
    def _on_task_error(self, message: str) -> None:
        shown = f"{self._banner_text} {self._banner_advice}".strip()
        if message != shown:  # the snapshot already shows the same error
            self._set_banner(message, "", is_error=True)
        self.error_occurred.emit(message)

    # ------------------------------------------------------------------ properties

    @property
    def page(self) -> str:
        """Which page to show (see the module docstring); ``page_changed`` tells."""
        return self._page

    @property
    def banner_text(self) -> str:
        return self._banner_text

    @property
    def banner_advice(self) -> str:
        return self._banner_advice

    @property
    def banner_is_error(self) -> bool:
        return self._banner_is_error

    @property
    def hint(self) -> str:
        return self._hint

    @property
    def busy(self) -> bool:
        """The session is working (``busy_changed`` tells)."""
        return self._busy

    @property
    def stored_session_shown(self) -> bool:
        """The page shows the stored session, which the session has not restored yet."""
        return self._stored is not None

    @property
    def _source(self) -> AuthSession | StoredSession | None:
        """What the page shows: the stored session until the session has restored it."""
        return self._stored if self._stored is not None else self._session

    @property
    def _settings(self) -> Settings | None:
        source = self._source
        return source.settings if source is not None else None

    @property
    def configured(self) -> bool:
        return self._settings is not None

    @property
    def endpoint_text(self) -> str:
        s = self._settings
        if s is None:
            return _tr("Not configured yet: open Settings to enter your Logto endpoint and app ID.")
        return _tr("Signs in with Logto at {endpoint} (app {app_id})").format(
            endpoint=s.endpoint, app_id=s.app_id
        )

    @property
    def endpoint(self) -> str:
        s = self._settings
        return s.endpoint if s is not None else ""

    @property
    def social_name(self) -> str:
        """The social connector's display name, or "" when none is configured."""
        s = self._settings
        if s is None or not s.social_target:
            return ""
        return s.social_display_name

    @property
    def social_target(self) -> str:
        s = self._settings
        return s.social_target if s is not None else ""

    @property
    def api_resources(self) -> tuple[str, ...]:
        s = self._settings
        return s.resources if s is not None else ()

    @property
    def organizations_enabled(self) -> bool:
        """Whether Settings asks Logto for the person's organizations."""
        s = self._settings
        return s is not None and s.organizations

    @property
    def organizations(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """The person's organizations as (id, name, roles), in Logto's order."""
        source = self._source
        if source is None or not self.organizations_enabled:
            return ()
        found: tuple[Organization, ...] = source.organizations()
        return tuple((o.id, o.name, o.roles) for o in found)

    # waiting

    @property
    def waiting_elapsed(self) -> int:
        snap = self._snapshot
        if snap is None or snap.waiting_since is None:
            return 0
        return max(0, int(self._clock() - snap.waiting_since))

    @property
    def waiting_timeout(self) -> int:
        snap = self._snapshot
        return int(snap.timeout) if snap is not None else 0

    @property
    def waiting_text(self) -> str:
        if self._page == "completing":
            return _tr("Browser is back. Completing sign-in…")
        return _tr("Waiting {elapsed} of {timeout}").format(
            elapsed=format_duration(self.waiting_elapsed),
            timeout=format_duration(self.waiting_timeout),
        )

    @property
    def browser_opened(self) -> bool:
        return self._snapshot.browser_opened if self._snapshot is not None else True

    @property
    def browser_state(self) -> str:
        """While waiting: ``opening`` (the browser command is running), ``opened`` or ``failed``."""
        snap = self._snapshot
        if snap is None or snap.state is not State.WAITING_FOR_BROWSER or not snap.sign_in_url:
            return "opening" if self._page == "waiting" else "opened"
        return "opened" if snap.browser_opened else "failed"

    @property
    def browser_problem(self) -> str:
        """Why the browser did not open, for the waiting page ("" when it did, or unknown)."""
        return self._browser_problem() if self.browser_state == "failed" else ""

    @property
    def has_sign_in_link(self) -> bool:
        return bool(self._snapshot is not None and self._snapshot.sign_in_url)

    # profile

    @property
    def profile(self) -> Mapping[str, Any]:
        return self._profile

    @property
    def username(self) -> str:
        return _text(self._profile.get("username"))

    @property
    def display_name(self) -> str:
        return _text(self._profile.get("name")) or self.username or _tr("Unnamed user")

    @property
    def email(self) -> str:
        return _text(self._profile.get("email"))

    @property
    def email_verified(self) -> bool:
        return self._profile.get("email_verified") is True

    @property
    def user_id(self) -> str:
        return _text(self._profile.get("sub"))

    @property
    def linked_identities(self) -> str:
        """Social identities Logto linked to the user (userinfo ``identities``, with that scope)."""
        identities = self._profile.get("identities")
        if not isinstance(identities, Mapping):
            return ""
        names = {self.social_target: self.social_name} if self.social_target else {}
        parts = []
        for target, identity in identities.items():
            user_id = identity.get("userId") if isinstance(identity, Mapping) else None
            label = one_line(names.get(str(target), str(target)), limit=60)
            user = one_line(user_id, limit=60)
            parts.append(f"{label} ({user})" if user else label)
        return ", ".join(parts)

    @property
    def avatar_url(self) -> str:
        url = _text(self._profile.get("picture"))
        return url if url.startswith(("https://", "http://")) else ""

    @property
    def initials(self) -> str:
        return initials_for(_text(self._profile.get("name")) or self.username)

    @property
    def offline(self) -> bool:
        return bool(self._snapshot is not None and self._snapshot.offline)

    @property
    def token_status_text(self) -> str:
        return self._token_status_text

    @property
    def id_token_claims_text(self) -> str:
        return self._id_claims_text

    @property
    def api_claims_text(self) -> str:
        return self._api_claims_text

    # ------------------------------------------------------------------ actions

    def _start(self, what: str, coro: Any) -> None:
        self._runner.start(coro, name=what)

    @Slot()
    def restore(self) -> None:
        """Pick up the saved session (no browser)."""
        if self._session is not None:
            # Show "restoring" at once: the session says so only when the task first runs,
            # and a click on Sign in before then would race the restore. (A stored session on
            # screen stays there, busy, until the restore ends.)
            if self._stored is None:
                self._set_page("restoring")
            self._start("restore", self._session.restore())

    @Slot()
    def sign_in(self) -> None:
        if self._session is not None:
            self._start("sign in", self._session.sign_in())

    @Slot()
    def create_account(self) -> None:
        """Sign in with Logto's sign-up screen first."""
        if self._session is not None:
            self._start("create account", self._session.sign_in(mode="signUp"))

    @Slot()
    def continue_with_social(self) -> None:
        """Skip Logto's first screen and go straight to the configured social connector."""
        if self._session is not None and self._session.settings.social_target:
            target = self._session.settings.social_target
            self._start("social sign in", self._session.sign_in(direct_sign_in=f"social:{target}"))

    @Slot()
    def cancel(self) -> None:
        if self._session is not None:
            self._session.cancel()

    @Slot()
    def open_browser_again(self) -> None:
        if self._session is not None:
            self._start("open browser again", self._session.open_browser_again())

    @Slot()
    def copy_sign_in_link(self) -> None:
        """Put a fresh one-time sign-in link on the clipboard (each link works once)."""
        link = self._session.new_sign_in_link() if self._session is not None else None
        if not link:
            return
        QGuiApplication.clipboard().setText(link)
        logger.info("Sign-in link copied to the clipboard")
        self.show_notice(
            _tr(
                "Sign-in link copied. Paste it into a browser on this computer; the browser "
                "must be able to reach 127.0.0.1 here."
            )
        )

    @Slot()
    def refresh_profile(self) -> None:
        if self._session is not None:
            self._start("refresh profile", self._session.refresh_profile())

    @Slot(bool)
    def sign_out(self, end_browser_session: bool = False) -> None:
        if self._session is not None:
            self._start("sign out", self._session.sign_out(end_browser_session=end_browser_session))

    @Slot(str)
    def get_api_token(self, resource: str = "") -> None:
        """Fetch an access token for ``resource`` (default: the first configured API) and show
        its decoded claims; the token itself never leaves the session."""
        session = self._session
        if session is None:
            return
        resource = resource or (session.settings.resources[0] if session.settings.resources else "")
        if not resource:
            return

        async def fetch() -> None:
            claims = await session.access_token_claims(resource)
            if self._session is session:
                self._set_api_claims(claims_text(claims))
                self._update_profile(session.snapshot)

        self._start("get API token", fetch())

    @Slot(str)
    def get_organization_token(self, organization_id: str) -> None:
        """Fetch an organization token for one of :attr:`organizations` and show its decoded
        claims with the API tokens' (the token itself never leaves the session)."""
        session = self._session
        if session is None or not organization_id:
            return

        async def fetch() -> None:
            claims = await session.organization_token_claims(organization_id)
            if self._session is session:
                self._set_api_claims(claims_text(claims))
                self._update_profile(session.snapshot)

        self._start("get organization token", fetch())

    async def close(self) -> None:
        """Stop everything: pending tasks, then the session's network resources."""
        self._ticker.stop()
        self._token_ticker.stop()
        session = self._session
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._runner.shutdown()
        if session is not None:
            await session.close()
