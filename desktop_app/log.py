"""Logging setup with a filter that redacts anything token-shaped before it is written.

The code never logs tokens, codes or verifiers on purpose; this filter is the second line of
defence for messages that quote a URL, a form body or a library's exception text.
"""

from __future__ import annotations

import logging
import re
import sys

REDACTED = "[redacted]"

# JWTs (JWS compact: three base64url parts, the first starting with '{"' encoded as 'eyJ').
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_HIDDEN_PARAMS = (
    r"(?:code|code_verifier|code_challenge|state|nonce|access_token|refresh_token|id_token|"
    r"id_token_hint|token|client_secret|password|session_state|login_hint|request_uri)"
)
# A secret parameter only where it is a parameter: ``key=value`` in a query string, a form body
# or a keyword repr (no space before the ``=``), or a quoted key in JSON or a dict repr. A bare
# word followed by a colon ("Session state: signed_in", "status code: 500") is prose, not a secret.
_SECRET_PARAM = re.compile(
    rf"""(?P<key>(?<![A-Za-z0-9_.-]){_HIDDEN_PARAMS}=['"]?"""
    rf"""|['"]{_HIDDEN_PARAMS}['"]\s*:\s*['"]?)(?P<value>[^\s&'",}}]+)""",
    re.IGNORECASE,
)
# Headers that carry credentials: at the start of a line (an HTTP dump) or as a quoted key (a
# dict repr). "Missing authorization: ..." in a sentence is left alone.
_SECRET_HEADER = re.compile(
    r"""(?im)(?P<key>(?:^[ \t]*|['"])(?:authorization|proxy-authorization|cookie|set-cookie|dpop)"""
    r"""['"]?\s*:\s*['"]?)(?P<value>[^\r\n'"]+)"""
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """``text`` with every token-shaped value replaced by ``[redacted]``."""
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SECRET_HEADER.sub(lambda m: m.group("key") + REDACTED, text)
    return _SECRET_PARAM.sub(lambda m: m.group("key") + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(*, verbose: bool = False) -> None:
    """Log to stderr: INFO by default, DEBUG with ``--verbose``; always redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # aiohttp's access/client debug logs can quote URLs with codes; keep them at INFO at most.
    logging.getLogger("aiohttp").setLevel(logging.INFO)
