"""The one-shot receiver for the authorization response (RFC 8252 loopback redirect).

The app opens the authorization request in the system browser (RFC 8252 §4.1); the identity
provider redirects the browser to ``http://127.0.0.1:<port><path>?code=..&state=..``, and this
module answers that request and hands the parameters to the caller::

    async with LoopbackReceiver(path="/callback") as receiver:
        open_browser(build_authorization_url(redirect_uri=receiver.redirect_uri, state=state))
        response = await receiver.wait(state)    # SignInTimeout, BrowserForcedHttpsError
        ...exchange response.code...
        await receiver.finish(ok=True)           # tells the browser tab how sign-in ended

With ``response_mode=form_post`` and a one-time start URL (what the sign-in core uses when
discovery lists ``form_post`` and a ``pushed_authorization_request_endpoint``)::

    async with LoopbackReceiver(form_post_origin="https://tenant.logto.app") as receiver:
        receiver.set_start_handler(push_request)   # async () -> URL to send the browser to
        open_browser(receiver.new_start_url())     # http://127.0.0.1:<port>/start/<token>
        response = await receiver.wait(state)
        ...

``form_post_origin`` (the issuer's origin) switches the callback to OAuth 2.0 Form Post
Response Mode: the response is accepted only as a bounded ``POST <path>`` with an
``application/x-www-form-urlencoded`` body and exactly that ``Origin``, and answered with
``303 See Other`` to ``<path>/done``; a query on ``GET <path>`` is then refused. Everything
below about parsing, ``state`` and error responses applies to the body as to the query, and
:attr:`AuthorizationResponse.callback_url` is the redirect URI with the body as its query.
:meth:`~LoopbackReceiver.new_start_url` mints a URL that answers its first ``GET`` with
``303`` to what the start handler returns (it pushes the request, RFC 9126, and returns the
authorization endpoint with the ``request_uri``; or it returns the full authorization URL).
Each URL works once and only until the wait ends, so only this URL, never the request's
``state`` or PKCE challenge, reaches the browser's command line (which any local user can
read) and history; a used or unknown one gets a short page.

Rules, and where they come from:

* Listen on the loopback interface only, never on all interfaces (RFC 8252 §8.3), on an
  ephemeral port unless a fixed one is configured (§7.3). ``::1`` is also bound on the same port
  when the machine has IPv6, but the redirect URI always names ``127.0.0.1`` so that it matches
  the Native app registration and does not depend on how ``localhost`` resolves (§7.3, §8.3).
* Keep serving until a request on the callback path carries *this* attempt's ``state``
  (RFC 6749 §10.12, RFC 8252 §8.9): stray requests (a favicon, a preconnect, a stale tab, another
  local program) get an answer and never use up the only slot.
* Only a well-formed authorization response ends the wait: a success response carries ``code``
  (RFC 6749 §4.1.2), an error response carries ``error`` (§4.1.2.1). A request with the right
  ``state`` but neither is *not* an authorization response, so it gets a 400 page and the wait
  goes on (the real redirect may still come; otherwise the timeout ends it). When both ``code``
  and ``error`` are present, ``error`` wins and the code is dropped: the sign-in fails closed.
* Parameters are parsed strictly as ``application/x-www-form-urlencoded`` (RFC 6749 Appendix B):
  malformed fields, invalid UTF-8, control characters or any parameter sent more than once
  (RFC 6749 §3.1 "MUST NOT be included more than once") make the request invalid. Empty values
  count as omitted (§3.1).
* Every request is bounded: a read deadline, a cap on the request line and headers, no request
  body (a small one for form_post), one request per connection, a cap on open connections and a
  smaller one (``max_held``) on requests held open. ``Host`` must name the loopback address and
  our port, so a web page that rebinds its DNS name to 127.0.0.1 cannot talk to the receiver.
* The loopback port is open to every user and process on the machine (RFC 8252 §8.3). On Linux
  a connection whose peer socket another OS user owns (``/proc/net/tcp`` and ``tcp6``) is closed
  before a byte of it is judged: another user can read the browser's command line, and could
  otherwise send their own authorization response (login CSRF) or use up a start URL. When the
  connection cap is reached, an answered connection is closed first, then one of the process
  that holds the most connections (its quietest one still sending a request), so a flood from
  one process cannot push out the browser's few connections; where the OS does not say which
  process that is, the quietest connection still sending its request.
* Nothing but a valid authorization response ends the wait (or the timeout, a cancel, leaving
  the context): no byte a client sends can. A browser that forces HTTPS sends a TLS ClientHello
  to the plain-HTTP port; so can any local program, or a page the person has open
  (``fetch('https://127.0.0.1:<port>/', {mode: 'no-cors'})``), so a ClientHello is only a hint:
  its connection is closed, :attr:`~LoopbackReceiver.https_attempted` turns true and
  ``on_https_attempt`` is called once (the waiting view can say that HTTPS-only browsers need an
  exception for 127.0.0.1), and if the wait then times out it raises
  :class:`~desktop_app.errors.BrowserForcedHttpsError`, which names the timeout and the HTTPS
  attempt, instead of ``SignInTimeout``. Stray plain-HTTP requests (a favicon, ``GET <path>``
  without ``state``) do not change that diagnosis. Only a well-formed TLS record header with a
  ClientHello (RFC 8446 §5.1, §4) counts, not any byte 0x16.
* A callback that arrives before :meth:`~LoopbackReceiver.wait` is called (the browser can be
  quicker than the caller) is held open and judged as soon as ``wait()`` knows the state.
* The code must not stay in the address bar or the history: a successful callback is answered
  with ``303 See Other`` to ``<path>/done`` (no query), which shows the outcome that
  :meth:`~LoopbackReceiver.finish` sets. An error callback is answered with the error page at
  once (with form_post, also through ``/done``, so a reload does not post it again).
* The code, the state and the callback URL are never logged; logs name paths (without query),
  methods and status codes only. Request headers (Logto's cookies for 127.0.0.1 reach this port
  too: cookies ignore the port) are never logged or echoed.

Who does what: aiohttp's low-level server (:class:`aiohttp.web_protocol.RequestHandler`) parses
and frames HTTP/1.1 and writes the answers; this module keeps only the policies. The one
hand-written part is the connection front (:class:`_Connection`), which owns a connection's
bytes until its request head is complete and then hands it to aiohttp. It exists because three
rules must be judged before any HTTP parsing, and aiohttp cannot judge them: the first bytes
(a TLS ClientHello is not HTTP), a cap on the whole head (aiohttp caps each line and header
field, not their sum, so 60 headers of 200 bytes pass), and a deadline for the head (aiohttp
has none, so a client that sends a byte at a time would hold a connection for ever). The front
also answers those three cases itself (408/414/431), since aiohttp has no request to answer yet,
and holds the bytes until the peer's owner is known.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import errno
import hashlib
import hmac
import html
import logging
import os
import re
import secrets
import socket
import string
import struct
import sys
from base64 import b64encode
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from http import HTTPStatus
from importlib import resources
from types import TracebackType
from typing import ClassVar, cast
from urllib.parse import parse_qsl, urlsplit

from aiohttp import HttpVersion10, HttpVersion11, web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from desktop_app.auth.http import web_origin
from desktop_app.config import check_callback_path
from desktop_app.errors import (
    AuthError,
    BrowserForcedHttpsError,
    ConfigError,
    DesktopAppError,
    SignInCancelled,
    SignInTimeout,
)

__all__ = [
    "AuthorizationResponse",
    "CallbackCheck",
    "CallbackKind",
    "LoopbackReceiver",
    "check_callback_query",
]

logger = logging.getLogger(__name__)

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"

_MAX_QUERY_FIELDS = 64
_MAX_ECHOED_CHARS = 300
_LISTEN_BACKLOG = 1024
# After answering, the receiver half-closes and drains what the client still sends, so the
# kernel does not reset the connection before the browser has read the page ("lingering close").
_LINGER_SECONDS = 2.0
_MAX_DRAIN_BYTES = 64 * 1024

# origin-form request target (RFC 9112 §3.2.1): visible ASCII, no fragment.
_ORIGIN_FORM = re.compile(r"/[\x21\x22\x24-\x7e]*")
# A configured callback path: RFC 3986 path characters only, no query or fragment.
_START_PREFIX = "/start/"
_SCAN_INTERVAL = 0.05  # at most this often, a look at which process owns which peer socket
# RFC 8446 §5.1: a handshake record (22), legacy version 3.x, a length of 1..2^14+256 (the top
# byte 0x00..0x41), then §4: handshake type client_hello (1).
_CLIENT_HELLO_BYTES = 6
_CLIENT_HELLO_START = re.compile(rb"\x16\x03[\x00-\x04][\x00-\x41][\x00-\xff]\x01", re.DOTALL)
# RFC 6749 Appendix A: code = 1*VSCHAR, error = 1*NQSCHAR.
_VSCHAR = re.compile(r"[\x20-\x7e]+")
_NQSCHAR = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class AuthorizationResponse:
    """What the browser brought back on the callback path with this attempt's ``state``.

    Either ``code`` is set (RFC 6749 §4.1.2) or ``error`` is (§4.1.2.1; the caller turns it into
    :class:`~desktop_app.errors.AuthorizationError`). ``iss`` is the RFC 9207 issuer identifier when
    the provider sent one; the caller checks it. ``callback_url`` is the redirect URI plus the query
    exactly as received, for the Logto SDK's ``handleSignInCallback``. The code, the state and the
    URL are secrets for the length of the exchange: they are left out of ``repr`` and never logged.
    """

    code: str | None = field(repr=False)
    state: str = field(repr=False)
    error: str | None
    error_description: str | None
    iss: str | None
    callback_url: str = field(repr=False)


class CallbackKind(enum.Enum):
    """How a query on the callback path relates to the attempt that is waiting."""

    AUTHORIZED = "authorized"  # this attempt's state and a code: ends the wait
    DENIED = "denied"  # this attempt's state and an error: ends the wait
    WRONG_STATE = "wrong_state"  # a state, but not this attempt's
    MISSING_STATE = "missing_state"
    INCOMPLETE = "incomplete"  # this attempt's state, but neither code nor error
    MALFORMED = "malformed"  # not a valid form-encoded query, or a parameter sent twice


@dataclass(frozen=True)
class CallbackCheck:
    """The verdict of :func:`check_callback_query` and, when it ends the wait, the parameters."""

    kind: CallbackKind
    params: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def ends_wait(self) -> bool:
        """True when the query is an authorization response for this attempt."""
        return self.kind in (CallbackKind.AUTHORIZED, CallbackKind.DENIED)


def check_callback_query(query: str, expected_state: str) -> CallbackCheck:
    """Judge the query string of a callback request against this attempt's ``state``.

    Pure and total: any string gives a verdict, nothing raises. Only a query with exactly one
    ``state`` equal to ``expected_state`` (compared in constant time) and a valid ``code`` or
    ``error`` ends the wait.
    """
    try:
        # RFC 6749 Appendix B: the response is application/x-www-form-urlencoded in UTF-8.
        pairs = parse_qsl(
            query,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_QUERY_FIELDS,
        )
    except ValueError:  # includes UnicodeDecodeError
        return CallbackCheck(CallbackKind.MALFORMED)
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        # RFC 6749 §3.1: parameters MUST NOT be included more than once.
        return CallbackCheck(CallbackKind.MALFORMED)
    if any(_CONTROL.search(name) or _CONTROL.search(value) for name, value in pairs):
        return CallbackCheck(CallbackKind.MALFORMED)
    # RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    params = {name: value for name, value in pairs if value}
    state = params.get("state")
    if state is None:
        return CallbackCheck(CallbackKind.MISSING_STATE)
    # compare_digest wants bytes for non-ASCII text; surrogatepass keeps any str encodable.
    if not hmac.compare_digest(
        state.encode("utf-8", "surrogatepass"), expected_state.encode("utf-8", "surrogatepass")
    ):
        return CallbackCheck(CallbackKind.WRONG_STATE)
    if "error" in params:
        if not _NQSCHAR.fullmatch(params["error"]):
            return CallbackCheck(CallbackKind.MALFORMED)
        return CallbackCheck(CallbackKind.DENIED, params)
    if "code" in params:
        if not _VSCHAR.fullmatch(params["code"]):
            return CallbackCheck(CallbackKind.MALFORMED)
        return CallbackCheck(CallbackKind.AUTHORIZED, params)
    return CallbackCheck(CallbackKind.INCOMPLETE)


# -- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    template: string.Template
    csp: str


@cache
def _template() -> _Template:
    """The one callback page (resources/callback.html), for success and failure alike."""
    text = (
        resources.files("desktop_app.resources")
        .joinpath("callback.html")
        .read_text(encoding="utf-8")
    )
    # The page's only style is inline; allow exactly that block by its hash (CSP Level 2), and
    # nothing else: no scripts, no external loads, no forms, no framing.
    style = re.search(r"<style>(.*?)</style>", text, re.DOTALL)
    style_hash = b64encode(hashlib.sha256((style.group(1) if style else "").encode()).digest())
    csp = (
        "default-src 'none'; "
        f"style-src 'sha256-{style_hash.decode('ascii')}'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return _Template(string.Template(text), csp)


def _echo(text: str) -> str:
    """Text from outside (the provider's error description) made safe and short for a page."""
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > _MAX_ECHOED_CHARS:
        text = text[: _MAX_ECHOED_CHARS - 1] + "…"
    return text


@dataclass(frozen=True)
class _Page:
    ok: bool
    heading: str
    message: str

    def render(self) -> tuple[bytes, str]:
        template = _template()
        body = template.template.substitute(
            outcome="ok" if self.ok else "error",  # picks the page's colour and icon
            title=html.escape(self.heading),
            heading=html.escape(self.heading),
            message=html.escape(self.message),
        )
        return body.encode("utf-8"), template.csp


_PAGE_BAD_HOST = _Page(False, "Not available", "This address only serves this app's sign-in.")
_PAGE_NOT_FOUND = _Page(False, "Not found", "There is nothing at this address.")
_PAGE_BAD_METHOD = _Page(False, "Not allowed", "This address only answers the sign-in redirect.")
_PAGE_BAD_REQUEST = _Page(
    False, "Sign-in response not recognised", "This address could not read the request."
)
_PAGE_TOO_LARGE = _Page(False, "Request too large", "This address could not read the request.")
_PAGE_TIMEOUT = _Page(False, "Request timed out", "The request did not arrive in time.")
_PAGE_WRONG_STATE = _Page(
    False,
    "Sign-in link out of date",
    "This sign-in response belongs to a different or older sign-in attempt. "
    "Return to the app and click Sign in again.",
)
_PAGE_INCOMPLETE = _Page(
    False,
    "Sign-in response incomplete",
    "The sign-in response is missing information. Return to the app and click Sign in again.",
)
_PAGE_NOT_READY = _Page(
    False,
    "The app was not ready",
    "The app was not waiting for this sign-in response. Return to the app and try again.",
)
_PAGE_BAD_ORIGIN = _Page(
    False,
    "Not accepted",
    "This address only accepts the sign-in response from your sign-in service.",
)
_PAGE_LINK_USED = _Page(
    False,
    "Sign-in link already used",
    "This sign-in link works only once, and only while the app waits for that sign-in. "
    "Return to the app and click Open browser again, or Sign in.",
)
_PAGE_FAILED = _Page(False, "Something went wrong", "The app could not answer this request.")
_PAGE_STILL_FINISHING = _Page(
    True, "Almost done", "The app is finishing the sign-in. Return to the app to see the result."
)


def _finish_page(ok: bool, message: str) -> _Page:
    if ok:
        # (Not "Sign-in completed.": that only says the heading again.)
        return _Page(True, "You're signed in", _echo(message) or "The app has your sign-in now.")
    return _Page(
        False,
        "Sign-in did not complete",
        _echo(message) or "Something went wrong while finishing sign-in. Return to the app.",
    )


def _start_failed_page(message: str) -> _Page:
    return _Page(
        False,
        "Sign-in could not start",
        _echo(message) or "The app could not start the sign-in. Return to the app and try again.",
    )


def _denied_page(error: str, description: str | None) -> _Page:
    message = _echo(description) if description else f"The sign-in service answered “{error}”."
    return _Page(False, "Sign-in did not complete", message)


# -- the connection front: what must be judged before HTTP parsing ---------------------------------


def _security_headers(csp: str) -> dict[str, str]:
    return {
        # The page follows a URL that carried the code: keep it out of caches and referrers.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": csp,
        "Server": "desktop-app",
    }


def _raw_response(status: int, page: _Page) -> bytes:
    """A complete answer written by the front, before aiohttp has a request to answer."""
    body, csp = page.render()
    headers = {
        "Date": formatdate(usegmt=True),
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        **_security_headers(csp),
        "Connection": "close",
    }
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Phase(enum.Enum):
    READING = enum.auto()  # the request head is still arriving (the front buffers it)
    HANDLING = enum.auto()  # handed to aiohttp; being answered
    HELD = enum.auto()  # a complete request, answered later (finish(), or wait() starting)
    DRAINING = enum.auto()  # answered; waiting for the peer to close
    CLOSED = enum.auto()


class _Handler(RequestHandler):
    """aiohttp's HTTP/1.1 connection handler, with our pages for the requests it cannot parse.

    aiohttp's own error answer logs the parser's exception and echoes its message, which can
    quote the request line (the code and state) or a header (a cookie): neither may reach a log
    or a page, so this answers with the plain "could not read" page and logs nothing.
    """

    front: _Connection

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500 and not isinstance(exc, ConnectionError):
            logger.warning("The sign-in listener failed on a request: %s", type(exc).__name__)
        else:
            logger.debug("Loopback request not understood: %s", type(exc).__name__)
        return _page_response(status, _PAGE_BAD_REQUEST if status < 500 else _PAGE_FAILED)


def _page_response(
    status: int, page: _Page | None, extra: Mapping[str, str] | None = None
) -> web.Response:
    body, csp = page.render() if page is not None else (b"", "default-src 'none'")
    response = web.Response(
        status=status,
        body=body,
        content_type="text/html",
        charset="utf-8",
        headers={**_security_headers(csp), **(extra or {})},
    )
    response.force_close()  # one request per connection
    return response


class _Connection(asyncio.Protocol):
    """One client connection.

    Until the request head is complete this front owns the bytes: it checks the first bytes for
    a TLS ClientHello, bounds the head's size and the time it may take, and only then hands the
    connection to aiohttp's :class:`RequestHandler`, forwarding every later event to it.
    """

    def __init__(self, receiver: LoopbackReceiver) -> None:
        self._receiver = receiver
        self.transport: asyncio.Transport | None = None
        self.phase = _Phase.READING
        self.received = 0
        self.opened = 0.0  # loop time of the last byte (or of the connection), for eviction
        self._buffer = bytearray()
        self._scanned = 0  # how much of the buffer holds no end of headers
        self._timer: asyncio.TimerHandle | None = None
        self._inner: _Handler | None = None
        self.verified = True  # False while the peer's owner is being looked up
        self.peer_inode = 0  # the peer socket's inode, where the OS says (for fairness)
        self._eof = False  # the client half-closed while its bytes waited for the peer check

    # asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a stream server's transport
        self.transport = transport
        self.opened = asyncio.get_running_loop().time()
        if not self._receiver._admit(self):
            self.phase = _Phase.CLOSED
            transport.abort()
            return
        self._set_timer(self._receiver._read_timeout, self._read_timed_out)
        if self._receiver._peers is not None:
            self.verified = False  # no byte is judged before we know who sent it
            self._receiver._peers.check(self)

    def peer_verified(self) -> None:
        """The peer socket belongs to our user: judge what it has sent so far."""
        self.verified = True
        if self.phase is _Phase.READING and self._buffer:
            self._advance()

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        self.opened = asyncio.get_running_loop().time()
        if self._inner is not None:
            if self.received > self._receiver._max_request_bytes + _MAX_DRAIN_BYTES:
                self.abort()  # one bounded request per connection; the rest is not read
                return
            self._inner.data_received(data)
            return
        if self.phase is not _Phase.READING:
            return
        self._buffer += data
        if self.verified:
            self._advance()
        elif len(self._buffer) > self._receiver._max_request_bytes:
            self.abort()  # far more than a request head, before we even know who sent it

    def eof_received(self) -> bool:
        if self._inner is not None:
            return True  # a half-closed client can still read the answer; aiohttp closes
        if not self.verified and self._buffer:
            self._eof = True  # judge the request once the peer check is done
            return True
        self.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.phase = _Phase.CLOSED
        self._cancel_timer()
        self._buffer.clear()
        if self._inner is not None:
            self._inner.connection_lost(exc)
        self._receiver._forget(self)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    # the head ----------------------------------------------------------------------------------

    def _advance(self) -> None:
        if self._buffer[:1] == b"\x16":  # no HTTP method starts with 0x16
            if len(self._buffer) < _CLIENT_HELLO_BYTES:
                if self._eof:
                    self.close()
                return  # judge it when the record header and the handshake type are here
            if _CLIENT_HELLO_START.match(self._buffer):
                # A TLS ClientHello on the plain-HTTP port: a browser that forces HTTPS, or
                # anyone imitating one. Nothing to answer in TLS; the wait goes on.
                self._receiver._tls_detected()
                self.abort()
                return
        limit = self._receiver._max_request_bytes
        # aiohttp caps each line and header, not the whole head, and has no deadline for it:
        # find the end of the head here, resuming where the previous chunk ended so that a
        # request sent a byte at a time costs linear, not quadratic, time.
        end = self._buffer.find(b"\r\n\r\n", max(0, self._scanned - 3), limit)
        self._scanned = len(self._buffer)
        if end == -1 or end + 4 > limit:
            if len(self._buffer) >= limit:
                line_end = self._buffer.find(b"\r\n", 0, limit)
                self.respond_raw(414 if line_end == -1 else 431, _PAGE_TOO_LARGE)
            elif self._eof:
                self.close()  # half-closed before the head was complete: nothing will follow
            return
        self._cancel_timer()
        self._hand_over()

    def _hand_over(self) -> None:
        assert self.transport is not None
        inner = self._receiver._new_handler()
        inner.front = self
        self._inner = inner
        self.phase = _Phase.HANDLING
        data, self._buffer = bytes(self._buffer), bytearray()
        inner.connection_made(self.transport)
        inner.data_received(data)

    def _read_timed_out(self) -> None:
        self._timer = None
        if self.phase is not _Phase.READING:
            return
        if self.received == 0:
            self.close()  # an idle preconnect: nothing to answer
        else:
            self.respond_raw(408, _PAGE_TIMEOUT)

    def respond_raw(self, status: int, page: _Page) -> None:
        """Answer from the front (the head never reached aiohttp), then close gently."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.phase is not _Phase.READING:
            return
        self._cancel_timer()
        transport.write(_raw_response(status, page))
        logger.debug("Loopback request -> %d", status)
        self.phase = _Phase.DRAINING
        self._buffer.clear()
        # Half-close and let the client close first, so unread input never resets the answer.
        if transport.can_write_eof():
            transport.write_eof()
        self._set_timer(_LINGER_SECONDS, self.abort)

    # used by the receiver ------------------------------------------------------------------------

    def close(self) -> None:
        """Close gently: flush what was written, then close."""
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self._cancel_timer()
        if self.transport is not None:
            self.transport.abort()

    def shut(self) -> None:
        """Close now: gently when the answer is fully handed to the kernel, else abort."""
        transport = self.transport
        if transport is None:
            return
        if self.phase is _Phase.DRAINING and transport.get_write_buffer_size() == 0:
            self._cancel_timer()
            transport.close()
        else:
            self.abort()

    def _set_timer(self, seconds: float, callback: Callable[[], object]) -> None:
        self._cancel_timer()
        self._timer = asyncio.get_running_loop().call_later(seconds, callback)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


# -- the receiver ---------------------------------------------------------------------------------


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if sys.platform == "win32":
            # Windows' SO_REUSEADDR would let another program take over the port; forbid sharing.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            # Lets a fixed port be reused while old connections sit in TIME_WAIT; a port with a
            # live listener still fails with EADDRINUSE.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _is_port_unavailable(exc: OSError) -> bool:
    # EACCES: a privileged port (< 1024 on POSIX); on Windows WSAEACCES (10013) is also what a
    # port held with SO_EXCLUSIVEADDRUSE gives, and 10048 is WSAEADDRINUSE.
    return exc.errno in (errno.EADDRINUSE, errno.EACCES) or getattr(exc, "winerror", None) in (
        10013,
        10048,
    )


class LoopbackReceiver:
    """Receives one authorization response on ``http://127.0.0.1:<port><path>`` (RFC 8252 §7.3).

    Use it as an async context manager: entering binds and starts serving, leaving closes the
    listeners and every connection. :meth:`wait` returns the response for one ``state``;
    :meth:`finish` tells the browser tab how the sign-in ended. One receiver serves one sign-in.

    ``timeout`` bounds :meth:`wait`. The other knobs bound what a single connection can cost:
    ``read_timeout`` (seconds to send the request), ``max_request_bytes`` (request line and
    headers), ``max_connections`` (open at once; to make room an answered one, else the one
    still sending its request that has been quiet the longest, is closed), ``max_held`` (requests
    held open at once, for ``/done`` and for early callbacks; past it they are answered at once),
    ``hold_timeout`` (how long a ``/done`` request waits for :meth:`finish`, or an early callback
    for :meth:`wait`), ``finish_linger`` (how long :meth:`finish` waits for the tab to fetch
    ``/done``). ``on_https_attempt`` is called once when a TLS ClientHello first arrives;
    ``form_post_origin`` is described in the module docstring. ``refuse_other_users`` (on by
    default) closes connections whose peer socket belongs to another OS user, where the OS says
    (Linux); elsewhere it has no effect.
    """

    def __init__(
        self,
        *,
        path: str = "/callback",
        port: int = 0,
        timeout: float = 300.0,
        read_timeout: float = 10.0,
        max_request_bytes: int = 8192,
        max_connections: int = 256,
        max_held: int = 16,
        hold_timeout: float = 30.0,
        finish_linger: float = 2.0,
        bind_ipv6: bool = True,
        form_post_origin: str | None = None,
        on_https_attempt: Callable[[], object] | None = None,
        refuse_other_users: bool = True,
    ) -> None:
        check_callback_path(path)  # the settings' own rules: one place for them (config.py)
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0..65535, got {port}")
        for name, value in (
            ("timeout", timeout),
            ("read_timeout", read_timeout),
            ("hold_timeout", hold_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if finish_linger < 0 or max_request_bytes < 256 or max_connections < 1 or max_held < 1:
            raise ValueError(
                "finish_linger, max_request_bytes, max_connections or max_held out of range"
            )
        self._path = path
        self._done_path = path.rstrip("/") + "/done"
        self._requested_port = port
        self._timeout = timeout
        self._read_timeout = read_timeout
        self._max_request_bytes = max_request_bytes
        self._max_connections = max_connections
        self._max_held = max_held
        self._hold_timeout = hold_timeout
        self._finish_linger = finish_linger
        self._on_https_attempt = on_https_attempt
        self._peers = _PeerOwners() if refuse_other_users and _PeerOwners.available() else None
        self._bind_ipv6 = bind_ipv6
        self._form_post_origin = None if form_post_origin is None else _web_origin(form_post_origin)
        self._start_handler: Callable[[], Awaitable[str]] | None = None
        self._start_tokens: list[str] = []  # live: minted, not used yet
        self._used_tokens: set[str] = set()

        self._servers: list[asyncio.Server] = []
        self._port: int | None = None
        self._connections: dict[_Connection, None] = {}  # insertion-ordered: oldest first
        self._no_connections = asyncio.Event()
        self._no_connections.set()
        self._closed = False

        self._expected_state: str | None = None
        self._result: asyncio.Future[AuthorizationResponse] | None = None
        self._early: list[_Hold] = []  # callbacks that came before wait()
        self._ended = False  # an authorization response (code or error) ended the wait
        self._done_expected = False  # the tab was sent to /done and will ask for it
        self._done_waiters: list[_Hold] = []
        self._done_served = asyncio.Event()
        self._outcome: _Page | None = None

        self._tls_seen = False
        self._web: web.Server | None = None

    # context manager ------------------------------------------------------------------------------

    async def __aenter__(self) -> LoopbackReceiver:
        if self._servers or self._closed:
            raise RuntimeError("a LoopbackReceiver can be entered only once")
        loop = asyncio.get_running_loop()
        # aiohttp does the HTTP/1.1 parsing and framing; handler_cancellation ends a held
        # request's handler when its connection goes away.
        self._web = web.Server(
            self._respond,
            handler_cancellation=True,
            access_log=None,  # an access log would carry the query: the code and the state
            keepalive_timeout=0,
            lingering_time=_LINGER_SECONDS,
            max_line_size=self._max_request_bytes,
            max_field_size=self._max_request_bytes,
        )
        try:
            sock = _bind(socket.AF_INET, LOOPBACK_V4, self._requested_port)
        except OSError as exc:
            self._closed = True
            if self._requested_port and _is_port_unavailable(exc):
                raise ConfigError(
                    f"Port {self._requested_port} on 127.0.0.1 is already in use (or reserved), "
                    "so the app cannot receive the sign-in callback there.",
                    advice="Close the program that uses this port, or set the callback port to 0 "
                    "so the app picks a free one.",
                    field="redirect_port",
                ) from exc
            raise AuthError(
                "The app could not open a local port to receive the sign-in callback.",
                advice="Check that nothing blocks connections to 127.0.0.1, then try again.",
                detail=f"bind 127.0.0.1:{self._requested_port}: {exc}",
            ) from exc
        self._port = sock.getsockname()[1]
        try:
            self._servers.append(await self._serve(loop, sock))
            if self._bind_ipv6 and socket.has_ipv6:
                try:
                    sock6 = _bind(socket.AF_INET6, LOOPBACK_V6, self._port)
                except OSError as exc:
                    # No IPv6 loopback, or the port is taken there: the redirect URI names
                    # 127.0.0.1, so IPv4 alone is enough.
                    logger.debug("Not listening on [::1]:%d: %s", self._port, exc)
                else:
                    self._servers.append(await self._serve(loop, sock6))
        except BaseException:
            await self._close()
            raise
        logger.info("Listening for the sign-in callback on 127.0.0.1:%d%s", self._port, self._path)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _serve(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> asyncio.Server:
        try:
            return await loop.create_server(
                lambda: _Connection(self), sock=sock, backlog=_LISTEN_BACKLOG
            )
        except BaseException:
            sock.close()
            raise

    # public API -----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the receiver listens on (after entering)."""
        if self._port is None:
            raise RuntimeError("the receiver is not listening; use 'async with'")
        return self._port

    @property
    def redirect_uri(self) -> str:
        """``http://127.0.0.1:<port><path>``: the redirect URI to put in the authorization request."""
        return f"http://{LOOPBACK_V4}:{self.port}{self._path}"

    @property
    def done_path(self) -> str:
        """The query-free path the browser is sent to after a successful callback."""
        return self._done_path

    @property
    def active_connections(self) -> int:
        """How many client connections are open right now (listeners not counted)."""
        return len(self._connections)

    @property
    def form_post_origin(self) -> str | None:
        """The origin a ``form_post`` response must come from, or None for query responses."""
        return self._form_post_origin

    def set_start_handler(self, handler: Callable[[], Awaitable[str]]) -> None:
        """Set what the one-time start URLs lead to (see :meth:`new_start_url`).

        ``handler`` is awaited when a browser first opens a live start URL, and returns the
        absolute URL the browser is sent to with ``303 See Other``: the authorization endpoint
        with the ``request_uri`` it has just pushed (RFC 9126 §4), or the full authorization
        URL. If it raises, that browser gets a page saying the sign-in could not start (the
        :class:`~desktop_app.errors.DesktopAppError` message, if it is one) and the wait goes on.
        """
        self._start_handler = handler

    def new_start_url(self) -> str:
        """Mint a fresh one-time ``http://127.0.0.1:<port>/start/<token>`` for the browser.

        Only this URL (never the authorization request) goes on the browser's command line,
        where every local user can read it. Each URL works for one ``GET``, and only until the
        wait ends; a used, unknown or expired one gets a short page that says so. Call it again
        for "Open browser again" or "Copy sign-in link", so a used link is never handed out.
        """
        if self._start_handler is None:
            raise RuntimeError("set_start_handler() must be called before new_start_url()")
        if self._closed or not self._servers or self._ended:
            raise RuntimeError("the receiver is not waiting for a sign-in")
        token = secrets.token_urlsafe(32)  # 256 bits (RFC 6749 §10.10 asks for >= 128)
        self._start_tokens.append(token)
        return f"http://{LOOPBACK_V4}:{self.port}{_START_PREFIX}{token}"

    @property
    def https_attempted(self) -> bool:
        """True once a TLS ClientHello reached the plain-HTTP listener (a hint, not an error)."""
        return self._tls_seen

    @property
    def listening(self) -> bool:
        """True while the listeners accept connections."""
        return bool(self._servers) and not self._closed

    async def wait(self, state: str) -> AuthorizationResponse:
        """Wait for the authorization response that carries ``state``; return its parameters.

        Raises :class:`~desktop_app.errors.SignInTimeout` after ``timeout`` seconds,
        or :class:`~desktop_app.errors.BrowserForcedHttpsError` instead when a TLS ClientHello
        came meanwhile (see :attr:`https_attempted`), and :class:`~desktop_app.errors.SignInCancelled` if the receiver is closed
        meanwhile. Cancelling the task propagates ``CancelledError``. On any of these the
        listeners and connections are closed at once. After a response is returned the receiver
        keeps serving ``/done`` until :meth:`finish` / exit.
        """
        if not state:
            raise ValueError("state must not be empty")
        if self._closed or not self._servers:
            raise RuntimeError("the receiver is not listening; use 'async with'")
        if self._result is not None:
            raise RuntimeError("wait() can be called only once per LoopbackReceiver")
        loop = asyncio.get_running_loop()
        self._expected_state = state
        result: asyncio.Future[AuthorizationResponse] = loop.create_future()
        self._result = result
        early, self._early = self._early, []
        for hold in early:
            if not hold.answer.done():
                hold.answer.set_result(self._judge(hold.text))
        try:
            async with asyncio.timeout(self._timeout):
                return await result
        except TimeoutError:
            self._shut()
            if self._tls_seen:
                logger.warning("Sign-in timed out after a TLS handshake reached the listener")
                raise BrowserForcedHttpsError(self._timeout) from None
            logger.info("Sign-in timed out after %g s", self._timeout)
            raise SignInTimeout(self._timeout) from None
        except BaseException:
            self._shut()
            raise

    async def finish(self, ok: bool, message: str = "") -> None:
        """Tell the browser tab how sign-in ended, then give it up to ``finish_linger`` s to ask.

        ``message`` is shown on the page (escaped); pass words written for people, never tokens.
        A ``/done`` request that is already waiting is answered now; later ones get the same page.
        """
        self._outcome = _finish_page(ok, message)
        waiters, self._done_waiters = self._done_waiters, []
        for hold in waiters:
            if not hold.answer.done():
                hold.answer.set_result(self._done_answer())
        if self._done_expected and not self._done_served.is_set() and not self._closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._finish_linger):
                    await self._done_served.wait()

    # called by connections --------------------------------------------------------------------------

    def _new_handler(self) -> _Handler:
        assert self._web is not None
        return _Handler(self._web, loop=asyncio.get_running_loop(), **self._web._kwargs)

    def _admit(self, conn: _Connection) -> bool:
        if self._closed:
            return False
        if len(self._connections) >= self._max_connections:
            victim = self._eviction_candidate()
            if victim is None:
                logger.debug("Loopback connection refused: %d open", len(self._connections))
                return False
            victim.abort()
            self._connections.pop(victim, None)
        self._connections[conn] = None
        self._no_connections.clear()
        return True

    def _eviction_candidate(self) -> _Connection | None:
        # First a connection already answered (oldest first). Then fairness between processes
        # (RFC 8252 §8.3 leaves the loopback port open to every process): the victim comes from
        # the process that holds the most connections, where the OS says who that is, so a
        # flood from one process cannot push out the browser's few; within it, the connection
        # still sending its request that has been quiet the longest, else its oldest.
        # Without that knowledge, the quietest connection still sending its request: a browser
        # sends its request as soon as it connects, so it is not the quietest (picking an idle
        # connection first, as before, picked the browser's, fresh and not yet read). Held
        # requests are capped (``max_held``) rather than evicted there.
        for conn in self._connections:
            if conn.phase is _Phase.DRAINING:
                return conn
        live = [conn for conn in self._connections if conn.phase is not _Phase.CLOSED]
        if self._peers is not None and live:
            owner = self._peers.processes(live)
            counts = collections.Counter(owner.values())
            if counts:
                pid, count = counts.most_common(1)[0]
                if count > 1:
                    mine = [conn for conn in live if owner.get(conn) == pid]
                    reading = [conn for conn in mine if conn.phase is _Phase.READING]
                    return min(reading or mine, key=lambda conn: conn.opened)
        reading = [conn for conn in live if conn.phase is _Phase.READING]
        return min(reading, key=lambda conn: conn.opened, default=None)

    def _forget(self, conn: _Connection) -> None:
        self._connections.pop(conn, None)
        if not self._connections:
            self._no_connections.set()

    def _tls_detected(self) -> None:
        first = not self._tls_seen
        self._tls_seen = True
        if first and not self._ended:
            logger.warning("A TLS handshake reached the plain-HTTP sign-in listener")
            if self._on_https_attempt is not None:
                try:
                    self._on_https_attempt()
                except Exception as exc:  # an observer must not break the listener
                    logger.warning("on_https_attempt failed: %s", type(exc).__name__)

    # requests (aiohttp calls _respond once per connection) ----------------------------------------

    async def _respond(self, request: BaseRequest) -> web.StreamResponse:
        conn = cast(_Handler, request.protocol).front
        try:
            answer = await self._route(conn, request)
        finally:
            if conn.phase is not _Phase.CLOSED:
                conn.phase = _Phase.DRAINING
        logger.debug(
            "Loopback %s %r -> %d", request.method, _log_path(request.raw_path), answer.status
        )
        response = _page_response(answer.status, answer.page, answer.extra)
        await response.prepare(request)
        await response.write_eof()
        # Half-close so the client sees the end at once, while aiohttp's lingering close reads
        # what the client still sends (a body that was not read): closing with unread input
        # would make the kernel reset the connection before the browser has read the page.
        transport = request.transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            transport.write_eof()
        if answer.outcome:
            # Only now, with the page handed to the kernel, may finish() return and the
            # receiver close: a held /done answered but not yet written would be cut off.
            self._done_served.set()
        return response

    async def _route(self, conn: _Connection, request: BaseRequest) -> _Answer:
        target = request.raw_path
        if request.version not in (HttpVersion10, HttpVersion11) or not _ORIGIN_FORM.fullmatch(
            target
        ):
            return _Answer(400, _PAGE_BAD_REQUEST)
        if not self._host_allowed(request.headers.getall("Host", [])):
            # DNS rebinding (RFC 8252 §8.3 asks for loopback-only; this keeps web pages out too).
            return _Answer(400, _PAGE_BAD_HOST)
        path, _, query = target.partition("?")
        if path.startswith(_START_PREFIX):
            if request.method != "GET":  # a HEAD or a probe must not use the link up
                return _Answer(405, _PAGE_BAD_METHOD, {"Allow": "GET"})
            return await self._on_start(path.removeprefix(_START_PREFIX))
        if path not in (self._path, self._done_path):
            return _Answer(404, _PAGE_NOT_FOUND)
        if path == self._path and self._form_post_origin is not None:
            if request.method != "POST":
                return _Answer(405, _PAGE_BAD_METHOD, {"Allow": "POST"})
            return await self._on_form_post(conn, request)
        if request.method != "GET":
            return _Answer(405, _PAGE_BAD_METHOD, {"Allow": "GET"})
        if request.body_exists or "Transfer-Encoding" in request.headers:
            return _Answer(413, _PAGE_TOO_LARGE)
        if path == self._path:
            return await self._on_callback(conn, query)
        return await self._on_done(conn)

    async def _on_form_post(self, conn: _Connection, request: BaseRequest) -> _Answer:
        """``response_mode=form_post`` (OAuth 2.0 Form Post Response Mode §2): the parameters
        arrive as an urlencoded body, so they never reach the address bar or the history."""
        # Only the identity provider's own auto-submitting page may post the response: a page
        # on another origin (or another local program, which sends no Origin) may not.
        if request.headers.getall("Origin", []) != [self._form_post_origin]:
            logger.info("Ignored a callback POST from another origin")
            return _Answer(403, _PAGE_BAD_ORIGIN)
        if (
            len(request.headers.getall("Content-Type", [])) != 1
            or request.content_type != "application/x-www-form-urlencoded"
            or (request.charset or "utf-8").lower() != "utf-8"
        ):
            return _Answer(415, _PAGE_BAD_REQUEST)
        length = request.content_length
        if "Transfer-Encoding" in request.headers or length is None:
            return _Answer(411, _PAGE_BAD_REQUEST)
        if length > self._max_request_bytes:
            return _Answer(413, _PAGE_TOO_LARGE)
        conn.phase = _Phase.READING  # a body that trickles in can be evicted like a slow head
        try:
            async with asyncio.timeout(self._read_timeout):
                body = await request.content.readexactly(length)
        except TimeoutError:
            return _Answer(408, _PAGE_TIMEOUT)
        except asyncio.IncompleteReadError:
            return _Answer(400, _PAGE_BAD_REQUEST)
        finally:
            if conn.phase is _Phase.READING:
                conn.phase = _Phase.HANDLING
        try:
            text = body.decode("ascii")  # urlencoded is ASCII; anything else is malformed
        except UnicodeDecodeError:
            return _Answer(400, _PAGE_BAD_REQUEST)
        return await self._on_callback(conn, text)

    async def _on_start(self, token: str) -> _Answer:
        """The one-time start URL: push the request now (or look it up), send the browser on."""
        live = next(
            (t for t in self._start_tokens if hmac.compare_digest(t.encode(), token.encode())),
            None,
        )
        if live is None or self._ended or self._closed or self._start_handler is None:
            known = live is not None or any(
                hmac.compare_digest(t.encode(), token.encode()) for t in self._used_tokens
            )
            return _Answer(410 if known else 404, _PAGE_LINK_USED)
        self._start_tokens.remove(live)
        self._used_tokens.add(live)
        try:
            async with asyncio.timeout(self._hold_timeout):
                url = await self._start_handler()
        except DesktopAppError as exc:
            logger.warning("The sign-in could not start: %s", type(exc).__name__)
            return _Answer(502, _start_failed_page(exc.user_message))
        except Exception as exc:  # the browser must get a page, whatever went wrong
            logger.warning("The sign-in could not start: %s", type(exc).__name__)
            return _Answer(502, _start_failed_page(""))
        if urlsplit(url).scheme not in ("https", "http") or _CONTROL.search(url):
            logger.warning("The start handler returned no usable URL")
            return _Answer(502, _start_failed_page(""))
        logger.info("Sent the browser on from a start link")
        return _Answer(303, None, {"Location": url})

    def _host_allowed(self, hosts: list[str]) -> bool:
        if len(hosts) != 1:
            return False
        allowed = {f"{name}:{self._port}" for name in ("127.0.0.1", "[::1]", "localhost")}
        if self._port == 80:
            allowed |= {"127.0.0.1", "[::1]", "localhost"}
        return hosts[0].lower() in allowed

    def _room_to_hold(self, conn: _Connection, holds: list[_Hold], displaced: _Answer) -> bool:
        """Whether ``conn`` may be held; past ``max_held``, fair between processes.

        When the process that holds the most held requests holds more than one, and it is not
        ``conn``'s, its oldest is answered with ``displaced`` to make room: a process that
        keeps asking cannot keep the browser's one request out.
        """
        if len(holds) < self._max_held:
            return True
        if self._peers is None:
            return False
        # Rare (only past the cap), so worth an up-to-date look at who holds what.
        owner = self._peers.processes([hold.conn for hold in holds] + [conn], interval=0.0)
        counts = collections.Counter(owner[h.conn] for h in holds if h.conn in owner)
        if not counts:
            return False
        pid, count = counts.most_common(1)[0]
        if count < 2 or owner.get(conn) == pid:
            return False
        oldest = next(h for h in holds if owner.get(h.conn) == pid)
        holds.remove(oldest)
        if not oldest.answer.done():
            oldest.answer.set_result(displaced)
        return True

    async def _hold(self, conn: _Connection, holds: list[_Hold], text: str = "") -> _Answer | None:
        """Keep the request open until someone answers it, or ``hold_timeout`` (then None)."""
        hold = _Hold(conn, asyncio.get_running_loop().create_future(), text)
        holds.append(hold)
        conn.phase = _Phase.HELD
        try:
            async with asyncio.timeout(self._hold_timeout):
                return await hold.answer
        except TimeoutError:
            return None
        finally:
            if hold in holds:
                holds.remove(hold)
            if conn.phase is _Phase.HELD:
                conn.phase = _Phase.HANDLING

    async def _on_callback(self, conn: _Connection, text: str) -> _Answer:
        if not self._ended and (self._result is None or self._expected_state is None):
            # The browser beat wait(): judge this request once wait() knows the state.
            if not self._room_to_hold(conn, self._early, _Answer(503, _PAGE_NOT_READY)):
                return _Answer(503, _PAGE_NOT_READY)
            answer = await self._hold(conn, self._early, text)
            return answer or _Answer(503, _PAGE_NOT_READY)
        return self._judge(text)

    def _judge(self, text: str) -> _Answer:
        """The answer to an authorization response's parameters; ends the wait when it is one."""
        if self._ended:
            # A reload, the back button or a second redirect: show the outcome, change nothing.
            return _Answer(303, None, {"Location": self._done_path})
        result, state = self._result, self._expected_state
        assert result is not None
        assert state is not None
        check = check_callback_query(text, state)
        if not check.ends_wait or result.done():
            page = {
                CallbackKind.WRONG_STATE: _PAGE_WRONG_STATE,
                CallbackKind.INCOMPLETE: _PAGE_INCOMPLETE,
            }.get(check.kind, _PAGE_BAD_REQUEST)
            logger.info("Ignored a callback request: %s", check.kind.value)
            return _Answer(400, page)
        params = check.params
        response = AuthorizationResponse(
            code=params.get("code") if check.kind is CallbackKind.AUTHORIZED else None,
            state=params["state"],
            error=params.get("error"),
            error_description=params.get("error_description"),
            iss=params.get("iss"),
            callback_url=f"{self.redirect_uri}?{text}",
        )
        self._ended = True
        self._used_tokens.update(self._start_tokens)
        self._start_tokens.clear()
        result.set_result(response)
        if response.error is not None:
            logger.info("The authorization response carries an error: %s", response.error)
            self._outcome = _denied_page(response.error, response.error_description)
            if self._form_post_origin is not None:
                # Post/Redirect/Get: a reload must not post the response again. The tab will
                # ask for /done, so finish() waits for it as after a success.
                self._done_expected = True
                return _Answer(303, None, {"Location": self._done_path})
            return _Answer(200, self._outcome)
        logger.info("Received the authorization response")
        # RFC 9700 §4.2.4 / RFC 8252 §8: get the code out of the address bar and history.
        self._done_expected = True
        return _Answer(303, None, {"Location": self._done_path})

    async def _on_done(self, conn: _Connection) -> _Answer:
        if self._outcome is not None:
            return self._done_answer()
        if not self._done_expected:
            return _Answer(404, _PAGE_NOT_FOUND)
        # Held requests are capped so that they cannot fill the connection cap (anyone on the
        # machine can ask for /done). Past the cap the tab is told to ask again in a second
        # (the Refresh header works without scripts, which the CSP forbids).
        ask_again = _Answer(200, _PAGE_STILL_FINISHING, {"Refresh": "1"})
        if not self._room_to_hold(conn, self._done_waiters, ask_again):
            return ask_again
        answer = await self._hold(conn, self._done_waiters)  # finish() will answer
        return answer or _Answer(200, _PAGE_STILL_FINISHING)

    def _done_answer(self) -> _Answer:
        assert self._outcome is not None
        return _Answer(200, self._outcome, outcome=True)

    # closing --------------------------------------------------------------------------------------------

    def _shut(self) -> None:
        """Stop listening and close every connection now (idempotent, synchronous)."""
        if not self._closed:
            logger.debug("Closing the sign-in listener")
        self._closed = True
        for server in self._servers:
            server.close()
        for conn in list(self._connections):
            conn.shut()
        if self._result is not None and not self._result.done():
            self._result.set_exception(SignInCancelled())
            self._result.exception()  # retrieved here if no wait() is left to do it

    async def _close(self) -> None:
        self._shut()
        for server in self._servers:
            await server.wait_closed()
        # Aborted transports report connection_lost on the next loop turns.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self._no_connections.wait()


