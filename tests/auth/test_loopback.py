"""LoopbackReceiver over real sockets: RFC 8252 §7.3/§8.3 behaviour and its resource bounds.

Every "does not end the wait" case is proved by what ``wait()`` finally returns: the stray
request carries a different code than the real callback sent afterwards, so a stray request that
had ended the wait would show up in the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import socket
import sys
import time
from base64 import b64encode
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.auth.loopback import (
    AuthorizationResponse,
    CallbackKind,
    LoopbackReceiver,
    _Connection,
    check_callback_query,
)
from desktop_app.errors import (
    BrowserForcedHttpsError,
    ConfigError,
    SignInCancelled,
    SignInTimeout,
)

STATE = "st4te-Ab_9.~"
# Where the OS tells who owns the other end of a loopback connection (Linux /proc).
PEERS_KNOWN = sys.platform.startswith("linux") and os.access("/proc/net/tcp", os.R_OK)
CODE = "c0de-real"
BOUND = 10.0  # upper bound for anything that should take milliseconds
T = TypeVar("T")


# -- a tiny raw HTTP client ---------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def parse_reply(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(status_line.split(" ")[1]), headers, body)


async def send_raw(port: int, data: bytes, *, host: str = "127.0.0.1") -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(BOUND):
            return await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def request(
    port: int,
    target: str,
    *,
    method: str = "GET",
    host: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Reply:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return parse_reply(await send_raw(port, data))


def callback(port: int, **params: str) -> str:
    return f"/callback?{urlencode(params)}" if params else "/callback"


async def real_callback(receiver: LoopbackReceiver, code: str = CODE) -> Reply:
    reply = await request(receiver.port, callback(receiver.port, code=code, state=STATE))
    assert reply.status == 303
    assert reply.headers["location"] == "/callback/done"
    return reply


async def result_of(task: asyncio.Task[T]) -> T:
    async with asyncio.timeout(BOUND):
        return await task


async def the_wait_goes_on(
    receiver: LoopbackReceiver,
    task: asyncio.Task[AuthorizationResponse],
    send: Callable[[LoopbackReceiver], Awaitable[Reply]] = real_callback,
) -> None:
    """What came before did not end the wait: the real callback ``send`` delivers now (its
    code differs from every stray one) is what ``wait()`` returns."""
    await send(receiver)
    assert (await result_of(task)).code == CODE


async def assert_refused(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


@contextlib.asynccontextmanager
async def waiting(
    **kwargs: Any,
) -> AsyncIterator[tuple[LoopbackReceiver, asyncio.Task[AuthorizationResponse]]]:
    """An entered receiver and a running ``wait(STATE)`` task."""
    async with LoopbackReceiver(**kwargs) as receiver:
        task = asyncio.create_task(receiver.wait(STATE))
        try:
            yield receiver, task
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def until(predicate: Callable[[], object]) -> None:
    """Wait, within a bound, until ``predicate()`` holds (like qtbot.waitUntil)."""
    async with asyncio.timeout(BOUND):
        while not predicate():  # noqa: ASYNC110  (polls receiver state, as qtbot.waitUntil does)
            await asyncio.sleep(0.001)


def listener_addresses(receiver: LoopbackReceiver) -> set[str]:
    return {s.getsockname()[0] for srv in receiver._servers for s in srv.sockets}


# -- binding, the happy path, /done --------------------------------------------------------------


@pytest.mark.asyncio
async def test_binds_loopback_only_and_reports_127_redirect_uri() -> None:
    async with LoopbackReceiver() as receiver:
        assert receiver.port > 0
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}/callback"
        assert listener_addresses(receiver) <= {"127.0.0.1", "::1"}
        assert "127.0.0.1" in listener_addresses(receiver)
    async with LoopbackReceiver(path="/auth/cb") as receiver:
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}/auth/cb"
        assert receiver.done_path == "/auth/cb/done"


@pytest.mark.parametrize("path", ["callback", "/cb?x=1", "/cb#f", "/c b", "/cb/done"])
def test_rejects_bad_paths(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        LoopbackReceiver(path=path)


@pytest.mark.asyncio
async def test_happy_path_redirects_to_clean_page_and_finish_shows_outcome() -> None:
    async with waiting() as (receiver, task):
        query = urlencode({"code": CODE, "state": STATE, "iss": "https://idp.example/oidc"})
        reply = await request(receiver.port, f"/callback?{query}")
        assert reply.status == 303
        assert reply.headers["location"] == "/callback/done"  # no query: the code leaves the bar
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert reply.headers["connection"] == "close"

        response = await result_of(task)
        assert response.code == CODE
        assert response.state == STATE
        assert response.error is None
        assert response.error_description is None
        assert response.iss == "https://idp.example/oidc"
        assert response.callback_url == f"{receiver.redirect_uri}?{query}"

        # /done before finish() is held until finish() answers it.
        done = asyncio.create_task(request(receiver.port, "/callback/done"))
        await until(lambda: receiver._done_waiters)
        assert not done.done()
        started = time.monotonic()
        await receiver.finish(True, "Welcome back, Ada.")
        assert time.monotonic() - started < 1.0  # the tab had already asked: no linger
        page = await result_of(done)
        assert page.status == 200
        assert "You&#x27;re signed in" in page.text
        assert "Welcome back, Ada." in page.text
        assert "You can close this tab and return to the app" in page.text

        # A later /done (reload) is answered from the stored outcome.
        again = await request(receiver.port, "/callback/done")
        assert again.status == 200
        assert "Welcome back, Ada." in again.text


@pytest.mark.asyncio
async def test_page_security_headers_and_csp_hash_matches_inline_style() -> None:
    async with waiting() as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        done = asyncio.create_task(request(receiver.port, "/callback/done"))
        await receiver.finish(True)
        page = await result_of(done)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert style is not None
    digest = b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "<script" not in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text  # self-contained: no external assets


@pytest.mark.asyncio
async def test_finish_failure_is_escaped_and_shown_on_done() -> None:
    async with waiting() as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        done = asyncio.create_task(request(receiver.port, "/callback/done"))
        await receiver.finish(False, "Token exchange failed <script>alert(1)</script>")
        page = await result_of(done)
    assert page.status == 200
    assert "Sign-in did not complete" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text


@pytest.mark.asyncio
async def test_held_done_is_delivered_even_when_the_receiver_closes_right_after_finish() -> None:
    async with waiting() as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        done = asyncio.create_task(request(receiver.port, "/callback/done"))
        await until(lambda: receiver._done_waiters)
        await receiver.finish(True, "Closed right after.")
    page = await result_of(done)  # the context was left at once: the page still arrived
    assert page.status == 200
    assert "Closed right after." in page.text


@pytest.mark.asyncio
async def test_finish_waits_briefly_for_the_tab_then_returns() -> None:
    async with waiting(finish_linger=0.3) as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        started = time.monotonic()
        await receiver.finish(True)  # nobody fetches /done
        assert 0.25 <= time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_finish_returns_once_the_tab_fetches_done() -> None:
    async with waiting(finish_linger=5.0) as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        finishing = asyncio.create_task(receiver.finish(True))
        page = await request(receiver.port, "/callback/done")
        async with asyncio.timeout(1.0):
            await finishing
        assert page.status == 200


@pytest.mark.asyncio
async def test_done_is_not_held_forever_without_finish() -> None:
    async with waiting(hold_timeout=0.2) as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        page = await request(receiver.port, "/callback/done")
        assert page.status == 200
        assert "finishing the sign-in" in page.text


@pytest.mark.asyncio
async def test_done_before_any_callback_is_404_and_does_not_end_the_wait() -> None:
    async with waiting() as (receiver, task):
        assert (await request(receiver.port, "/callback/done")).status == 404
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_second_callback_after_success_changes_nothing() -> None:
    async with waiting(finish_linger=0.05) as (receiver, task):
        await real_callback(receiver)
        first = await result_of(task)
        for target in (
            callback(receiver.port, code="other", state=STATE),
            callback(receiver.port, error="access_denied", state=STATE),
            callback(receiver.port, code="x", state="wrong"),
        ):
            reply = await request(receiver.port, target)
            assert reply.status == 303
            assert reply.headers["location"] == "/callback/done"
        await receiver.finish(True, "ok")
        assert "ok" in (await request(receiver.port, "/callback/done")).text
        assert task.result() is first
        assert first.code == CODE


@pytest.mark.asyncio
async def test_callback_before_wait_is_held_and_judged_when_wait_starts() -> None:
    async with LoopbackReceiver() as receiver:
        early = asyncio.create_task(
            request(receiver.port, callback(receiver.port, code=CODE, state=STATE))
        )
        await until(lambda: len(receiver._early) == 1)
        stray = asyncio.create_task(
            request(receiver.port, callback(receiver.port, code="x", state="old"))
        )
        await until(lambda: len(receiver._early) == 2)
        assert not early.done()
        response = await asyncio.wait_for(receiver.wait(STATE), BOUND)
        assert response.code == CODE
        assert (await result_of(early)).status == 303
        # The stray one was queued behind the real one, so it only sees the outcome.
        assert (await result_of(stray)).status == 303


@pytest.mark.asyncio
async def test_early_callback_is_not_held_forever() -> None:
    async with LoopbackReceiver(hold_timeout=0.2) as receiver:
        early = await request(receiver.port, callback(receiver.port, code="early", state=STATE))
        assert early.status == 503
        task = asyncio.create_task(receiver.wait(STATE))
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_done_is_answered_when_the_tab_half_closes() -> None:
    async with waiting() as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(
            f"GET /callback/done HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n\r\n".encode()
        )
        writer.write_eof()
        await until(lambda: receiver._done_waiters)
        await receiver.finish(True, "half-closed")
        async with asyncio.timeout(BOUND):
            page = parse_reply(await reader.read())
        writer.close()
    assert page.status == 200
    assert "half-closed" in page.text


@pytest.mark.asyncio
@pytest.mark.skipif(not PEERS_KNOWN, reason="peer owners are checked on Linux only")
async def test_a_request_that_half_closes_before_the_peer_check_is_still_answered() -> None:
    async with waiting() as (receiver, task):
        peers = receiver._peers
        assert peers is not None
        waiting_for_check: list[_Connection] = []
        peers.check = waiting_for_check.append  # type: ignore[method-assign, assignment]
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        target = f"/callback?{urlencode({'code': CODE, 'state': STATE})}"
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n\r\n".encode())
        writer.write_eof()
        await until(lambda: waiting_for_check and waiting_for_check[0]._eof)
        peers._pending.extend(waiting_for_check)
        peers._run()  # the check finds our own uid
        async with asyncio.timeout(10):
            reply = await reader.read()
        writer.close()
        assert reply.startswith(b"HTTP/1.1 303 ")
        assert (await result_of(task)).code == CODE


@pytest.mark.asyncio
async def test_wait_can_be_called_once() -> None:
    async with waiting() as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        with pytest.raises(RuntimeError):
            await receiver.wait(STATE)
    with pytest.raises(RuntimeError):
        await LoopbackReceiver().wait(STATE)


# -- error responses -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_error_with_description_ends_wait_with_escaped_error_page() -> None:
    description = "The user said <b>no</b> & left"
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            callback(
                receiver.port,
                error="access_denied",
                error_description=description,
                state=STATE,
            ),
        )
        response = await result_of(task)
        assert response.error == "access_denied"
        assert response.error_description == description
        assert response.code is None
        assert reply.status == 200
        assert "The user said &lt;b&gt;no&lt;/b&gt; &amp; left" in reply.text
        assert "<b>no</b>" not in reply.text
        assert "You can close this tab and return to the app" in reply.text
        # /done, if the tab ever asks, shows the same outcome.
        assert "&lt;b&gt;no" in (await request(receiver.port, "/callback/done")).text


@pytest.mark.asyncio
async def test_error_without_description_ends_wait() -> None:
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port, callback(receiver.port, error="access_denied", state=STATE)
        )
        response = await result_of(task)
    assert response.error == "access_denied"
    assert response.error_description is None
    assert reply.status == 200
    assert "access_denied" in reply.text


@pytest.mark.asyncio
async def test_error_and_code_together_fail_closed() -> None:
    async with waiting() as (receiver, task):
        await request(
            receiver.port,
            callback(receiver.port, code=CODE, error="server_error", state=STATE),
        )
        response = await result_of(task)
    assert response.error == "server_error"
    assert response.code is None


# -- requests that must not end the wait -------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("target", "status", "words"),
    [
        # Bad parameters on /callback: test_loopback_form_post.py, in both response modes.
        (f"/callback?code=stray&state={quote(STATE + 'é')}", 400, "different or older"),
        (f"/c%61llback?code=stray&state={STATE}", 404, "nothing at this address"),
        (f"/callback/?code=stray&state={STATE}", 404, "nothing at this address"),
        (f"/callback%3Fcode=stray&state={STATE}", 404, "nothing at this address"),
        (f"//callback?code=stray&state={STATE}", 404, "nothing at this address"),
        ("/favicon.ico", 404, "nothing at this address"),
        ("/", 404, "nothing at this address"),
    ],
)
async def test_stray_requests_get_a_page_and_do_not_end_the_wait(
    target: str, status: int, words: str
) -> None:
    async with waiting() as (receiver, task):
        reply = await request(receiver.port, target)
        assert reply.status == status
        assert words in reply.text
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"])
async def test_other_methods_get_405_and_do_not_end_the_wait(method: str) -> None:
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            callback(receiver.port, code="stray", state=STATE),
            method=method,
        )
        assert reply.status == 405
        assert reply.headers["allow"] == "GET"
        if method == "HEAD":
            assert reply.body == b""
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_post_with_form_body_gets_405_without_reading_it() -> None:
    form = urlencode({"code": "stray", "state": STATE}).encode()
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            "/callback",
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(len(form)),
            },
            body=form,
        )
        assert reply.status == 405
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [{"Content-Length": "5"}, {"Transfer-Encoding": "chunked"}],
)
async def test_get_with_a_body_is_refused(headers: dict[str, str]) -> None:
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            callback(receiver.port, code="stray", state=STATE),
            headers=headers,
            body=b"5\r\nhello\r\n0\r\n\r\n" if "Transfer-Encoding" in headers else b"hello",
        )
        assert reply.status == 413
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_oversize_request_line_gets_414() -> None:
    async with waiting() as (receiver, task):
        target = callback(receiver.port, code="stray", state=STATE, pad="x" * 9000)
        reply = await request(receiver.port, target)
        assert reply.status == 414
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_oversize_headers_get_431() -> None:
    async with waiting() as (receiver, task):
        headers = {f"X-Pad-{i}": "y" * 200 for i in range(60)}
        reply = await request(
            receiver.port, callback(receiver.port, code="stray", state=STATE), headers=headers
        )
        assert reply.status == 431
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_endless_header_stream_is_cut_off() -> None:
    async with waiting() as (receiver, task):
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(b"GET /callback HTTP/1.1\r\n")
        with contextlib.suppress(ConnectionError):
            for _ in range(100):
                writer.write(b"X-Junk: " + b"z" * 500 + b"\r\n")
                await writer.drain()
        async with asyncio.timeout(BOUND):
            raw = await reader.read()
        writer.close()
        assert parse_reply(raw).status == 431
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /callback\r\n\r\n",
        b"GET /callback HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET http://127.0.0.1/callback?code=x&state=" + STATE.encode() + b" HTTP/1.1\r\n\r\n",
        b"GET /callback?code=x&state=" + STATE.encode() + b"#frag HTTP/1.1\r\n\r\n",
        b"GET /callback?code=\xc3\xa9&state=" + STATE.encode() + b" HTTP/1.1\r\n\r\n",
        b"GET /callback HTTP/1.1\r\n Host: folded\r\n\r\n",
        b"GET /callback HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"\x00\xff\xfe\r\n\r\n",
    ],
)
async def test_malformed_requests_get_400(raw: bytes) -> None:
    async with waiting() as (receiver, task):
        assert parse_reply(await send_raw(receiver.port, raw)).status == 400
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_request_sent_a_byte_at_a_time_is_understood() -> None:
    async with waiting() as (receiver, task):
        target = callback(receiver.port, code=CODE, state=STATE)
        data = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n\r\n".encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
        async with asyncio.timeout(BOUND):
            reply = parse_reply(await reader.read())
        writer.close()
        assert reply.status == 303
        assert (await result_of(task)).code == CODE


@pytest.mark.asyncio
async def test_partial_request_gets_408_after_the_read_deadline() -> None:
    async with waiting(read_timeout=0.2) as (receiver, task):
        raw = await send_raw(receiver.port, b"GET /callback?code=stray&sta")
        assert parse_reply(raw).status == 408
        await the_wait_goes_on(receiver, task)


# -- Host header (DNS rebinding) -----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "evil.example",
        "127.0.0.1",  # default port 80 is not ours
        "127.0.0.1:1",
        "127.0.0.2:{port}",
        "0.0.0.0:{port}",
        "localhost.evil.example:{port}",
        "127.0.0.1:{port}@evil.example",
        "",
    ],
)
async def test_non_loopback_host_gets_400_and_does_not_end_the_wait(host: str) -> None:
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            callback(receiver.port, code="stray", state=STATE),
            host=host.format(port=receiver.port) or " ",
        )
        assert reply.status == 400
        assert "only serves this app" in reply.text
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_missing_or_repeated_host_gets_400() -> None:
    async with waiting() as (receiver, task):
        target = callback(receiver.port, code="stray", state=STATE).encode()
        no_host = b"GET " + target + b" HTTP/1.1\r\n\r\n"
        assert parse_reply(await send_raw(receiver.port, no_host)).status == 400
        ours = f"Host: 127.0.0.1:{receiver.port}\r\n".encode()
        two = b"GET " + target + b" HTTP/1.1\r\n" + ours + b"Host: evil.example\r\n\r\n"
        assert parse_reply(await send_raw(receiver.port, two)).status == 400
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
@pytest.mark.parametrize("host", ["localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
async def test_loopback_host_names_are_accepted(host: str) -> None:
    async with waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            callback(receiver.port, code=CODE, state=STATE),
            host=host.format(port=receiver.port),
        )
        assert reply.status == 303
        response = await result_of(task)
        # The URL handed to the SDK always names the registered redirect URI.
        assert response.callback_url.startswith(receiver.redirect_uri + "?")


@pytest.mark.asyncio
async def test_ipv6_loopback_is_served_when_available() -> None:
    async with waiting() as (receiver, task):
        if "::1" not in listener_addresses(receiver):
            pytest.skip("no IPv6 loopback on this machine")
        target = callback(receiver.port, code=CODE, state=STATE)
        data = f"GET {target} HTTP/1.1\r\nHost: [::1]:{receiver.port}\r\n\r\n".encode()
        assert parse_reply(await send_raw(receiver.port, data, host="::1")).status == 303
        assert (await result_of(task)).code == CODE


# -- percent-encoding and Unicode ---------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("state", "encoded_state"),
    [
        ("abc", "%61%62%63"),  # percent-encoded unreserved characters decode to the same value
        ("a b", "a+b"),  # form encoding: '+' is a space (RFC 6749 Appendix B)
        ("a+b", "a%2Bb"),
        ("žluťoučký-kůň", quote("žluťoučký-kůň")),
        ("😀/?&=#", quote("😀/?&=#", safe="")),
    ],
)
async def test_state_is_compared_after_form_decoding(state: str, encoded_state: str) -> None:
    async with LoopbackReceiver() as receiver:
        task = asyncio.create_task(receiver.wait(state))
        query = f"code=%63{CODE}&state={encoded_state}"
        reply = await request(receiver.port, f"/callback?{query}")
        assert reply.status == 303
        response = await result_of(task)
    assert response.state == state
    assert response.code == "c" + CODE
    assert response.callback_url.endswith("?" + query)  # as received, not re-encoded


@pytest.mark.asyncio
async def test_state_compare_handles_non_ascii_expected_state() -> None:
    async with LoopbackReceiver() as receiver:
        task = asyncio.create_task(receiver.wait("ünïcode"))
        wrong = await request(receiver.port, "/callback?code=stray&state=%C3%BCn")
        assert wrong.status == 400
        await request(receiver.port, f"/callback?code={CODE}&state={quote('ünïcode')}")
        assert (await result_of(task)).code == CODE


# -- resource bounds -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_idle_connections_do_not_block_the_real_callback() -> None:
    async with waiting() as (receiver, task):
        idle = [await asyncio.open_connection("127.0.0.1", receiver.port) for _ in range(50)]
        await the_wait_goes_on(receiver, task)
        for _, writer in idle:
            writer.close()


@pytest.mark.asyncio
async def test_idle_connections_are_closed_after_the_read_deadline() -> None:
    async with waiting(read_timeout=0.2) as (receiver, _task):
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        async with asyncio.timeout(BOUND):
            assert await reader.read() == b""  # closed without an answer
        writer.close()


@pytest.mark.asyncio
async def test_more_idle_connections_than_the_cap_do_not_block_the_real_callback() -> None:
    async with waiting(max_connections=8) as (receiver, task):
        idle = [await asyncio.open_connection("127.0.0.1", receiver.port) for _ in range(40)]
        await the_wait_goes_on(receiver, task)
        assert receiver.active_connections <= 8
        for _, writer in idle:
            writer.close()


async def _junk(port: int, kind: int) -> None:
    with contextlib.suppress(OSError):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            junk = [
                b"GARBAGE\r\n\r\n",
                b"GET /callback?code=junk&state=wrong HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                % port,
                b"GET /callback?code=ju",  # partial: ends at the read deadline or eviction
                b"",  # connect and say nothing
                b"POST /callback HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000,
                bytes(range(256)) * 4,
            ][kind % 6]
            if junk:
                writer.write(junk)
                await writer.drain()
            if kind % 6 == 3:
                return
            await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@pytest.mark.asyncio
@pytest.mark.slow
async def test_a_burst_of_1000_junk_connections_does_not_break_the_callback() -> None:
    async with waiting(read_timeout=1.0) as (receiver, task):
        async with asyncio.timeout(30):
            await asyncio.gather(*(_junk(receiver.port, i) for i in range(1000)))
        assert not task.done()
        await the_wait_goes_on(receiver, task)
    assert receiver.active_connections == 0


# -- HTTPS forced by the browser ---------------------------------------------------------------

CLIENT_HELLO = bytes.fromhex("16030100c4010000c00303") + b"\x00" * 32


async def send_client_hello(port: int) -> bytes:
    with contextlib.suppress(ConnectionError):
        return await send_raw(port, CLIENT_HELLO)
    return b""


@pytest.mark.asyncio
async def test_tls_client_hello_is_a_hint_and_never_ends_the_wait() -> None:
    # Issue 9, attack 1: any local program (or a page: fetch('https://127.0.0.1:<port>/')) can
    # send a ClientHello; it must not abort the person's sign-in.
    seen: list[int] = []
    async with waiting(on_https_attempt=lambda: seen.append(1)) as (receiver, task):
        assert not receiver.https_attempted
        assert await send_client_hello(receiver.port) == b""
        await send_client_hello(receiver.port)
        assert receiver.https_attempted
        assert seen == [1]  # once, however many
        assert receiver.listening
        assert not task.done()
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "raw",
    [
        b"\x16",
        b"\x16\x03\x01",
        b"\x16\x03\x01\x00\xc4\x02" + b"\x00" * 8,  # a ServerHello is not a ClientHello
        b"\x16\x02\x00\x00\x10\x01" + b"\x00" * 8,
        b"\x16\x16\x16\x16\x16\x16\r\n\r\n",
    ],
)
async def test_bytes_that_are_not_a_client_hello_give_no_hint(raw: bytes) -> None:
    async with waiting(read_timeout=0.3) as (receiver, task):
        with contextlib.suppress(ConnectionError):
            await send_raw(receiver.port, raw)
        assert not receiver.https_attempted
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_tls_then_http_fallback_still_signs_in() -> None:
    async with waiting() as (receiver, task):
        await send_client_hello(receiver.port)
        await the_wait_goes_on(receiver, task)


@pytest.mark.asyncio
async def test_timeout_after_tls_reports_forced_https_and_names_the_timeout() -> None:
    async with waiting(timeout=0.3) as (receiver, task):
        await send_client_hello(receiver.port)
        with pytest.raises(BrowserForcedHttpsError) as caught:
            await result_of(task)
    assert caught.value.seconds == 0.3
    assert "0.3 seconds" in caught.value.message
    assert "HTTPS" in caught.value.message


@pytest.mark.asyncio
@pytest.mark.parametrize("stray", ["/callback", "/callback?code=x", "/favicon.ico", "/"])
async def test_stray_requests_do_not_hide_the_https_diagnosis(stray: str) -> None:
    # Issue 9, attack 5: a stray GET /callback without state turned the diagnosis into a
    # plain SignInTimeout.
    async with waiting(timeout=0.5) as (receiver, task):
        await send_client_hello(receiver.port)
        await request(receiver.port, stray)
        with pytest.raises(BrowserForcedHttpsError):
            await result_of(task)


@pytest.mark.asyncio
async def test_tls_before_wait_is_remembered() -> None:
    async with LoopbackReceiver(timeout=0.3) as receiver:
        await send_client_hello(receiver.port)
        assert receiver.https_attempted
        with pytest.raises(BrowserForcedHttpsError):
            async with asyncio.timeout(BOUND):
                await receiver.wait(STATE)


@pytest.mark.asyncio
async def test_a_failing_https_observer_does_not_break_the_listener() -> None:
    def observer() -> None:
        raise RuntimeError("observer broke")

    async with waiting(on_https_attempt=observer) as (receiver, task):
        await send_client_hello(receiver.port)
        await the_wait_goes_on(receiver, task)


# -- timeout, cancel, ports, closing -------------------------------------------------------------


@pytest.mark.asyncio
async def test_timeout_raises_sign_in_timeout_and_closes_sockets() -> None:
    async with waiting(timeout=0.2) as (receiver, task):
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        with pytest.raises(SignInTimeout) as caught:
            await result_of(task)
        assert caught.value.seconds == 0.2
        async with asyncio.timeout(BOUND):
            assert await reader.read() == b""  # the open connection was closed too
        writer.close()
        await assert_refused(receiver.port)


@pytest.mark.asyncio
async def test_cancel_propagates_and_closes_sockets() -> None:
    async with LoopbackReceiver() as receiver:
        task = asyncio.create_task(receiver.wait(STATE))
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(b"GET /callback?code=x")  # a request in progress
        await writer.drain()
        await until(lambda: receiver.active_connections == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await assert_refused(receiver.port)
        async with asyncio.timeout(BOUND):
            with contextlib.suppress(ConnectionError):
                assert await reader.read() == b""
        writer.close()


@pytest.mark.asyncio
async def test_exit_closes_listeners_and_every_connection() -> None:
    async with waiting() as (receiver, task):
        port = receiver.port
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        await real_callback(receiver)
        await result_of(task)
        done = asyncio.create_task(request(port, "/callback/done"))  # held: finish never comes
        await until(lambda: receiver._done_waiters)
        assert receiver.active_connections >= 6
    assert receiver.active_connections == 0
    assert not receiver.listening
    await assert_refused(port)
    for reader, writer in idle:
        async with asyncio.timeout(BOUND):
            with contextlib.suppress(ConnectionError):
                assert await reader.read() == b""
        writer.close()
    with contextlib.suppress(Exception):
        await done


@pytest.mark.asyncio
async def test_leaving_while_another_task_waits_cancels_that_wait() -> None:
    async with LoopbackReceiver() as receiver:
        task = asyncio.create_task(receiver.wait(STATE))
        await until(lambda: receiver._result is not None)
    with pytest.raises(SignInCancelled):
        await result_of(task)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.asyncio
async def test_fixed_port() -> None:
    port = _free_port()
    async with waiting(port=port) as (receiver, task):
        assert receiver.redirect_uri == f"http://127.0.0.1:{port}/callback"
        await the_wait_goes_on(receiver, task)
    # The same fixed port can be used again right away (connections in TIME_WAIT are fine).
    async with LoopbackReceiver(port=port) as again:
        assert again.port == port


@pytest.mark.asyncio
async def test_fixed_port_in_use_is_a_clear_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            async with LoopbackReceiver(port=port):
                pass
    assert caught.value.field == "redirect_port"
    assert str(port) in caught.value.message
    assert caught.value.advice


@pytest.mark.asyncio
async def test_two_receivers_on_one_fixed_port() -> None:
    async with LoopbackReceiver() as first:
        with pytest.raises(ConfigError):
            async with LoopbackReceiver(port=first.port):
                pass


# -- secrets stay out of logs and reprs ---------------------------------------------------------


@pytest.mark.asyncio
async def test_code_state_and_url_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app")
    secret_code, secret_state = "SECRETCODE4711", "SECRETSTATE0815"
    async with LoopbackReceiver(finish_linger=0.05) as receiver:
        task = asyncio.create_task(receiver.wait(secret_state))
        await request(receiver.port, f"/callback?code=x&state={secret_state}x")
        await request(receiver.port, f"/callback?code={secret_code}&state={secret_state}")
        response = await result_of(task)
        await request(receiver.port, f"/callback?code={secret_code}&state={secret_state}")
        await receiver.finish(True)
    assert caplog.records
    assert secret_code not in caplog.text
    assert secret_state not in caplog.text
    assert "?" not in caplog.text
    assert secret_code not in repr(response)
    assert secret_state not in repr(response)


# -- the query parser, by property ----------------------------------------------------------------

PARAM_NAMES = st.sampled_from(
    ["state", "code", "error", "error_description", "iss", "x", "st%61te"]
)
VALUES = st.text(max_size=12)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(query=st.text(max_size=80), expected=st.text(min_size=1, max_size=12))
def test_check_callback_query_never_crashes_on_any_text(query: str, expected: str) -> None:
    check = check_callback_query(query, expected)
    if check.ends_wait:
        states = parse_qs(query, keep_blank_values=True).get("state")
        assert states == [expected]


@settings(max_examples=500)
@given(
    pairs=st.lists(st.tuples(PARAM_NAMES, VALUES), max_size=6),
    expected=st.text(min_size=1, max_size=12),
    use_expected=st.booleans(),
)
def test_only_a_single_exact_state_match_ends_the_wait(
    pairs: list[tuple[str, str]], expected: str, use_expected: bool
) -> None:
    if use_expected:
        pairs = [*pairs, ("state", expected)]
    query = "&".join(f"{quote(n, safe='%')}={quote(v, safe='')}" for n, v in pairs)
    check = check_callback_query(query, expected)
    decoded = parse_qs(query, keep_blank_values=True)
    if check.ends_wait:
        assert decoded.get("state") == [expected]
        assert all(len(values) == 1 for values in decoded.values())  # no repeated parameter
        assert check.params["state"] == expected
        assert check.kind is CallbackKind.DENIED or check.params.get("code")
    # Completeness: one exact state and one printable code, nothing repeated -> authorized.
    names = [n.replace("%61", "a") for n, _ in pairs]
    simple = all(v.isprintable() and v.isascii() and v.strip(" ") == v for _, v in pairs)
    if (
        len(set(names)) == len(names)
        and names.count("state") == 1
        and dict(zip(names, (v for _, v in pairs), strict=True)).get("state") == expected
        and simple
        and any(n == "code" and v for n, v in zip(names, (v for _, v in pairs), strict=True))
        and "error" not in names
        and expected.isascii()
        and expected.isprintable()
    ):
        assert check.kind is CallbackKind.AUTHORIZED


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"),
        max_size=60,
    )
)
def test_receiver_only_completes_on_a_verdict_that_ends_the_wait(query: str) -> None:
    async def scenario() -> None:
        async with LoopbackReceiver() as receiver:
            task = asyncio.create_task(receiver.wait(STATE))
            reply = await request(receiver.port, f"/callback?{query}")
            ends = check_callback_query(query, STATE).ends_wait
            assert reply.status in ((303, 200) if ends else (400,))
            if not ends:
                await the_wait_goes_on(receiver, task)
            else:
                await result_of(task)

    asyncio.run(scenario())
