"""Sign in with no UI: AuthSession against the local Logto-compatible provider.

Headless Chromium plays the person (the browser opener is the seam a real app leaves to the
system browser). Run it with ``.venv/bin/python examples/headless_sign_in.py``.
"""

import asyncio
import threading

from playwright.sync_api import sync_playwright

from demo.local_idp import LocalIdp
from desktop_app.auth.session import AuthSession
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.config import Settings


def chromium_signs_in_as(username: str, password: str, threads: list[threading.Thread]):
    """A browser opener: a headless Chromium fills Logto's sign-in form on its own thread."""

    def person(url: str) -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page()
            page.goto(url)
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("http://127.0.0.1:*/**")  # back at the app's loopback listener
            browser.close()

    def open_browser(url: str) -> bool:
        threads.append(threading.Thread(target=person, args=(url,)))
        threads[-1].start()
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
        await session.sign_in()
        profile = session.profile
        print(f"Signed in as {profile['name']} <{profile['email']}> (sub {profile['sub']})")
        result = await session.sign_out()
        print("Signed out; refresh token revoked:", result.revoked)
        await session.close()
    for browser in browsers:
        browser.join()


if __name__ == "__main__":
    asyncio.run(main())
