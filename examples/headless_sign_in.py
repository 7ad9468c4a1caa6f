"""Sign in with no UI: AuthSession against the local Logto-compatible provider.

Headless Chromium plays the person (the browser opener is the seam a real app leaves to the
system browser). Run it with ``.venv/bin/python examples/headless_sign_in.py``; set CHROMIUM to
use a Chromium other than /usr/bin/chromium.
"""

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import sync_playwright

# The local provider's launcher is the checkout's top-level demo package, not part of the
# installed app: run from a checkout, it sits next to examples/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.local_idp import LocalIdp  # after the path above
from desktop_app.auth.session import AuthSession
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.config import Settings
from desktop_app.errors import DesktopAppError

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class BrowserDidNotStart(RuntimeError):
    """Playwright's driver or Chromium could not be started."""


def chromium_signs_in_as(
    username: str, password: str, threads: list[threading.Thread]
) -> Callable[[str], bool]:
    """A browser opener: a headless Chromium fills Logto's sign-in form on its own thread.

    The opener returns only once Chromium has started, and raises if it could not, so a
    missing browser or driver library ends the sign-in at once instead of leaving it waiting
    for a callback that never comes."""

    def person(url: str, started: threading.Event, failure: list[Exception]) -> None:
        try:
            pw = sync_playwright().start()
            try:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
            except Exception:
                pw.stop()
                raise
        except Exception as exc:  # reported by open_browser on the caller's thread
            failure.append(exc)
            started.set()
            return
        started.set()
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("http://127.0.0.1:*/**")  # back at the app's loopback listener
            browser.close()
        finally:
            pw.stop()

    def open_browser(url: str) -> bool:
        started = threading.Event()
        failure: list[Exception] = []
        threads.append(threading.Thread(target=person, args=(url, started, failure)))
        threads[-1].start()
        started.wait()
        if failure:
            raise BrowserDidNotStart(f"headless Chromium ({CHROMIUM}) did not start: {failure[0]}")
        return True

    return open_browser


async def main() -> None:
    browsers: list[threading.Thread] = []
    with LocalIdp() as idp:
        info = idp.info
        settings = Settings(endpoint=info.endpoint, app_id=info.app_id, scopes=("email",))
        session = AuthSession(
            settings,
            storage=SessionOnlyStorage(),  # a real app keeps the default: the OS keyring
            open_browser=chromium_signs_in_as("alice", info.password_of("alice"), browsers),
        )
        try:
            try:
                await session.sign_in()
            except DesktopAppError as exc:
                # The session turns an opener's exception into an error for people; this
                # script would rather say what went wrong with its browser.
                if isinstance(exc.__cause__, BrowserDidNotStart):
                    raise exc.__cause__ from None
                raise
            profile = session.profile
            print(f"Signed in as {profile['name']} <{profile['email']}> (sub {profile['sub']})")
            result = await session.sign_out()
            print("Signed out; refresh token revoked:", result.revoked)
        finally:
            await session.close()
    for browser in browsers:
        browser.join()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except BrowserDidNotStart as exc:
        sys.exit(
            f"{exc}\nOn Debian/Ubuntu, ./run setup installs chromium and what Playwright needs."
        )
