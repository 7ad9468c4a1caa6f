"""What an :class:`~desktop_app.auth.session.AuthSession` tells its observers, and the seams it
takes: light on purpose (no aiohttp, pydantic or cryptography), so a UI can import it and paint
its first window before the rest of the auth stack has loaded.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from desktop_app.errors import DesktopAppError

BrowserOpener = Callable[[str], bool]
Observer = Callable[["Snapshot"], None]


class State(enum.Enum):
    """Where the session is. Errors keep the state they happened in and set ``Snapshot.error``,
    except a failed sign-in, which lands in ``ERROR`` until the next action."""

    RESTORING = "restoring"
    SIGNED_OUT = "signed_out"
    WAITING_FOR_BROWSER = "waiting_for_browser"
    COMPLETING = "completing"
    SIGNED_IN = "signed_in"
    SIGNING_OUT = "signing_out"
    ERROR = "error"


@dataclass(frozen=True)
class Snapshot:
    """Everything a UI needs to render the session; never holds a token."""

    state: State
    profile: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    error: DesktopAppError | None = None
    notice: str = ""
    offline: bool = False
    # While waiting: the listener's one-time start URL the browser was sent to (it leads to the
    # authorization request; a fresh one comes from AuthSession.new_sign_in_link()).
    sign_in_url: str | None = None
    browser_opened: bool = True
    waiting_since: float | None = None
    timeout: float = 0.0
    storage_label: str = ""
    # The keyring backend in use ("Secret Service", "KWallet", ... or the one refused for not
    # encrypting); "" in session-only mode or before the keyring was first opened.
    keyring_backend: str = ""
    busy: bool = False


@dataclass(frozen=True)
class TokenStatus:
    """What the UI may say about the tokens (never the tokens themselves)."""

    access_token_expires_at: float | None
    refresh_available: bool
    storage_label: str


#: How long a browser command may take to fail before we believe it started (seconds).
LAUNCH_GRACE = 1.5
# Debian's chromium wrapper, as root without --no-sandbox: "Running as root without
# --no-sandbox is not supported." (the message comes from Chromium itself).
_ROOT_REFUSAL = "as root"


@dataclass(frozen=True)
class BrowserLaunch:
    """How opening the system browser went; ``problem`` is in words for people."""

    opened: bool
    problem: str = ""


class SystemBrowser:
    """Opens URLs in the system browser (RFC 8252 8.12: never an embedded user-agent) and tells
    the truth about it.

    :mod:`webbrowser` starts a browser command and reports success as soon as the process
    exists, and never waits for it: Debian's ``chromium`` run as root exits at once with an error,
    yet ``webbrowser.open`` says True and leaves a zombie. Here the command gets
    :data:`LAUNCH_GRACE` seconds: a quick non-zero exit is a failure (with the reason), a quick
    zero exit (``xdg-open`` handing over) or a process still running is a success, and every
    process is reaped. Blocking for that grace is fine: callers run it on a worker thread
    (``asyncio.to_thread``), never on the UI thread.

    Call it like a :data:`BrowserOpener`; :attr:`last_problem` says why the last call failed.
    """

    def __init__(self, grace: float = LAUNCH_GRACE) -> None:
        self.grace = grace
        self.last_problem = ""

    def __call__(self, url: str) -> bool:
        launch = self.launch(url)
        self.last_problem = launch.problem
        return launch.opened

    def launch(self, url: str) -> BrowserLaunch:
        import webbrowser  # not needed before the first sign-in

        try:
            controller = webbrowser.get()
        except webbrowser.Error:
            return BrowserLaunch(False, "No web browser was found on this computer.")
        command = _command_line(controller, url)
        if command is None:  # macOS, Windows: the platform opens URLs itself and says how it went
            try:
                opened = controller.open(url, new=2)
            except webbrowser.Error:
                opened = False
            return BrowserLaunch(opened, "" if opened else "The system browser did not open.")
        return self._run(command)

    def _run(self, command: list[str]) -> BrowserLaunch:
        import subprocess
        import tempfile
        import threading

        name = os.path.basename(command[0])
        with tempfile.TemporaryFile() as stderr:
            try:
                process = subprocess.Popen(  # noqa: S603 - no shell; the URL is one argument
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    close_fds=True,
                    start_new_session=True,  # a Ctrl+C in our terminal must not close it
                )
            except OSError:
                return BrowserLaunch(False, f"The browser command “{name}” could not be started.")
            try:
                code = process.wait(self.grace)
            except subprocess.TimeoutExpired:
                # Still running: a browser that started. Reap it whenever it ends.
                threading.Thread(target=process.wait, name="browser-reaper", daemon=True).start()
                return BrowserLaunch(True)
            if code == 0:
                return BrowserLaunch(True)
            stderr.seek(0)
            said = stderr.read(4096).decode("utf-8", "replace")
        if _ROOT_REFUSAL in said and "sandbox" in said:
            return BrowserLaunch(
                False, "Chromium refuses to run as the root user, so no sign-in page opened."
            )
        return BrowserLaunch(False, f"The browser command “{name}” failed (exit status {code}).")


def _command_line(controller: Any, url: str) -> list[str] | None:
    """The command ``webbrowser`` would run for ``url``, or None where it runs none (macOS,
    Windows). ``%action`` is a remote-control placeholder; we open a plain new window/tab."""
    import webbrowser

    if not isinstance(controller, webbrowser.GenericBrowser | webbrowser.UnixBrowser):
        return None
    args = [a.replace("%s", url).replace("%action", "") for a in getattr(controller, "args", [])]
    args = [a for a in args if a]
    if url not in args:
        args.append(url)
    return [controller.name, *args]


def default_browser_opener(url: str) -> bool:
    """Open ``url`` in the system browser; False when it did not open (see :class:`SystemBrowser`)."""
    return SystemBrowser()(url)
