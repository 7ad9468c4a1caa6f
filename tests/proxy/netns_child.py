"""The app's side of the proxy end-to-end test, run inside a network namespace of its own.

Started by ``test_through_proxy.py`` under ``unshare -n``: this namespace has only its own
loopback, so the provider's address is unreachable from here. The one way out is a Unix socket
(file-system sockets cross network namespaces) that the test bridges to proxy.py; this script
serves it as a proxy port on 127.0.0.1 and points ``HTTP_PROXY`` and Chromium at it. Then it
signs in (Chromium fills the form), refreshes, and signs out, and prints one JSON line.

Usage: python -m tests.proxy.netns_child '<json: endpoint, app_id, username, password,
socket, proxy_user, proxy_password>'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from desktop_app.auth.session import AuthSession
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.config import Settings
from tests.fixtures.chromium import CHROMIUM, CHROMIUM_ARGS


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()


async def bridge_to(path: str) -> asyncio.Server:
    """A TCP port on 127.0.0.1 whose every connection is carried over the Unix socket ``path``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(path)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def chromium_opener(args: dict[str, Any], proxy_port: int, threads: list[threading.Thread]) -> Any:
    def person(url: str) -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                # Loopback (the app's listener) directly, as a browser does by default;
                # Playwright would otherwise send it through the proxy too.
                proxy={
                    "server": f"http://127.0.0.1:{proxy_port}",
                    "bypass": "127.0.0.1,localhost",
                    "username": args["proxy_user"],
                    "password": args["proxy_password"],
                },
            )
            page = browser.new_page()
            page.goto(url)
            try:
                page.get_by_label("Username").fill(args["username"], timeout=15_000)
            except Exception:
                print(f"at {page.url}: {page.inner_text('body')[:500]}", file=sys.stderr)
                raise
            page.get_by_label("Password").fill(args["password"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("http://127.0.0.1:*/**")
            browser.close()

    def open_browser(url: str) -> bool:
        threads.append(threading.Thread(target=person, args=(url,)))
        threads[-1].start()
        return True

    return open_browser


async def main(args: dict[str, Any]) -> dict[str, Any]:
    import os

    result: dict[str, Any] = {}
    target = urlsplit(args["endpoint"])
    try:
        socket.create_connection((target.hostname, target.port), timeout=5).close()
        result["direct"] = "reachable"
    except OSError as exc:
        result["direct"] = type(exc).__name__
    server = await bridge_to(args["socket"])
    port = server.sockets[0].getsockname()[1]
    login = f"{args['proxy_user']}:{args['proxy_password']}@"
    os.environ["HTTP_PROXY"] = os.environ["HTTPS_PROXY"] = f"http://{login}127.0.0.1:{port}"
    threads: list[threading.Thread] = []
    clock = Clock()
    session = AuthSession(
        Settings(endpoint=args["endpoint"], app_id=args["app_id"], scopes=("email",)),
        storage=SessionOnlyStorage(),
        open_browser=chromium_opener(args, port, threads),
        clock=clock,
    )
    try:
        await session.sign_in()
        result["username"] = session.profile.get("username")
        first = session.storage.get("refreshToken")
        clock.offset = 2 * 3600  # past the access token's expiry: the next call refreshes
        await session.access_token()
        result["rotated"] = bool(first) and session.storage.get("refreshToken") != first
        result["revoked"] = (await session.sign_out()).revoked
    finally:
        await session.close()
        server.close()
        for thread in threads:
            thread.join()
    return result


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
