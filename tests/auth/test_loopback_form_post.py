"""LoopbackReceiver with ``response_mode=form_post`` and one-time start URLs (issue 9).

form_post keeps the code out of the browser's address bar and history; the start URL keeps the
authorization request (state, PKCE challenge) off the browser's command line, where every local
user can read it. Every "does not end the wait" case is proved as in test_loopback.py: a real
callback sent afterwards must be the one ``wait()`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from desktop_app.auth.loopback import AuthorizationResponse, LoopbackReceiver
from desktop_app.errors import NetworkError
from tests.auth.test_loopback import (
    BOUND,
    CODE,
    STATE,
    Reply,
    parse_reply,
    request,
    result_of,
    send_raw,
    the_wait_goes_on,
    until,
    waiting,
)

ORIGIN = "https://tenant.logto.example"
FORM = "application/x-www-form-urlencoded"


def form_post_waiting(
    **kwargs: Any,
) -> contextlib.AbstractAsyncContextManager[
    tuple[LoopbackReceiver, asyncio.Task[AuthorizationResponse]]
]:
    """:func:`waiting`, with the receiver in form_post mode for ``ORIGIN``."""
    return waiting(form_post_origin=ORIGIN, **kwargs)


async def post(
    port: int,
    body: str | bytes,
    *,
    origin: str | None = ORIGIN,
    content_type: str | None = FORM,
    headers: dict[str, str] | None = None,
    target: str = "/callback",
) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    fields = {"Content-Length": str(len(data))}
    if origin is not None:
        fields["Origin"] = origin
    if content_type is not None:
        fields["Content-Type"] = content_type
    fields.update(headers or {})
    return await request(port, target, method="POST", headers=fields, body=data)


async def real_form_post(receiver: LoopbackReceiver, code: str = CODE) -> Reply:
    reply = await post(receiver.port, urlencode({"code": code, "state": STATE}))
    assert reply.status == 303
    assert reply.headers["location"] == "/callback/done"
    return reply


# -- form_post ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_form_post_response_is_accepted_and_answered_with_303_to_done() -> None:
    body = urlencode({"code": CODE, "state": STATE, "iss": f"{ORIGIN}/oidc"})
    async with form_post_waiting() as (receiver, task):
        reply = await post(receiver.port, body)
        assert reply.status == 303
        assert reply.headers["location"] == "/callback/done"
        assert reply.headers["cache-control"] == "no-store"
        response = await result_of(task)
        assert response.code == CODE
        assert response.iss == f"{ORIGIN}/oidc"
        # The SDK reads the parameters from a URL, so the body becomes the URL's query.
        assert response.callback_url == f"{receiver.redirect_uri}?{body}"
        done = asyncio.create_task(request(receiver.port, "/callback/done"))
        await receiver.finish(True, "Welcome.")
        assert "Welcome." in (await result_of(done)).text


@pytest.mark.asyncio
async def test_form_post_error_response_ends_the_wait_and_shows_the_error_on_done() -> None:
    body = urlencode({"error": "access_denied", "error_description": "<b>no</b>", "state": STATE})
    async with form_post_waiting() as (receiver, task):
        reply = await post(receiver.port, body)
        assert reply.status == 303  # Post/Redirect/Get: a reload does not post it again
        response = await result_of(task)
        assert response.error == "access_denied"
        assert response.code is None
        page = await request(receiver.port, "/callback/done")
        assert "&lt;b&gt;no&lt;/b&gt;" in page.text


@pytest.mark.asyncio
async def test_finish_after_a_form_post_error_waits_for_the_tab_to_fetch_done() -> None:
    # The error was answered with 303 to /done, so the tab will ask for /done: leaving the
    # context at once would refuse that request and the person would see "connection refused"
    # instead of why sign-in failed.
    body = urlencode({"error": "access_denied", "state": STATE})
    async with form_post_waiting(finish_linger=5.0) as (receiver, task):
        assert (await post(receiver.port, body)).status == 303
        await result_of(task)
        finishing = asyncio.create_task(receiver.finish(False, "Sign-in was cancelled."))
        done, _ = await asyncio.wait({finishing}, timeout=0.3)
        assert not done, "finish() returned before the tab fetched /done"
        page = await request(receiver.port, "/callback/done")
        async with asyncio.timeout(1.0):
            await finishing
        assert "Sign-in was cancelled." in page.text


@pytest.mark.asyncio
async def test_query_callback_is_refused_in_form_post_mode() -> None:
    async with form_post_waiting() as (receiver, task):
        reply = await request(
            receiver.port, f"/callback?{urlencode({'code': 'x', 'state': STATE})}"
        )
        assert reply.status == 405
        assert reply.headers["allow"] == "POST"
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "origin",
    [
        None,  # another local program, or a client that sends no Origin
        "null",  # a sandboxed or file: page
        "http://127.0.0.1:8000",  # a page served from the machine itself
        "https://evil.example",
        "https://tenant.logto.example.evil.example",
        "http://tenant.logto.example",  # scheme matters
        "https://tenant.logto.example:8443",
        f"{ORIGIN}/",
        f"{ORIGIN}, {ORIGIN}",
    ],
)
async def test_form_post_from_another_origin_is_refused(origin: str | None) -> None:
    async with form_post_waiting() as (receiver, task):
        reply = await post(receiver.port, urlencode({"code": "x", "state": STATE}), origin=origin)
        assert reply.status == 403
        assert "only accepts the sign-in response" in reply.text
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_two_origin_headers_are_refused() -> None:
    body = urlencode({"code": "x", "state": STATE}).encode()
    async with form_post_waiting() as (receiver, task):
        raw = (
            f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
            f"Origin: {ORIGIN}\r\nOrigin: https://evil.example\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        assert parse_reply(await send_raw(receiver.port, raw)).status == 403
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 415),
        ("text/plain", 415),
        ("multipart/form-data; boundary=x", 415),
        (f"{FORM}; charset=iso-8859-1", 415),
        ("application/json", 415),
    ],
)
async def test_form_post_needs_an_urlencoded_body(content_type: str | None, status: int) -> None:
    async with form_post_waiting() as (receiver, task):
        reply = await post(
            receiver.port, urlencode({"code": "x", "state": STATE}), content_type=content_type
        )
        assert reply.status == status
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_form_post_with_charset_utf8_is_accepted() -> None:
    async with form_post_waiting() as (receiver, task):
        body = urlencode({"code": CODE, "state": STATE})
        reply = await post(receiver.port, body, content_type=f"{FORM}; charset=UTF-8")
        assert reply.status == 303
        assert (await result_of(task)).code == CODE


# The same parameters sent as the query of a GET and as a form_post body: one parser, one verdict
# (RFC 6749 4.1.2; OAuth 2.0 Form Post Response Mode 2). test_loopback.py has the query-only
# cases (paths, encodings of the request line).
BAD_PARAMETERS = [
    ("code=stray&state=wrong", "different or older sign-in attempt"),
    ("error=access_denied&state=wrong", "different or older"),
    ("code=stray", "could not read"),  # missing state
    ("", "could not read"),
    (f"state={STATE}", "missing information"),  # neither code nor error
    (f"state={STATE}&code=", "missing information"),  # empty = omitted
    (f"code=stray&state={STATE}&state={STATE}", "could not read"),  # a parameter sent twice
    (f"code=stray&code=stray2&state={STATE}", "could not read"),
    (f"code=stray&state={STATE}&", "could not read"),  # strict parsing
    (f"code=stray&state={STATE}&junk", "could not read"),
    (f"code=st%FFray&state={STATE}", "could not read"),  # invalid UTF-8
    (f"code=st%00ray&state={STATE}", "could not read"),  # control char
    (f"code=stray&state={STATE}%00", "could not read"),
    (f"code=%E2%9C%93&state={STATE}", "could not read"),  # code is VSCHAR
    (f"code=stray&state={STATE}%20", "different or older"),
    (f"code=stray&state={STATE.upper()}", "different or older"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["query", "form_post"])
@pytest.mark.parametrize(("params", "words"), BAD_PARAMETERS)
async def test_bad_parameters_get_the_same_page_in_either_mode_and_do_not_end_the_wait(
    mode: str, params: str, words: str
) -> None:
    if mode == "query":
        async with waiting() as (receiver, task):
            reply = await request(receiver.port, f"/callback?{params}" if params else "/callback")
            assert reply.status == 400
            assert words in reply.text
            await the_wait_goes_on(receiver, task)
    else:
        async with form_post_waiting() as (receiver, task):
            reply = await post(receiver.port, params)
            assert reply.status == 400
            assert words in reply.text
            await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_form_post_body_with_raw_non_ascii_bytes_is_refused() -> None:
    async with form_post_waiting() as (receiver, task):
        reply = await post(receiver.port, f"code=\xe9&state={STATE}".encode("latin-1"))
        assert reply.status == 400
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_form_post_body_is_bounded_and_never_read_when_too_large() -> None:
    async with form_post_waiting() as (receiver, task):
        reply = await request(
            receiver.port,
            "/callback",
            method="POST",
            headers={"Origin": ORIGIN, "Content-Type": FORM, "Content-Length": "10000000"},
        )
        assert reply.status == 413
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
@pytest.mark.parametrize("framing", ["chunked", "none"])
async def test_form_post_needs_a_content_length(framing: str) -> None:
    body = urlencode({"code": "x", "state": STATE}).encode()
    async with form_post_waiting() as (receiver, task):
        head = (
            f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
            f"Origin: {ORIGIN}\r\nContent-Type: {FORM}\r\n"
        )
        if framing == "chunked":
            raw = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
            raw += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        else:
            raw = (head + "\r\n").encode() + body
        # Without framing the body is a second request on the connection: 400 for that is fine.
        assert parse_reply(await send_raw(receiver.port, raw)).status in (411, 400)
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_form_post_body_that_never_arrives_gets_408() -> None:
    async with form_post_waiting(read_timeout=0.3) as (receiver, task):
        raw = (
            f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
            f"Origin: {ORIGIN}\r\nContent-Type: {FORM}\r\nContent-Length: 50\r\n\r\ncode="
        ).encode()
        assert parse_reply(await send_raw(receiver.port, raw)).status == 408
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_form_post_before_wait_is_held_and_judged_when_wait_starts() -> None:
    async with LoopbackReceiver(form_post_origin=ORIGIN) as receiver:
        early = asyncio.create_task(post(receiver.port, urlencode({"code": CODE, "state": STATE})))
        await until(lambda: len(receiver._early) == 1)
        response = await asyncio.wait_for(receiver.wait(STATE), BOUND)
        assert response.code == CODE
        assert (await result_of(early)).status == 303


@pytest.mark.asyncio
async def test_cookies_and_headers_are_never_logged_or_echoed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cookie = "_session=COOKIESECRET0815"
    async with form_post_waiting(finish_linger=0.05) as (receiver, task):
        replies = [
            await post(receiver.port, "code=x&state=wrong", headers={"Cookie": cookie}),
            await post(receiver.port, "code=x", origin="https://evil.example/COOKIESECRET0815"),
            parse_reply(
                await send_raw(
                    receiver.port,
                    b"POST /callback HTTP/1.1\r\nCookie: "
                    + cookie.encode()
                    + b"\r\nBad Header: x\r\n\r\n",
                )
            ),
        ]
        await post(
            receiver.port, urlencode({"code": CODE, "state": STATE}), headers={"Cookie": cookie}
        )
        await result_of(task)
        await receiver.finish(True)
    assert caplog.records
    assert "COOKIESECRET0815" not in caplog.text
    for reply in replies:
        assert b"COOKIESECRET0815" not in reply.body


def test_form_post_origin_is_normalized_and_checked() -> None:
    receiver = LoopbackReceiver(form_post_origin="HTTPS://Tenant.Logto.Example:443/")
    assert receiver.form_post_origin == ORIGIN
    assert LoopbackReceiver(form_post_origin="http://localhost:3001").form_post_origin == (
        "http://localhost:3001"
    )
    assert LoopbackReceiver().form_post_origin is None
    for bad in ("ftp://x", "https://", "https://a/oidc", "https://u:p@a", "https://a?x", "a"):
        with pytest.raises(ValueError, match="origin"):
            LoopbackReceiver(form_post_origin=bad)


# -- the one-time start URL ------------------------------------------------------------------------


async def get_url(url: str, *, host: str | None = None) -> Reply:
    parts = urlsplit(url)
    assert parts.port is not None
    return await request(parts.port, parts.path, host=host)


@contextlib.asynccontextmanager
async def start_waiting(
    target: str = "https://idp.example/oidc/auth?client_id=app&request_uri=urn%3Ax",
) -> AsyncIterator[tuple[LoopbackReceiver, asyncio.Task[AuthorizationResponse], list[int]]]:
    calls: list[int] = []

    async def start() -> str:
        calls.append(1)
        return target

    async with form_post_waiting() as (receiver, task):
        receiver.set_start_handler(start)  # before the wait task first runs
        yield receiver, task, calls


@pytest.mark.asyncio
async def test_start_url_redirects_once_to_what_the_handler_returns() -> None:
    async with start_waiting() as (receiver, task, calls):
        url = receiver.new_start_url()
        prefix = f"http://127.0.0.1:{receiver.port}/start/"
        assert url.startswith(prefix)
        assert len(url.removeprefix(prefix)) >= 43  # 256 random bits
        first = await get_url(url)
        assert first.status == 303
        assert first.headers["location"] == (
            "https://idp.example/oidc/auth?client_id=app&request_uri=urn%3Ax"
        )
        assert first.headers["referrer-policy"] == "no-referrer"  # the token stays here
        assert first.headers["cache-control"] == "no-store"
        again = await get_url(url)
        assert again.status == 410
        assert "works only once" in again.text
        assert calls == [1]  # the used link pushed nothing
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_each_new_start_url_is_fresh_and_works_once() -> None:
    async with start_waiting() as (receiver, _task, calls):
        urls = [receiver.new_start_url() for _ in range(3)]
        assert len(set(urls)) == 3
        for url in reversed(urls):
            assert (await get_url(url)).status == 303
        for url in urls:
            assert (await get_url(url)).status == 410
        assert calls == [1, 1, 1]


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["HEAD", "POST", "OPTIONS"])
async def test_start_url_is_not_used_up_by_other_methods(method: str) -> None:
    async with start_waiting() as (receiver, _task, calls):
        url = receiver.new_start_url()
        probe = await request(receiver.port, urlsplit(url).path, method=method)
        assert probe.status == 405
        assert calls == []
        assert (await get_url(url)).status == 303


@pytest.mark.asyncio
@pytest.mark.parametrize("token", ["", "x", "A" * 43, "../callback", "%2e%2e"])
async def test_unknown_start_tokens_get_a_clear_page(token: str) -> None:
    async with start_waiting() as (receiver, task, calls):
        receiver.new_start_url()
        reply = await request(receiver.port, f"/start/{token}")
        assert reply.status == 404
        assert "works only once" in reply.text
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        assert calls == []
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_start_url_on_a_foreign_host_is_refused_and_not_used_up() -> None:
    async with start_waiting() as (receiver, _task, calls):
        url = receiver.new_start_url()
        reply = await get_url(url, host=f"evil.example:{receiver.port}")
        assert reply.status == 400
        assert calls == []
        assert (await get_url(url)).status == 303


@pytest.mark.asyncio
async def test_start_urls_die_when_the_wait_ends() -> None:
    async with start_waiting() as (receiver, task, calls):
        url = receiver.new_start_url()
        await real_form_post(receiver)
        await result_of(task)
        assert (await get_url(url)).status == 410
        assert calls == []
        with pytest.raises(RuntimeError):
            receiver.new_start_url()


@pytest.mark.asyncio
async def test_start_handler_failure_gets_a_page_and_the_wait_goes_on() -> None:
    attempts: list[int] = []

    async def start() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise NetworkError("The sign-in service <could not> be reached.", advice="Try again.")
        return "https://idp.example/oidc/auth?client_id=app&request_uri=urn%3Ay"

    async with LoopbackReceiver(form_post_origin=ORIGIN) as receiver:
        receiver.set_start_handler(start)
        task = asyncio.create_task(receiver.wait(STATE))
        failed = await get_url(receiver.new_start_url())
        assert failed.status == 502
        assert "Sign-in could not start" in failed.text
        assert "&lt;could not&gt; be reached. Try again." in failed.text
        assert not task.done()
        assert (await get_url(receiver.new_start_url())).status == 303
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_start_handler_returning_no_usable_url_gets_a_page() -> None:
    async with start_waiting(target="javascript:alert(1)") as (receiver, task, _calls):
        reply = await get_url(receiver.new_start_url())
        assert reply.status == 502
        assert "location" not in reply.headers
        assert not task.done()


@pytest.mark.asyncio
async def test_new_start_url_needs_a_handler_and_a_listening_receiver() -> None:
    async with LoopbackReceiver() as receiver:
        with pytest.raises(RuntimeError):
            receiver.new_start_url()
    receiver.set_start_handler(lambda: asyncio.sleep(0, "https://x"))
    with pytest.raises(RuntimeError):
        receiver.new_start_url()


def test_callback_path_cannot_shadow_the_start_urls() -> None:
    with pytest.raises(ValueError, match="path"):
        LoopbackReceiver(path="/start")
    with pytest.raises(ValueError, match="path"):
        LoopbackReceiver(path="/start/x")


# -- request smuggling on the one path that reads a body ----------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "framing",
    [
        "Content-Length: {n}\r\nTransfer-Encoding: chunked",
        "Content-Length: 5\r\nContent-Length: {n}",
        "Content-Length: -1",
        "Content-Length: +{n}",
        "Content-Length: {n}, {n}",
        "Transfer-Encoding: chunked, identity",
        "Transfer-Encoding: xchunked",
    ],
)
async def test_ambiguous_body_framing_is_refused(framing: str) -> None:
    body = urlencode({"code": "smuggled", "state": STATE}).encode()
    async with form_post_waiting() as (receiver, task):
        raw = (
            f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\nOrigin: {ORIGIN}\r\n"
            f"Content-Type: {FORM}\r\n{framing.format(n=len(body))}\r\n\r\n"
        ).encode() + body
        reply = parse_reply(await send_raw(receiver.port, raw))
        assert reply.status in (400, 411)
        await the_wait_goes_on(receiver, task, real_form_post)


@pytest.mark.asyncio
async def test_a_pipelined_second_request_is_never_read() -> None:
    async with form_post_waiting() as (receiver, task):

        def one(code: str, state: str) -> bytes:
            body = urlencode({"code": code, "state": state}).encode()
            return (
                f"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
                f"Origin: {ORIGIN}\r\nContent-Type: {FORM}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body

        raw = await send_raw(receiver.port, one("first", "wrong") + one("smuggled", STATE))
        assert parse_reply(raw).status == 400
        assert raw.count(b"HTTP/1.1 ") == 1  # one answer: one request per connection
        await the_wait_goes_on(receiver, task, real_form_post)
