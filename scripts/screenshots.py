"""Render the main window's states in a real window and save PNGs to docs/screenshots/.

    scripts/with-secret-service xvfb-run -a -s "-screen 0 1280x1024x24" \
        .venv/bin/python scripts/screenshots.py
    QT_SCALE_FACTOR=2 scripts/with-secret-service xvfb-run -a ... scripts/screenshots.py --suffix @2x

Under scripts/with-secret-service the tokens go to a real (throwaway) Secret Service, so the
window says where a person's tokens would be; without one, an in-memory test keyring is used.

States: first run (nothing configured), signed-out (with the demo hint), waiting for the
browser, a browser that did not open (Chromium as root), signed-in, signed-in with the token
details open, an error, the smallest window, and the browser tab the sign-in ends on (success
and error); each in a light and a dark palette. ``--german`` shoots the window in German
instead (de-*.png: signed out, and token details with organizations). The real app is driven against the local
identity provider; headless Chromium (the test suite's ``person``) plays the browser for the
signed-in shots. Nothing secret is drawn: the window never shows a token.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.backends import SecretService
from playwright.sync_api import Route
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.local_idp import LocalIdp, LocalIdpInfo  # noqa: E402
from desktop_app.app import DesktopApp, create_application, demo_hint  # noqa: E402
from desktop_app.auth.session import State  # noqa: E402
from desktop_app.ui import theme  # noqa: E402
from desktop_app.ui.qt_async import run_app  # noqa: E402
from tests.fixtures.chromium import CHROMIUM, ChromiumPerson, look_only, sign_in_as  # noqa: E402
from tests.fixtures.keyrings import InMemoryKeyring  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(60):
        while not condition():  # noqa: ASYNC110 - a dev script polling view-model state
            await asyncio.sleep(0.05)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keyring_for_screenshots() -> KeyringBackend:
    """The real Secret Service when one is running, else an in-memory test backend."""
    try:
        SecretService.Keyring.priority  # noqa: B018 - raises when no Secret Service answers
    except Exception:
        return InMemoryKeyring()
    return SecretService.Keyring()


class RootChromium:
    """A browser opener that fails the way Debian's chromium does for root (for the shot)."""

    last_problem = "Chromium refuses to run as the root user, so no sign-in page opened."

    def __call__(self, url: str) -> bool:
        return False


def _serve(body: bytes, csp: str) -> Callable[[Route], None]:
    """A Playwright route handler answering with one page and its CSP, as the receiver does."""

    def answer(route: Route) -> None:
        route.fulfill(
            body=body,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp},
        )

    return answer


def shoot_callback_pages(suffix: str, scale: float) -> None:
    """The browser tab the sign-in ends on, as the loopback receiver serves it."""
    from playwright.sync_api import sync_playwright

    from desktop_app.auth import loopback

    pages = {
        "callback-success": loopback._finish_page(True, ""),
        "callback-error": loopback._denied_page(
            "access_denied", "You cancelled signing in at the provider."
        ),
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport={"width": 620, "height": 460},
                    color_scheme=scheme,
                    device_scale_factor=scale,
                )
                page = context.new_page()
                for name, callback_page in pages.items():
                    page.route("http://127.0.0.1:9/callback", _serve(*callback_page.render()))
                    page.goto("http://127.0.0.1:9/callback")
                    path = OUT / f"{name}-{scheme}{suffix}.png"
                    page.screenshot(path=str(path))
                    page.unroute("http://127.0.0.1:9/callback")
                    print(path)
                context.close()
        finally:
            browser.close()


