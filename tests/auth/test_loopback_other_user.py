"""Another OS user on the same machine cannot talk to the listener (issue 9, attack 2).

Another user can read the browser's command line in /proc/<pid>/cmdline, and with it the state
(or the start URL); they could then sign in as themselves and send *their* authorization
response to the listener (login CSRF), or use up the start link. The listener closes any
connection whose peer socket another user owns, before it reads a byte. The other user is
played by a throwaway uid through ``setpriv`` (needs root; skipped otherwise).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from urllib.parse import urlencode, urlsplit

import pytest

from desktop_app.auth.loopback import LoopbackReceiver
from tests.auth.test_loopback import (
    CLIENT_HELLO,
    CODE,
    STATE,
    real_callback,
    result_of,
    waiting,
)

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peer owners need Linux"),
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("setpriv") is None,
        reason="playing another OS user needs root and setpriv",
    ),
]

OTHER_UID = 54321  # a throwaway uid with no account
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# Runs as the other user: send one request, print the status code, or "closed" if none came.
CLIENT = """
import socket, sys
port, data = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    s.sendall(data)
    reply = b""
    try:
        while chunk := s.recv(65536):
            reply += chunk
    except ConnectionResetError:
        pass
print(reply.split(b" ")[1].decode() if reply.startswith(b"HTTP/") else "closed")
"""


async def as_other_user(port: int, data: bytes) -> str:
    process = await asyncio.create_subprocess_exec(
        "setpriv",
        f"--reuid={OTHER_UID}",
        f"--regid={OTHER_UID}",
        "--clear-groups",
        PYTHON,
        "-I",
        "-c",
        CLIENT,
        str(port),
        data.hex(),
        cwd="/",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode().strip()


def http_get(port: int, target: str) -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


@pytest.mark.asyncio
async def test_another_users_callback_is_refused_and_does_not_end_the_wait() -> None:
    async with waiting() as (receiver, task):
        target = f"/callback?{urlencode({'code': 'attacker-code', 'state': STATE})}"
        assert await as_other_user(receiver.port, http_get(receiver.port, target)) == "closed"
        assert not task.done()
        await real_callback(receiver)
        assert (await result_of(task)).code == CODE


@pytest.mark.asyncio
async def test_the_check_is_what_refuses_them() -> None:
    # The control: with the check off, the same request from the other user ends the wait,
    # so the test above proves the check and not a broken harness.
    async with waiting(refuse_other_users=False) as (receiver, task):
        target = f"/callback?{urlencode({'code': 'attacker-code', 'state': STATE})}"
        assert await as_other_user(receiver.port, http_get(receiver.port, target)) == "303"
        assert (await result_of(task)).code == "attacker-code"


@pytest.mark.asyncio
async def test_another_users_form_post_is_refused() -> None:
    origin = "https://tenant.logto.example"
    async with LoopbackReceiver(form_post_origin=origin) as receiver:
        task = asyncio.create_task(receiver.wait(STATE))
        body = urlencode({"code": "attacker-code", "state": STATE}).encode()
        data = (
            f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\nOrigin: {origin}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        assert await as_other_user(receiver.port, data) == "closed"
        assert not task.done()
        task.cancel()


@pytest.mark.asyncio
async def test_another_user_cannot_use_up_the_start_url() -> None:
    async def start() -> str:
        return "https://idp.example/oidc/auth?client_id=app&request_uri=urn%3Ax"

    async with waiting() as (receiver, _task):
        receiver.set_start_handler(start)
        url = receiver.new_start_url()
        path = urlsplit(url).path
        assert await as_other_user(receiver.port, http_get(receiver.port, path)) == "closed"
        # Still unused for the person's own browser.
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(http_get(receiver.port, path))
        async with asyncio.timeout(10):
            reply = await reader.read()
        writer.close()
        assert reply.startswith(b"HTTP/1.1 303 ")


@pytest.mark.asyncio
async def test_another_users_client_hello_gives_no_hint() -> None:
    async with waiting() as (receiver, task):
        assert await as_other_user(receiver.port, CLIENT_HELLO) == "closed"
        assert not receiver.https_attempted
        await real_callback(receiver)
        assert (await result_of(task)).code == CODE
