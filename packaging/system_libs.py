"""Which libraries a Linux package takes from the system instead of shipping them.

desktop-app.spec reads this when packaging/build-deb sets DESKTOP_APP_USE_SYSTEM_LIBS=1: the
bundle then leaves out the build machine's X11/xcb, GL/EGL, fontconfig, glib, dbus, OpenSSL,
... (the .deb's Depends: brings the installing machine's own), but it must keep the Python
runtime it freezes, wherever that lives. With Debian's own python3 the runtime IS under
/usr/lib: libpython3.X.so.1.0 (package libpython3.X) and the extension modules of
/usr/lib/python3.X/lib-dynload (_ssl, _asyncio, _ctypes, ...). Dropped, the installed app
cannot even start its interpreter; no Depends: can bring them back, since the bootloader looks
for them inside the bundle.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterable

SYSTEM_LIB_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def python_runtime_dirs() -> tuple[str, ...]:
    """The running interpreter's standard library and extension-module directories."""
    found = {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}
    found.add(sysconfig.get_config_var("DESTSHARED") or "")
    return tuple(sorted({os.path.realpath(path) for path in found if path}))


def taken_from_system(src: str, python_dirs: Iterable[str] | None = None) -> bool:
    """True if the library at ``src`` is left to the system's package (the .deb's Depends:),
    False if the bundle must ship it: anything outside the system library directories, Python's
    own shared library, and the modules of the Python being frozen."""
    if not src.startswith(SYSTEM_LIB_DIRS):
        return False
    if os.path.basename(src).startswith("libpython"):
        return False
    dirs = python_runtime_dirs() if python_dirs is None else tuple(python_dirs)
    real = os.path.realpath(src)
    return not any(
        path.startswith(directory.rstrip("/") + "/") for directory in dirs for path in (src, real)
    )