class Shooter:
    def __init__(self, app: QApplication, info: LocalIdpInfo, person: ChromiumPerson, suffix: str):
        self.app = app
        self.info = info
        self.person = person
        self.suffix = suffix
        self.tmp = Path(tempfile.mkdtemp(prefix="desktop-app-shots-"))
        self.keyring = keyring_for_screenshots()
        self.count = 0

    def build(
        self,
        overrides: dict[str, object],
        opener: Callable[[str], bool],
        *,
        first_run_settings: bool = False,
    ) -> DesktopApp:
        self.count += 1
        desktop = DesktopApp(
            overrides=overrides,
            config_path=self.tmp / f"config-{self.count}.toml",
            prefs_path=self.tmp / f"ui-{self.count}.ini",
            keyring_backend=self.keyring,
            open_browser=opener,
            show_first_run_settings=first_run_settings,
        )
        desktop.window.resize(620, 660)
        desktop.start()
        # Active, as on a desktop, so the focused control shows its focus ring.
        desktop.window.raise_()
        desktop.window.activateWindow()
        return desktop

    async def save(self, desktop: DesktopApp, name: str) -> None:
        for _ in range(5):  # let layouts and the avatar placeholder settle
            await asyncio.sleep(0.05)
        path = OUT / f"{name}{self.suffix}.png"
        if not desktop.window.grab().save(str(path)):
            raise RuntimeError(f"could not write {path}")
        print(path)

    async def close(self, desktop: DesktopApp) -> None:
        session = desktop.view_model.session
        if session is not None and session.state is State.SIGNED_IN:
            await session.sign_out()  # the keyring is shared by the next shots
        desktop.quit()
        await desktop.shutdown()
        desktop.window.deleteLater()
        desktop.deleteLater()

    async def shoot(self, palette_name: str) -> None:
        info = self.info
        settings: dict[str, object] = {
            "endpoint": info.endpoint,
            "app_id": info.app_id,
            "resources": info.api_resource,
        }
        if info.social_connector is not None:  # as `--demo` configures it
            settings["social_target"] = info.social_connector.target
            settings["social_name"] = info.social_connector.name
        # First run: nothing configured yet.
        d = self.build({}, self.person.opener(look_only()))
        await until(lambda: d.view_model.page == "not_configured")
        await self.save(d, f"first-run-{palette_name}")
        await self.close(d)

        # Signed out (with the demo hint, as `--demo` shows it).
        d = self.build(settings, self.person.opener(look_only()))
        d.view_model.set_hint(demo_hint(info))
        await until(lambda: d.view_model.page == "signed_out")
        await self.save(d, f"signed-out-{palette_name}")
        # Waiting for the browser.
        d.view_model.sign_in()
        await until(lambda: d.view_model.has_sign_in_link)
        await asyncio.sleep(2.2)  # the elapsed time ticks
        await self.save(d, f"waiting-{palette_name}")
        d.view_model.cancel()
        await until(lambda: d.view_model.page == "signed_out")
        await self.close(d)

        # The browser did not open (what Debian's chromium does when run as root).
        d = self.build(settings, RootChromium())
        await until(lambda: d.view_model.page == "signed_out")
        d.view_model.sign_in()
        await until(lambda: d.view_model.has_sign_in_link)
        await self.save(d, f"browser-failed-{palette_name}")
        d.view_model.cancel()
        await until(lambda: d.view_model.page == "signed_out")
        await self.close(d)

        # Signed in, then with the token details and an API token.
        d = self.build(settings, self.person.opener(sign_in_as("alice", info.password_of("alice"))))
        await until(lambda: d.view_model.page == "signed_out")
        d.view_model.sign_in()
        await until(lambda: d.view_model.page == "signed_in")
        await self.save(d, f"signed-in-{palette_name}")
        d.window.details_toggle.setChecked(True)
        d.view_model.get_api_token()
        await until(lambda: bool(d.view_model.api_claims_text))
        d.window.resize(620, 980)
        await self.save(d, f"token-details-{palette_name}")
        await self.close(d)

        # An error: the Logto endpoint cannot be reached.
        down: dict[str, object] = {
            "endpoint": f"http://127.0.0.1:{closed_port()}",
            "app_id": info.app_id,
        }
        d = self.build(down, self.person.opener(look_only()))
        await until(lambda: d.view_model.page == "signed_out")
        d.view_model.sign_in()
        await until(lambda: d.view_model.page == "error")
        await self.save(d, f"error-{palette_name}")
        # The same at the smallest size the window allows: it scrolls, nothing is cut.
        d.window.resize(d.window.minimumSize())
        await self.save(d, f"smallest-{palette_name}")
        await self.close(d)

    async def shoot_german(self) -> None:
        """The window in German (--german): signed out, and signed in with the token details
        showing the person's organizations and an organization token."""
        info = self.info
        settings: dict[str, object] = {
            "endpoint": info.endpoint,
            "app_id": info.app_id,
            "scopes": "email read:reports write:reports",
            "organizations": True,
        }
        d = self.build(settings, self.person.opener(sign_in_as("alice", info.password_of("alice"))))
        d.view_model.set_hint(demo_hint(info))
        await until(lambda: d.view_model.page == "signed_out")
        await self.save(d, "de-signed-out-light")
        d.view_model.sign_in()
        await until(lambda: d.view_model.page == "signed_in")
        d.window.details_toggle.setChecked(True)
        d.view_model.get_organization_token("org_acme")
        await until(lambda: bool(d.view_model.api_claims_text))
        d.window.resize(620, 1040)
        await self.save(d, "de-token-details-light")
        await self.close(d)


async def main_async(app: QApplication, suffix: str, german: bool = False) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    idp = LocalIdp()
    info = await asyncio.to_thread(idp.start)
    person = await asyncio.to_thread(ChromiumPerson)
    try:
        shooter = Shooter(app, info, person, suffix)
        app.setStyle("Fusion")
        if german:
            app.setPalette(app.style().standardPalette())
            await shooter.shoot_german()
            return 0
        light = app.style().standardPalette()
        for name, palette in (("light", light), ("dark", theme.dark_palette())):
            app.setPalette(palette)
            await shooter.shoot(name)
            await asyncio.to_thread(person.reset)
    finally:
        await asyncio.to_thread(person.close)
        await asyncio.to_thread(idp.stop)
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1") or 1)
    await asyncio.to_thread(shoot_callback_pages, suffix, scale)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suffix", default="", help="added to every file name, e.g. @2x")
    parser.add_argument(
        "--german", action="store_true", help="only the German shots (de-*.png), as in de_DE"
    )
    args = parser.parse_args()
    if args.german:
        # Before the QApplication: its translators follow QLocale(), as under LANG=de_DE.UTF-8.
        QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    app = create_application([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    return run_app(app, lambda: main_async(app, args.suffix, args.german))


if __name__ == "__main__":
    raise SystemExit(main())
