"""The auth core, the avatar and Settings behind a real HTTP proxy (proxy.py).

The provider listens on this machine's non-loopback address (the app never proxies loopback).
The end-to-end test runs the app's side in a network namespace where that address is
unreachable, so a sign-in that works there went through the proxy; the others run in this
process and read proxy.py's log to see what it forwarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from desktop_app.auth.http import Http
from desktop_app.auth.logto_client import LogtoNativeClient
from desktop_app.auth.storage import SessionOnlyStorage
from desktop_app.errors import NetworkError, ProxyError, ResponseLostError
from tests.fixtures.proxy import DeadProxy, HttpProxy, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def remote_idp(local_idp_factory: Any, public_address: str) -> Any:
    """The local provider on this machine's non-loopback address, as a remote Logto would be."""
    return local_idp_factory(env={"LOCAL_IDP_HOST": public_address})


def discovery_url(idp: Any) -> str:
    return f"{idp.issuer}/.well-known/openid-configuration"


async def discover(idp: Any) -> Any:
    client = LogtoNativeClient(idp.endpoint, idp.app_id, SessionOnlyStorage(), timeout=10)
    try:
        return await client.discover()
    finally:
        await client.close()


# --------------------------------------------------------------------------- in this process


@pytest.mark.asyncio
async def test_discovery_goes_through_the_proxy_with_its_login(
    remote_idp: Any, http_proxy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy: HttpProxy = http_proxy_factory(auth=("office", "s3cr3t"))
    # %33 is "3": the password is decoded from its URL form before it is sent.
    monkeypatch.setenv("HTTP_PROXY", proxy.url(user="office", password="s3cr%33t"))
    metadata = await discover(remote_idp)
    assert metadata.issuer == remote_idp.issuer
    assert proxy.forwarded(f"GET {discovery_url(remote_idp)} -> 200"), proxy.requests()


@pytest.mark.asyncio
async def test_a_wrong_proxy_password_is_named_and_never_shown(
    remote_idp: Any, http_proxy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = http_proxy_factory(auth=("office", "right"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url(user="office", password="wrong-one"))
    with pytest.raises(ProxyError) as caught:
        await discover(remote_idp)
    message = caught.value.user_message
    assert f"The proxy 127.0.0.1:{proxy.port} did not accept the user name and password" in message
    assert "HTTP_PROXY environment variable" in message
    assert "wrong-one" not in message
    assert "office" not in message


@pytest.mark.asyncio
async def test_a_proxy_that_wants_a_login_says_so(
    remote_idp: Any, http_proxy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = http_proxy_factory(auth=("office", "right"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url(user=""))
    with pytest.raises(ProxyError, match="asks for a user name and password"):
        await discover(remote_idp)


@pytest.mark.asyncio
async def test_a_proxy_that_is_not_running_is_named(
    remote_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(ProxyError, match=rf"Could not reach the proxy 127\.0\.0\.1:{port}"):
        await discover(remote_idp)


@pytest.mark.asyncio
async def test_a_dead_proxy_is_a_typed_error_within_the_timeout_and_the_loop_runs_on(
    remote_idp: Any, local_idp: Any, dead_proxy: DeadProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", dead_proxy.url)
    stuck_http = Http(remote_idp.endpoint, timeout=2.0)
    direct_http = Http(local_idp.endpoint, timeout=10.0)  # loopback: never proxied
    try:
        stuck = asyncio.ensure_future(
            stuck_http.json("GET", discovery_url(remote_idp), what="discovery")
        )
        direct = asyncio.ensure_future(
            direct_http.json("GET", discovery_url(local_idp), what="discovery")
        )
        done, _ = await asyncio.wait({stuck, direct}, return_when=asyncio.FIRST_COMPLETED)
        # While the proxy holds one request, the event loop serves others.
        assert direct in done
        assert (await direct)["issuer"] == local_idp.issuer
        with pytest.raises(ResponseLostError) as caught:
            await stuck
    finally:
        await stuck_http.close()
        await direct_http.close()
    assert dead_proxy.accepted.is_set()
    assert f"through the proxy 127.0.0.1:{dead_proxy.port}" in caught.value.message


@pytest.mark.asyncio
async def test_no_proxy_naming_the_server_connects_directly(
    remote_idp: Any, dead_proxy: DeadProxy, public_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", dead_proxy.url)
    monkeypatch.setenv("NO_PROXY", f"example.test,{public_address}")
    assert (await discover(remote_idp)).issuer == remote_idp.issuer
    assert not dead_proxy.accepted.is_set()


@pytest.mark.asyncio
async def test_a_socks_proxy_is_refused_in_words(
    remote_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    with pytest.raises(NetworkError, match="only HTTP or HTTPS proxies"):
        await discover(remote_idp)


# --------------------------------------------------------------------------- end to end


class _UnixToProxy(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def unix_bridge(path: Path, port: int) -> _UnixToProxy:
    """A Unix socket at ``path`` whose connections are carried to 127.0.0.1:``port``."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            upstream = socket.create_connection(("127.0.0.1", port))

            def pump(src: socket.socket, dst: socket.socket) -> None:
                with contextlib.suppress(OSError):
                    while data := src.recv(65536):
                        dst.sendall(data)
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

            back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
            back.start()
            pump(self.request, upstream)
            back.join()
            upstream.close()

    server = _UnixToProxy(str(path), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.e2e
@pytest.mark.slow
def test_sign_in_refresh_and_sign_out_with_the_provider_reachable_only_through_the_proxy(
    remote_idp: Any, http_proxy_factory: Any, tmp_path: Path
) -> None:
    proxy = http_proxy_factory(auth=("office", "right"))
    bridge = unix_bridge(tmp_path / "proxy.sock", proxy.port)
    args = {
        "endpoint": remote_idp.endpoint,
        "app_id": remote_idp.app_id,
        "username": "alice",
        "password": remote_idp.password_of("alice"),
        "socket": str(tmp_path / "proxy.sock"),
        "proxy_user": "office",
        "proxy_password": "right",
    }
    # root (CI): a plain network namespace; otherwise a user namespace makes one.
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    script = 'ip link set lo up && exec "$@"'
    command = [*unshare, "sh", "-c", script, "sh", sys.executable, "-m", "tests.proxy.netns_child"]
    child = subprocess.Popen(
        [*command, json.dumps(args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"the app's side did not finish in 120 s:\n{err[-3000:]}")
    finally:
        bridge.shutdown()
        bridge.server_close()
    assert child.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["direct"] != "reachable"  # only the proxy gets through from there
    assert result == {**result, "username": "alice", "rotated": True, "revoked": True}
    # proxy.py logs one line per connection (aiohttp keeps its connection for the token,
    # revocation and userinfo requests); the refused direct path proves they went through.
    discovery = f"GET {remote_idp.issuer}/.well-known/openid-configuration -> 200"
    assert proxy.forwarded(discovery), proxy.requests()