class _PeerOwners:
    """Who owns the other end of a loopback connection, from ``/proc/net/tcp`` and ``tcp6``.

    RFC 8252 §8.3 leaves the loopback interface open to every user of the machine. Another
    user who reads the browser's command line (``/proc/<pid>/cmdline`` is world-readable)
    could send the listener an authorization response for their own account (login CSRF), or
    use up a start URL. The kernel lists every TCP socket with the uid of its owner; the peer's
    socket is the one whose local address is our connection's remote address and the other way
    round. Lookups of the connections that arrive in one event-loop turn share one read of the
    tables, so a flood of connections costs a few reads, not one each.
    """

    _TABLES: ClassVar[dict[int, str]] = {
        socket.AF_INET: "/proc/net/tcp",
        socket.AF_INET6: "/proc/net/tcp6",
    }

    def __init__(self) -> None:
        self._uid = os.geteuid()
        self._pending: list[_Connection] = []
        self._process_of: dict[int, int] = {}  # peer socket inode -> pid
        self._scanned_at = -1.0

    @staticmethod
    def available() -> bool:
        return sys.platform == "linux" and os.access("/proc/net/tcp", os.R_OK)

    def check(self, conn: _Connection) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._run)
        self._pending.append(conn)

    def _run(self) -> None:
        pending, self._pending = self._pending, []
        wanted: dict[tuple[bytes, bytes], list[_Connection]] = {}
        families: set[int] = set()
        for conn in pending:
            transport = conn.transport
            if conn.phase is _Phase.CLOSED or transport is None or transport.is_closing():
                continue
            sock = transport.get_extra_info("socket")
            peer, ours = transport.get_extra_info("peername"), transport.get_extra_info("sockname")
            if sock is None or peer is None or ours is None:
                conn.abort()
                continue
            key = (_proc_address(sock.family, peer), _proc_address(sock.family, ours))
            wanted.setdefault(key, []).append(conn)
            families.add(sock.family)
        if not wanted:
            return
        owners: dict[tuple[bytes, bytes], tuple[int, int]] = {}
        for family in families:
            try:
                with open(self._TABLES[family], "rb") as table:
                    lines = table.read().splitlines()[1:]
            except OSError as exc:
                # The OS does not say (a hardened /proc): rely on form_post, Origin and state.
                logger.warning("Cannot tell who owns loopback connections: %s", exc)
                for conns in wanted.values():
                    for conn in conns:
                        conn.peer_verified()
                return
            for line in lines:
                fields = line.split()
                key = (fields[1], fields[2])
                if key in wanted:
                    owners[key] = (int(fields[7]), int(fields[9]))
        for key, conns in wanted.items():
            uid, inode = owners.get(key, (None, 0))
            for conn in conns:
                if uid == self._uid:
                    conn.peer_inode = inode
                    conn.peer_verified()
                elif uid is None:
                    logger.debug("Closed a loopback connection whose peer is gone")
                    conn.abort()  # a closed socket has no owner: nothing to answer
                else:
                    logger.warning("Refused a loopback connection from another user (uid %d)", uid)
                    conn.abort()

    def processes(
        self, conns: list[_Connection], *, interval: float = _SCAN_INTERVAL
    ) -> dict[_Connection, int]:
        """The process that owns each connection's peer socket, for those where it is known.

        Looked up in ``/proc/<pid>/fd`` of our own processes (the only ones we can read), at
        most every ``interval`` seconds: under a flood, connections newer than the last scan
        are simply not known yet (and so not counted against anyone).
        """
        unknown = {
            c.peer_inode for c in conns if c.peer_inode and c.peer_inode not in self._process_of
        }
        now = asyncio.get_running_loop().time()
        if unknown and now - self._scanned_at >= interval:
            self._scanned_at = now
            live = {c.peer_inode for c in conns}
            known = {inode: pid for inode, pid in self._process_of.items() if inode in live}
            self._process_of = known | _socket_processes(self._uid, unknown)
        return {
            c: self._process_of[c.peer_inode] for c in conns if c.peer_inode in self._process_of
        }


