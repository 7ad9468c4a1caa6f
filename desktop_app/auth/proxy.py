"""Which HTTP proxy a request goes through: the person's own settings, never for loopback.

The sources, in the order the standard library reads them (``urllib.request.getproxies()``):
the ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` environment variables (lower case wins, as
curl and urllib do), else what the OS reports (the Windows registry, macOS network settings).
``NO_PROXY`` (or the OS's bypass list) is asked through ``urllib.request.proxy_bypass``, so the
rules are the standard library's: ``*``, host names, domain suffixes, ``host:port``.

Our policy on top, written here because aiohttp's ``trust_env`` gets it wrong for a desktop app:

* Loopback (``localhost``, ``127.0.0.0/8``, ``::1``) never goes through a proxy: a proxy on
  another machine cannot reach this machine's 127.0.0.1 (the local provider, a port forward),
  and aiohttp with ``trust_env`` would send ``http://127.0.0.1`` there unless ``NO_PROXY`` named
  it exactly.
* ``ALL_PROXY`` counts when no scheme-specific proxy is set (aiohttp ignores it).
* Only ``http://`` and ``https://`` proxies can be used; another scheme (``socks5://``) is a
  clear error rather than a silent direct connection.
* The credentials in a proxy URL (``http://user:secret@proxy:3128``) are sent to the proxy
  only, and are never shown or logged: :attr:`Proxy.display` leaves them out.

No I/O here: ``getproxies()`` reads the environment and, on Windows/macOS, the registry or
SystemConfiguration, which is fast and local; the requests themselves run on the event loop.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from desktop_app.errors import ConfigError

logger = logging.getLogger(__name__)

# Environment variables that may name a proxy, in the order they are looked at for a scheme.
_ENV_NAMES = {"https": ("https_proxy", "all_proxy"), "http": ("http_proxy", "all_proxy")}


@dataclass(frozen=True)
class Proxy:
    """A proxy to use for one URL: its address, the credentials for it, where it came from."""

    url: str  # scheme://host:port, without credentials
    username: str = ""
    password: str = ""
    source: str = ""  # e.g. "the HTTPS_PROXY environment variable", "the system settings"

    @property
    def display(self) -> str:
        """The proxy for people (Settings, messages): no credentials, ever."""
        return self.url.split("://", 1)[-1]

    @property
    def url_with_credentials(self) -> str:
        """For clients that take credentials only in the URL (urllib's ProxyHandler)."""
        if not self.username:
            return self.url
        from urllib.parse import quote

        scheme, _, rest = self.url.partition("://")
        user = quote(self.username, safe="")
        password = quote(self.password, safe="")
        return f"{scheme}://{user}:{password}@{rest}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine over loopback (RFC 6761 6.3, RFC 1122 3.2.1.3)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _source(scheme: str, proxy_url: str, environ: Mapping[str, str]) -> str:
    for name in _ENV_NAMES.get(scheme, ()):
        for variant in (name, name.upper()):
            if environ.get(variant) == proxy_url:
                return f"the {name.upper()} environment variable"
    return "the system proxy settings"


def proxy_for(
    url: str,
    *,
    proxies: Mapping[str, str] | None = None,
    bypass: Callable[[str], object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Proxy | None:
    """The proxy ``url`` goes through, or None for a direct connection.

    ``proxies`` and ``bypass`` default to ``urllib.request.getproxies()`` and
    ``urllib.request.proxy_bypass`` (tests pass their own). Raises :class:`ConfigError` when
    the proxy setting cannot be used (not http/https, no host).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in _ENV_NAMES or not host or is_loopback(host):
        return None
    if proxies is None:
        proxies = urllib.request.getproxies()
    raw = proxies.get(scheme) or proxies.get("all") or ""
    if not raw:
        return None
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if bypass is None:
        bypass = urllib.request.proxy_bypass
    # proxy_bypass takes host or host:port; NO_PROXY entries may name either.
    if bypass(netloc) or bypass(host):
        return None
    environ = os.environ if environ is None else environ
    source = _source(scheme, raw, environ)
    # "proxy:3128" (no scheme) is common in the Windows registry and in hand-set variables.
    target = raw if "://" in raw else f"http://{raw}"
    proxy = urlsplit(target)
    if proxy.scheme.lower() not in {"http", "https"} or not proxy.hostname:
        raise ConfigError(
            f"The proxy set in {source} ({_without_credentials(target)}) cannot be used: this "
            "app can use only HTTP or HTTPS proxies.",
            field="proxy",
            advice="Set HTTPS_PROXY to an http:// proxy (or unset it), then try again.",
        )
    host_part = proxy.hostname if ":" not in proxy.hostname else f"[{proxy.hostname}]"
    port = f":{proxy.port}" if proxy.port else ""
    return Proxy(
        url=f"{proxy.scheme.lower()}://{host_part}{port}",
        username=unquote(proxy.username or ""),
        password=unquote(proxy.password or ""),
        source=source,
    )


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}"
