"""packaging/system_libs.py: what the .deb's bundle leaves to the system and what it ships.

The .deb built with Debian's own python3 once shipped no interpreter: every file from /usr/lib
was left to Depends:, libpython3.11.so.1.0 and lib-dynload (_ssl, _asyncio, ...) included.
"""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = ("/usr/lib/python3.11", "/usr/lib/python3.11/lib-dynload")
ARCH_LIBS = "/usr/lib/x86_64-linux-gnu"


@pytest.fixture(scope="module")
def system_libs() -> ModuleType:
    # Loaded by path: the directory is not a package (and "packaging" is PyPI's name).
    spec = importlib.util.spec_from_file_location(
        "system_libs", ROOT / "packaging" / "system_libs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "src",
    [
        f"{ARCH_LIBS}/libpython3.11.so.1.0",
        "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
        "/usr/lib/python3.11/lib-dynload/_asyncio.cpython-311-x86_64-linux-gnu.so",
        "/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_debians_python_runtime_is_shipped(system_libs: ModuleType, src: str) -> None:
    assert system_libs.taken_from_system(src, DEBIAN_PYTHON) is False


@pytest.mark.parametrize(
    "src",
    [
        f"{ARCH_LIBS}/libxcb.so.1",
        f"{ARCH_LIBS}/libssl.so.3",
        f"{ARCH_LIBS}/libexpat.so.1",
        "/lib/x86_64-linux-gnu/libglib-2.0.so.0",
    ],
)
def test_system_libraries_are_left_to_depends(system_libs: ModuleType, src: str) -> None:
    assert system_libs.taken_from_system(src, DEBIAN_PYTHON) is True


def test_libraries_outside_the_system_dirs_are_shipped(system_libs: ModuleType) -> None:
    venv_qt = "/home/me/app/.venv/lib/python3.11/site-packages/PySide6/Qt/lib/libQt6Core.so.6"
    assert system_libs.taken_from_system(venv_qt, DEBIAN_PYTHON) is False


def test_the_running_interpreters_extension_modules_are_shipped(system_libs: ModuleType) -> None:
    """Whichever Python freezes the app (Debian's, pyenv's, ...), its own modules stay."""
    import _ssl

    dirs = system_libs.python_runtime_dirs()
    assert Path(sysconfig.get_config_var("DESTSHARED")).resolve().as_posix() in dirs
    assert system_libs.taken_from_system(_ssl.__file__, dirs) is False
    assert Path(sys.base_prefix).exists()