def _socket_processes(uid: int, inodes: set[int]) -> dict[int, int]:
    """Which of our processes holds each socket inode (``/proc/<pid>/fd/* -> socket:[inode]``)."""
    found: dict[int, int] = {}
    with contextlib.suppress(OSError), os.scandir("/proc") as procs:
        for proc in procs:
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid != uid:
                    continue
                with os.scandir(f"/proc/{proc.name}/fd") as fds:
                    for fd in fds:
                        with contextlib.suppress(OSError):
                            link = os.readlink(fd.path)
                            if link.startswith("socket:["):
                                inode = int(link[8:-1])
                                if inode in inodes:
                                    found.setdefault(inode, int(proc.name))
            except OSError:
                continue  # the process ended meanwhile, or hides its fds
    return found


def _proc_address(family: int, address: tuple[object, ...]) -> bytes:
    """An (address, port) as ``/proc/net/tcp[6]`` prints it: each 32-bit word in host order."""
    host, port = str(address[0]), int(cast(int, address[1]))
    packed = socket.inet_pton(family, host)
    words = struct.unpack(f"={len(packed) // 4}I", packed)
    return ("".join(f"{word:08X}" for word in words) + f":{port:04X}").encode("ascii")


def _web_origin(url: str) -> str:
    """``url`` as the ``Origin`` a browser sends (RFC 6454 6.1); it must be an origin already
    (no path, query or fragment), so a wrong option fails here, not as refused callbacks."""
    parts = urlsplit(url.strip())
    try:
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("a path, query or fragment")
        return web_origin(url)
    except ValueError:
        raise ValueError(f"form_post_origin must be an http(s) origin, got {url!r}") from None


def _log_path(target: str) -> str:
    """The path of a request target for a log line: never the query nor a start link's token
    (it opens the sign-in while it waits), at most 100 characters."""
    path = target.partition("?")[0]
    if path.startswith(_START_PREFIX):
        return f"{_START_PREFIX}..."
    return path[:100]


@dataclass(frozen=True)
class _Answer:
    status: int
    page: _Page | None
    extra: Mapping[str, str] = field(default_factory=dict)
    outcome: bool = False  # the page finish() set, on /done


@dataclass(eq=False)
class _Hold:
    """A complete request kept open until it can be answered."""

    conn: _Connection
    answer: asyncio.Future[_Answer]
    text: str = field(default="", repr=False)  # an early callback's parameters
