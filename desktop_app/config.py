"""Settings: from command-line flags, ``DESKTOP_APP_*`` environment variables and a TOML file.

Later sources win: file < environment < flags. Every value is validated here, once, and a bad one
raises :class:`~desktop_app.errors.ConfigError` naming the field, so nothing downstream has to
second-guess its input. The file lives in the user config dir (``platformdirs``), e.g.
``~/.config/desktop-app/config.toml`` on Linux::

    endpoint = "https://your-tenant.logto.app"
    app_id = "your-native-app-id"
    scopes = ["email", "identities"]
    resources = ["https://api.example.com"]
    redirect_path = "/callback"
    redirect_port = 0
    post_logout_redirect_uri = ""
    social_target = "oauth2"
    social_name = "OAuth2"
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from desktop_app import APP_NAME
from desktop_app.errors import ConfigError

ENV_PREFIX = "DESKTOP_APP_"
DEFAULT_SIGN_IN_TIMEOUT = 300.0

# Scopes the Logto SDK always asks for; listing them again is harmless but noisy.
_SDK_DEFAULT_SCOPES = ("openid", "offline_access", "profile")
# Logto organizations: the scopes for the ID token's organizations / organization_roles claims
# and the resource without which Logto issues no organization scopes.
ORGANIZATION_SCOPES = ("urn:logto:scope:organizations", "urn:logto:scope:organization_roles")
ORGANIZATIONS_RESOURCE = "urn:logto:resource:organizations"
_SCOPE_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 3.3 scope-token
_APP_ID_RE = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_SOCIAL_TARGET_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def default_config_path() -> Path:
    """Where the settings file lives for this user."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Validated settings for one Logto tenant and Native app."""

    endpoint: str
    app_id: str
    scopes: tuple[str, ...] = ("email",)
    resources: tuple[str, ...] = ()
    redirect_path: str = "/callback"
    redirect_port: int = 0
    post_logout_redirect_uri: str = ""
    social_target: str = ""
    social_name: str = ""
    sign_in_timeout: float = DEFAULT_SIGN_IN_TIMEOUT
    session_only: bool = False
    # Logto organizations (B2B): ask for the person's organizations and organization tokens.
    organizations: bool = False
    # Languages for Logto's sign-in page (BCP 47, most preferred first); () = the OS's.
    ui_locales: tuple[str, ...] = ()
    config_path: Path | None = field(default=None, compare=False)

    @property
    def registered_redirect_uri(self) -> str:
        """The redirect URI to register in the Logto Console (Native apps ignore the port)."""
        return f"http://127.0.0.1{self.redirect_path}"

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        """The scopes sign-in asks for: :attr:`scopes`, plus Logto's organization scopes when
        :attr:`organizations` is on."""
        if not self.organizations:
            return self.scopes
        extra = tuple(s for s in ORGANIZATION_SCOPES if s not in self.scopes)
        return (*self.scopes, *extra)

    @property
    def requested_resources(self) -> tuple[str, ...]:
        """The API resources sign-in asks for; Logto grants organization scopes only with
        ``urn:logto:resource:organizations`` among them."""
        if not self.organizations or ORGANIZATIONS_RESOURCE in self.resources:
            return self.resources
        return (*self.resources, ORGANIZATIONS_RESOURCE)

    @property
    def social_display_name(self) -> str:
        return self.social_name or self.social_target.replace("-", " ").replace("_", " ").title()


# --------------------------------------------------------------------------- validation


_MAX_HOST_LENGTH = 253  # RFC 1035 2.3.4: a DNS name is at most 253 characters written out
_MAX_ENDPOINT_LENGTH = 300  # scheme, the longest host, a port: anything longer is not an endpoint
_HOST_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")  # RFC 1123 2.1 host name labels


def _short(text: str, limit: int = 60) -> str:
    """``text`` shortened for a message, so a pasted paragraph cannot flood the window."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted and shortened for a message."""
    return repr(_short(text, limit))


def validate_endpoint(value: object) -> str:
    """A Logto endpoint the settings accept: :func:`endpoint_spelling`, and ``https``, or http
    only on a loopback host (a local Logto or test server)."""
    endpoint = endpoint_spelling(value)
    parts = urlsplit(endpoint)
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ConfigError(
            f"The Logto endpoint {_shown(str(value).strip())} uses plain http on a non-local host.",
            advice="Use https; plain http is only allowed for a Logto running on this machine.",
            field="endpoint",
        )
    return endpoint


