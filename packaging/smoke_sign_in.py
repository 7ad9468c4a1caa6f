"""``desktop-app-self-test``: prove that the frozen bundle can sign in, without a screen.

Frozen by the same spec as ``desktop-app`` (same code, same hooks) when a test or CI asks for
it (``packaging/build-deb --self-test``, or ``DESKTOP_APP_SELF_TEST=1``), but never shipped:
it is an executable without an ``_internal/`` of its own, run next to the app's (a copy beside
``desktop-app``, or beside an ``_internal`` symlink to the installed one), so a test can drive
the real frozen sign-in with no UI::

    <dir>/desktop-app-self-test --endpoint http://127.0.0.1:3001 --app-id demo-app

It checks what freezing can lose - the keyring backend (an entry point), the TLS CA store,
the ``desktop_app.resources`` files - then runs :class:`AuthSession` with the default
keyring and a browser opener that only prints the authorization URL::

    keyring-backends: KWallet SecretService Windows chainer libsecret macOS
    keyring: keyring.backends.SecretService.Keyring
    tls: 146 CA certificates (cafile=/usr/lib/ssl/cert.pem capath=/usr/lib/ssl/certs)
    resources: callback.html desktop-app.desktop desktop-app.svg ...
    child-env: clean
    open: http://127.0.0.1:3001/oidc/auth?...      <- whoever runs this opens it in a browser
    signed-in: Alice Example <alice@example.test>
    keyring-stored: yes
    signed-out: revoked=True keyring-empty=yes
    ok

Exit 0 only when every line above was reached. Nothing secret is printed: the authorization
URL carries the PKCE challenge and ``state``, never a token or the verifier.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import sys
from collections.abc import Sequence
from importlib import resources

import keyring
from keyring.backends import fail
from keyring.compat.py312 import metadata  # what keyring itself reads entry points with

from desktop_app.auth.session import AuthSession, State
from desktop_app.auth.storage import KeyringStorage
from desktop_app.config import Settings
from desktop_app.errors import DesktopAppError

REQUIRED_RESOURCES = ("callback.html", "desktop-app.svg")


def say(line: str) -> None:
    print(line, flush=True)


def check_keyring() -> None:
    # keyring finds its backends through its own entry points; freezing loses them unless
    # packaging/hooks/hook-keyring.py copies keyring's metadata and the backend modules.
    backends = sorted(ep.name for ep in metadata.entry_points(group="keyring.backends"))
    say(f"keyring-backends: {' '.join(backends)}")
    if "SecretService" not in backends and sys.platform.startswith("linux"):
        raise SystemExit("keyring's backends were not frozen (no keyring.backends entry points)")
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    say(f"keyring: {name}")
    if isinstance(backend, fail.Keyring):
        raise SystemExit(
            "no usable keyring: is a Secret Service (GNOME Keyring, KeePassXC) running "
            "on the D-Bus session bus?"
        )


def check_tls() -> None:
    # The same context aiohttp builds for https:// (ssl.create_default_context()).
    context = ssl.create_default_context()
    count = context.cert_store_stats()["x509_ca"]
    paths = ssl.get_default_verify_paths()
    capath = os.environ.get("SSL_CERT_DIR") or paths.openssl_capath
    if count == 0 and os.path.isdir(capath):
        # A hashed directory is read lazily, on the first handshake; count what it offers.
        count = sum(1 for name in os.listdir(capath) if name.endswith(".0"))
    cafile = os.environ.get("SSL_CERT_FILE") or paths.openssl_cafile
    say(f"tls: {count} CA certificates (cafile={cafile} capath={capath})")
    if count == 0:
        raise SystemExit("no CA certificates: HTTPS to Logto would fail")


def check_resources() -> None:
    root = resources.files("desktop_app.resources")
    names = sorted(entry.name for entry in root.iterdir() if not entry.name.startswith("__"))
    say("resources: " + " ".join(names))
    missing = [name for name in REQUIRED_RESOURCES if not root.joinpath(name).is_file()]
    if missing or not root.joinpath("icons").is_dir():
        raise SystemExit(f"resources missing from the bundle: {missing or ['icons/']}")


def check_child_env() -> None:
    # packaging/hooks/rthook_child_env.py: the browser must not inherit the bundle's libraries.
    library_path = os.environ.get("LD_LIBRARY_PATH", "")
    frozen_dir = getattr(sys, "_MEIPASS", None)
    leaked = bool(frozen_dir) and frozen_dir in library_path.split(os.pathsep)
    say(f"child-env: {'LEAKS the bundle' if leaked else 'clean'}")
    if leaked:
        raise SystemExit("LD_LIBRARY_PATH still points into the bundle: the browser would load it")


def print_url(url: str) -> bool:
    say(f"open: {url}")
    return True


async def sign_in(args: argparse.Namespace) -> None:
    settings = Settings(
        endpoint=args.endpoint,
        app_id=args.app_id,
        scopes=("email",),
        resources=tuple(args.resource),
        sign_in_timeout=args.timeout,
    )
    # The default keyring, as the app has it: no backend injected.
    session = AuthSession(settings, open_browser=print_url)
    try:
        await session.sign_in()
        if session.state is not State.SIGNED_IN:
            raise SystemExit(f"sign-in ended in state {session.state.value}")
        profile = session.profile
        say(f"signed-in: {profile.get('name')} <{profile.get('email')}>")
        stored = KeyringStorage.for_app(settings.endpoint, settings.app_id)
        await stored.load()
        say(f"keyring-stored: {'yes' if stored.get('refreshToken') else 'no'}")
        if not stored.get("refreshToken"):
            raise SystemExit("the session did not reach the keyring")
        result = await session.sign_out()
        after = KeyringStorage.for_app(settings.endpoint, settings.app_id)
        await after.load()
        empty = after.get("refreshToken") is None
        say(f"signed-out: revoked={result.revoked} keyring-empty={'yes' if empty else 'no'}")
        if not empty:
            raise SystemExit("sign-out left the session in the keyring")
    finally:
        await session.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="desktop-app-self-test",
        description="Check a frozen desktop-app: keyring, CA store, resources, sign-in.",
    )
    parser.add_argument("--endpoint", help="Logto endpoint; without it, only the checks run")
    parser.add_argument("--app-id", help="App ID of a Native app at that endpoint")
    parser.add_argument("--resource", action="append", default=[], help="API resource")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")
    args = parser.parse_args(argv)
    try:
        check_keyring()
        check_tls()
        check_resources()
        check_child_env()
        if args.endpoint:
            if not args.app_id:
                parser.error("--app-id is required with --endpoint")
            asyncio.run(sign_in(args))
    except DesktopAppError as exc:
        say(f"error: {exc.message} {exc.advice}".rstrip())
        return 1
    say("ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
