"""Runtime hook: make sure a frozen desktop-app can verify TLS certificates.

aiohttp uses ``ssl.create_default_context()``, i.e. the CA store the bundled OpenSSL was
built to look at. That is right on Debian/Ubuntu (``/usr/lib/ssl`` -> ``/etc/ssl/certs``,
package ca-certificates) and on Windows (Python reads the system store), but the OpenSSL in a
macOS Python points into its own prefix, which does not exist on the person's Mac. So, only
when nothing is configured (no ``SSL_CERT_FILE``/``SSL_CERT_DIR``) and OpenSSL's default
locations hold no certificates, point ``SSL_CERT_FILE`` at the first CA bundle that exists:
a well-known system one, else certifi's if it was frozen in.
"""


def _configure_ca_bundle() -> None:
    import os
    import ssl
    import sys

    if sys.platform == "win32":  # ssl reads the Windows certificate store itself
        return
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return
    paths = ssl.get_default_verify_paths()
    if os.path.isfile(paths.openssl_cafile):
        return
    if os.path.isdir(paths.openssl_capath) and any(
        name.endswith(".0") for name in os.listdir(paths.openssl_capath)
    ):
        return
    candidates = [
        "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Arch, Alpine
        "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
        "/etc/ssl/ca-bundle.pem",  # openSUSE
        "/etc/ssl/cert.pem",  # macOS (system LibreSSL's bundle), *BSD
    ]
    try:
        import certifi

        candidates.append(certifi.where())
    except ImportError:
        pass
    for candidate in candidates:
        if os.path.isfile(candidate):
            os.environ["SSL_CERT_FILE"] = candidate
            return
    print("desktop-app: no CA certificates found; HTTPS sign-in will fail", file=sys.stderr)


_configure_ca_bundle()
del _configure_ca_bundle