def endpoint_spelling(value: object) -> str:
    """The one spelling of a Logto endpoint, ``scheme://host[:port]``: lower-case scheme and
    host, an IDN as punycode, an IP literal in its short form, no default port, no trailing
    slash. Logto serves OIDC at ``<endpoint>/oidc`` from the host's root, so an endpoint has no
    path; the host must be a DNS name (RFC 1123) or an IP.

    Settings (:func:`validate_endpoint`), the keyring service name
    (:func:`~desktop_app.auth.storage.service_name_for`) and the client's issuer all use it, so
    ``HTTPS://Tenant.Logto.App:443/`` and ``https://tenant.logto.app`` are one tenant
    everywhere. Raises :class:`ConfigError` naming what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            "The Logto endpoint is not set.",
            advice="Enter your Logto endpoint, e.g. https://your-tenant.logto.app.",
            field="endpoint",
        )
    text = value.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        # urlsplit would quietly drop tabs and newlines and keep spaces in the host.
        raise ConfigError(
            "The Logto endpoint contains a space or an invisible character.",
            advice="Copy the endpoint from the Logto Console again, e.g. https://your-tenant.logto.app.",
            field="endpoint",
        )
    if len(text) > _MAX_ENDPOINT_LENGTH:
        raise ConfigError(
            f"The Logto endpoint is too long ({len(text)} characters).",
            advice="Use the endpoint shown in the Logto Console, e.g. https://your-tenant.logto.app.",
            field="endpoint",
        )
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"The Logto endpoint {_shown(text)} is not an http(s) URL.",
            advice="Use the endpoint shown in the Logto Console, e.g. https://your-tenant.logto.app.",
            field="endpoint",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            "The Logto endpoint must not contain a query, fragment or credentials.",
            advice="Use only the scheme, host and (optionally) port, e.g. https://auth.example.com.",
            field="endpoint",
        )
    host = _validate_host(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigError(
            "The Logto endpoint has a bad port.",
            advice="Use a port from 1 to 65535, or none, e.g. https://auth.example.com:8443.",
            field="endpoint",
        )
    # The one spelling of an endpoint, which is also its web origin (RFC 6454 6.1): the issuer
    # Logto names, ``<endpoint>/oidc``, is compared as a string (OIDC Discovery 4.3), and the
    # keyring entry is named after it, so a default port is dropped rather than kept.
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and (parts.scheme, port) not in {("http", 80), ("https", 443)}:
        netloc += f":{port}"
    endpoint = f"{parts.scheme}://{netloc}"
    path = parts.path.rstrip("/")
    if path.endswith("/oidc"):
        raise ConfigError(
            "The Logto endpoint must not end in /oidc.",
            advice=f"Use {_short(endpoint)} instead: /oidc is added for you.",
            field="endpoint",
        )
    if path:
        raise ConfigError(
            f"The Logto endpoint must not have a path ({_shown(path, 40)}).",
            advice=f"A Logto endpoint is an address with no path: try {_short(endpoint)}, or "
            "copy the endpoint from the Logto Console.",
            field="endpoint",
        )
    return endpoint


def _validate_host(hostname: str) -> str:
    """An IP literal, or a DNS host name in lower-case ASCII (an IDN becomes its punycode)."""
    host = hostname.lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    bad = ConfigError(
        f"The Logto endpoint's host {_shown(host, 40)} is not a valid host name.",
        advice="A host name is letters, digits, hyphens and dots, e.g. your-tenant.logto.app.",
        field="endpoint",
    )
    if len(host) > _MAX_HOST_LENGTH:
        raise ConfigError(
            f"The Logto endpoint's host is too long ({len(host)} characters; at most "
            f"{_MAX_HOST_LENGTH}).",
            advice="Use the endpoint shown in the Logto Console, e.g. https://your-tenant.logto.app.",
            field="endpoint",
        )
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise bad from None
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > _MAX_HOST_LENGTH
        or not all(_HOST_LABEL_RE.match(label) for label in labels)
        or labels[-1].isdigit()  # RFC 3696 2: a top-level domain is never all digits
    ):
        raise bad
    return ascii_host


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _validate_app_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            "The Logto app ID is not set.",
            advice="Copy the App ID of your Native app from the Logto Console.",
            field="app_id",
        )
    text = value.strip()
    if not _APP_ID_RE.match(text):
        raise ConfigError(
            f"The app ID {text!r} contains characters an app ID never has.",
            advice="Copy the App ID of your Native app from the Logto Console.",
            field="app_id",
        )
    return text


def _string_list(name: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise ConfigError(f"{name} must be a list of strings.", field=name)


def _validate_scopes(value: object) -> tuple[str, ...]:
    scopes: list[str] = []
    for scope in _string_list("scopes", value):
        if not _SCOPE_RE.match(scope):
            raise ConfigError(f"{scope!r} is not a valid OAuth scope.", field="scopes")
        if scope not in scopes and scope not in _SDK_DEFAULT_SCOPES:
            scopes.append(scope)
    return tuple(scopes)


def _validate_resources(value: object) -> tuple[str, ...]:
    resources: list[str] = []
    for resource in _string_list("resources", value):
        parts = urlsplit(resource)
        # RFC 8707 2: an absolute URI without a fragment.
        if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment:
            raise ConfigError(
                f"The API resource {resource!r} is not an absolute URI.",
                advice="Use the API identifier from the Logto Console, e.g. https://api.example.com.",
                field="resources",
            )
        if resource not in resources:
            resources.append(resource)
    return tuple(resources)


# RFC 3986 path characters only (no query, fragment or whitespace): what the loopback
# listener serves. The listener also answers "<path>/done" itself, after the callback.
_CALLBACK_PATH_RE = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*")
_DONE_SUFFIX = "/done"
_START_PREFIX = "/start/"


def check_callback_path(path: object) -> str:
    """Return ``path`` if the loopback listener can serve it as the callback path; otherwise
    raise :class:`ValueError` with a message written for people.

    The one set of rules for the callback path: settings validation and
    :class:`~desktop_app.auth.loopback.LoopbackReceiver` both call this, so a path the
    settings accept can always be listened on.
    """
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise ValueError("The callback path must start with a single '/', e.g. /callback.")
    if len(path) > 200:
        raise ValueError("The callback path is longer than 200 characters.")
    if any(ch in path for ch in "?#% \t\r\n\\"):
        raise ValueError(
            f"The callback path {path!r} may not contain spaces, '?', '#', '%' or '\\'."
        )
    if not _CALLBACK_PATH_RE.fullmatch(path):
        raise ValueError(
            f"The callback path {path!r} may only contain letters, digits and the characters "
            "- . _ ~ ! $ & ' ( ) * + , ; = : @ /."
        )
    if (path + "/").startswith(_START_PREFIX):
        # The listener serves one-time sign-in links under /start/ (the "Open browser again"
        # and "Copy sign-in link" addresses).
        raise ValueError(
            f"The callback path {path!r} may not be /start or below it: the app uses /start/ "
            "for its sign-in links."
        )
    if path.rstrip("/").endswith(_DONE_SUFFIX):
        # The listener sends the browser to "<path>/done" after the callback (RFC 6749 10.6:
        # no code left in the address bar), so a path ending in /done would clash with it.
        raise ValueError(
            f"The callback path {path!r} may not end in /done: the app uses "
            f"{path.rstrip('/')}/done for the page shown after sign-in."
        )
    return path


def _validate_redirect_path(value: object) -> str:
    try:
        return check_callback_path(value)
    except ValueError as exc:
        raise ConfigError(
            str(exc),
            advice="Use the path registered in the Logto Console, e.g. /callback.",
            field="redirect_path",
        ) from None


def _validate_port(value: object) -> int:
    try:
        port: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ConfigError(
            f"The callback port {value!r} is not a number.", field="redirect_port"
        ) from None
    if isinstance(value, bool) or not (port == 0 or 1024 <= port <= 65535):
        raise ConfigError(
            f"The callback port {port} is out of range.",
            advice="Use 0 (any free port, recommended) or a port from 1024 to 65535.",
            field="redirect_port",
        )
    return port


def _validate_post_logout(value: object) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ConfigError(
            "The post-logout redirect URI must be text.", field="post_logout_redirect_uri"
        )
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.fragment:
        raise ConfigError(
            f"The post-logout redirect URI {value!r} is not an absolute http(s) URL.",
            field="post_logout_redirect_uri",
        )
    return value


def _validate_social(value: object) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _SOCIAL_TARGET_RE.match(value):
        raise ConfigError(
            f"The social connector target {value!r} is not valid.",
            advice="Use the target set when the connector was created in Logto, e.g. oauth2.",
            field="social_target",
        )
    return value


def _validate_timeout(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(
            f"The sign-in timeout {value!r} is not a number.", field="sign_in_timeout"
        ) from None
    if not 5 <= seconds <= 3600:
        raise ConfigError("The sign-in timeout must be 5 to 3600 seconds.", field="sign_in_timeout")
    return seconds


def _validate_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    }:
        return value.lower() in {"1", "true", "yes", "on"}
    raise ConfigError(f"{name} must be true or false.", field=name)


# BCP 47 language tags as sign-in pages take them: language, then optional script/region/variants.
_LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def _validate_ui_locales(value: object) -> tuple[str, ...]:
    """Space- or comma-separated language tags (or a TOML list), e.g. ``de-CH de en``."""
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    tags: list[str] = []
    for item in items:
        tag = str(item).strip().replace("_", "-")
        if not _LANGUAGE_TAG_RE.match(tag):
            raise ConfigError(
                f"{_shown(tag)} is not a language tag.",
                field="ui_locales",
                advice="Use tags like de, de-CH or pt-BR, separated by spaces; leave it empty "
                "to use this computer's languages.",
            )
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


_VALIDATORS: dict[str, Any] = {
    "endpoint": validate_endpoint,
    "app_id": _validate_app_id,
    "scopes": _validate_scopes,
    "resources": _validate_resources,
    "redirect_path": _validate_redirect_path,
    "redirect_port": _validate_port,
    "post_logout_redirect_uri": _validate_post_logout,
    "social_target": _validate_social,
    "social_name": lambda v: "" if v is None else str(v).strip()[:64],
    "sign_in_timeout": _validate_timeout,
    "session_only": lambda v: _validate_bool("session_only", v),
    "organizations": lambda v: _validate_bool("organizations", v),
    "ui_locales": lambda v: _validate_ui_locales(v),
}
FIELDS = tuple(_VALIDATORS)


def validate(raw: Mapping[str, object], *, config_path: Path | None = None) -> Settings:
    """Turn raw values (strings or TOML types) into :class:`Settings`, or raise ConfigError."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ConfigError(
            f"Unknown setting {unknown[0]!r}.",
            field=unknown[0],
            advice=f"Known settings: {', '.join(FIELDS)}.",
        )
    values = {name: _VALIDATORS[name](value) for name, value in raw.items()}
    for required in ("endpoint", "app_id"):
        if required not in values:
            _VALIDATORS[required](None)
    return Settings(**values, config_path=config_path)


# --------------------------------------------------------------------------- sources


def read_file(path: Path) -> dict[str, object]:
    """The raw values in a TOML settings file; an absent file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.", field="config_file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}.",
            advice="Fix the file or delete it and enter the settings again.",
            field="config_file",
        ) from None


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Raw values from ``DESKTOP_APP_<FIELD>`` variables."""
    environ = os.environ if environ is None else environ
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in FIELDS
        if environ.get(ENV_PREFIX + name.upper(), "") != ""
    }


def load(
    *,
    overrides: Mapping[str, object] | None = None,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from the file, then the environment, then ``overrides`` (from flags)."""
    environ = os.environ if environ is None else environ
    path = config_path or Path(environ.get(ENV_PREFIX + "CONFIG", "") or default_config_path())
    raw: dict[str, object] = read_file(path)
    raw.update(read_environment(environ))
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return validate(raw, config_path=path)


def is_configured(
    *, config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether endpoint and app ID are set anywhere (the first run has neither)."""
    try:
        load(config_path=config_path, environ=environ)
    except ConfigError as exc:
        return exc.field not in {"endpoint", "app_id"}
    return True


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings as TOML (atomically); secrets are never part of them."""
    path = path or settings.config_path or default_config_path()
    data: dict[str, Any] = {}
    defaults = Settings(endpoint="", app_id="")
    for f in dataclasses.fields(Settings):
        if f.name == "config_path":
            continue
        value = getattr(settings, f.name)
        if f.name in {"endpoint", "app_id"} or value != getattr(defaults, f.name):
            data[f.name] = list(value) if isinstance(value, tuple) else value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
    return path
