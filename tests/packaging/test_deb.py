"""The Linux installer, end to end: build the .deb, ``apt-get install`` it, start the installed
app headless, sign in with the FROZEN bundle (real Secret Service, local provider, headless
Chromium), then ``apt-get purge`` it and check that nothing is left behind.

Needs root and dpkg/apt (it installs a package system-wide), which CI has. Set
``DESKTOP_APP_DEB=dist/desktop-app_<version>_<arch>.deb`` to test a .deb built earlier
(``./run installer --self-test``) instead of building one here; the sign-in test then takes
``DESKTOP_APP_SELF_TEST_EXE`` (default: where that build leaves it, build/deb/...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.local_idp import LocalIdpInfo
from tests.fixtures.chromium import ChromiumPerson, sign_in_as

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "desktop-app"
INSTALL_DIR = Path("/opt/desktop-app")
LAUNCHER = Path("/usr/bin/desktop-app")
DESKTOP_FILE = Path("/usr/share/applications/desktop-app.desktop")
HICOLOR = Path("/usr/share/icons/hicolor")
ICON_FILES = [HICOLOR / "scalable/apps/desktop-app.svg"] + [
    HICOLOR / f"{size}x{size}/apps/desktop-app.png" for size in (16, 24, 32, 48, 64, 128, 256)
]
# CA settings of this machine's environment would hide whether the bundle finds the CA store.
TLS_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def _installed() -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and "ok installed" in done.stdout


def _unsupported() -> str | None:
    if not sys.platform.startswith("linux"):
        return "the .deb is built and tested on Debian/Ubuntu only"
    if os.geteuid() != 0:
        return "installs a .deb system-wide with apt-get: run as root (CI does)"
    missing = [tool for tool in ("dpkg", "dpkg-deb", "apt-get") if shutil.which(tool) is None]
    if missing:
        return f"needs Debian's package tools ({', '.join(missing)} not found)"
    if _installed() and not os.environ.get("CI"):
        return f"{PACKAGE} is already installed here; this test would replace and purge it"
    return None


pytestmark = [
    pytest.mark.slow,
    # The first test to run builds the .deb (minutes on two cores), whichever test that is.
    pytest.mark.timeout(1800),
    pytest.mark.skipif(_unsupported() is not None, reason=_unsupported() or ""),
]


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # Wait for a dpkg lock held by another apt run (an unattended upgrade, say) instead of
        # failing at once.
        ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch directory per test session for the build (the .deb and the self-test)."""
    scratch = tmp_path_factory.getbasetemp() / "deb-build"
    scratch.mkdir(exist_ok=True)
    return scratch


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .deb under test: $DESKTOP_APP_DEB, or one built now by packaging/build-deb."""
    prebuilt = os.environ.get("DESKTOP_APP_DEB")
    if prebuilt:
        return Path(prebuilt).resolve()
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build-deb"),
            "--self-test",
            "--dist",
            str(_scratch(tmp_path_factory) / "dist"),
            "--work",
            str(_scratch(tmp_path_factory) / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def self_test(
    deb: Path, installed: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Path:
    """desktop-app-self-test run on the INSTALLED bundle: the executable the build left outside
    the package, next to an ``_internal`` symlink to /opt/desktop-app/_internal (the bootloader
    looks for ``_internal`` beside the executable), so it loads the installed libraries, data and
    metadata, and the package itself carries no test program."""
    if os.environ.get("DESKTOP_APP_DEB"):
        default = ROOT / "build/deb/pyinstaller-dist/desktop-app-self-test/desktop-app-self-test"
        built = Path(os.environ.get("DESKTOP_APP_SELF_TEST_EXE") or default)
    else:
        built = (
            _scratch(tmp_path_factory)
            / "work/pyinstaller-dist/desktop-app-self-test/desktop-app-self-test"
        )
    assert built.is_file(), (
        f"{built} is missing: build it with packaging/build-deb --self-test "
        "(or point DESKTOP_APP_SELF_TEST_EXE at it)"
    )
    runner = tmp_path / "self-test"
    runner.mkdir()
    shutil.copy2(built, runner / built.name)
    (runner / "_internal").symlink_to(INSTALL_DIR / "_internal")
    return runner / built.name


@pytest.fixture(scope="module")
def installed(deb: Path) -> Iterator[Path]:
    """``apt-get install ./desktop-app_….deb``; purged at the end whatever happened."""
    done = _apt("install", str(deb))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    try:
        yield deb
    finally:
        if _installed():
            _apt("purge", PACKAGE)


def test_package_metadata_comes_from_pyproject(deb: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    fields = subprocess.run(
        [
            "dpkg-deb",
            "--show",
            "--showformat=${Package} ${Version} ${Maintainer}\n${Depends}",
            str(deb),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    head, depends = fields.split("\n", 1)
    maintainer = project["maintainers"][0]
    assert head == (
        f"desktop-app {project['version']} {maintainer['name']} <{maintainer['email']}>"
    )
    for library in (
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libegl1",
        "libfontconfig1",
        "libdbus-1-3",
        "ca-certificates",
        "libexpat1",  # pyexpat, when the bundle is frozen from Debian's python3
    ):
        assert library in depends
    # xz, as the issue asks (the data member's name says how it was compressed).
    members = subprocess.run(["ar", "t", str(deb)], capture_output=True, text=True, check=False)
    if members.returncode == 0:
        assert "data.tar.xz" in members.stdout.split()


def test_the_package_ships_the_app_and_no_test_program_or_debug_information(
    deb: Path, tmp_path: Path
) -> None:
    """desktop-app-self-test (a sign-in without a window, for the tests) stays out of what
    people install, and the native modules carry no debug information (tens of MiB that only
    a debugger reads; Qt's own libraries come stripped and are left as they are)."""
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    assert "desktop-app-self-test" not in listing
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(tmp_path)], check=True)
    with_debug_info = []
    for path in sorted((tmp_path / INSTALL_DIR.relative_to("/")).rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        sections = subprocess.run(
            ["readelf", "--section-headers", "--wide", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if " .debug_info " in sections:
            with_debug_info.append(str(path.relative_to(tmp_path)))
    assert with_debug_info == []


def test_install_puts_the_app_on_path_and_in_the_menu(installed: Path) -> None:
    assert (INSTALL_DIR / "desktop-app").is_file()
    assert os.access(INSTALL_DIR / "desktop-app", os.X_OK)
    assert shutil.which("desktop-app") == str(LAUNCHER)
    assert LAUNCHER.resolve() == INSTALL_DIR / "desktop-app"
    for icon in ICON_FILES:
        assert icon.is_file(), icon
    listed = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True, check=True)
    for path in (LAUNCHER, DESKTOP_FILE, *ICON_FILES):
        assert str(path) in listed.stdout.split("\n")


def test_desktop_file_is_valid_and_names_the_launcher_and_icon(installed: Path) -> None:
    if shutil.which("desktop-file-validate") is None:
        pytest.fail("desktop-file-validate is missing: apt-get install desktop-file-utils")
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    entry = DESKTOP_FILE.read_text(encoding="utf-8")
    assert "\nExec=desktop-app" in entry
    assert "\nIcon=desktop-app\n" in entry


def test_installed_launcher_starts_headless(installed: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(LAUNCHER), "--smoke-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test: ok" in done.stdout
    print(f"installed app smoke test: {elapsed:.2f} s")
    version = subprocess.run(
        [str(LAUNCHER), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert version.stdout.strip() == f"desktop-app {project['version']}"


def test_installed_launcher_starts_on_x11(installed: Path) -> None:
    """Under Xvfb Qt loads its xcb platform plugin, with the system's X11/xcb/GL libraries
    that the package's Depends: brought in (offscreen needs none of them)."""
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: apt-get install xvfb xauth")
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", str(LAUNCHER), "--smoke-test"],
        env={**env, "QT_QPA_PLATFORM": "xcb"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test: ok" in done.stdout


@pytest.mark.e2e
@pytest.mark.secret_service
def test_frozen_app_signs_in_with_the_real_keyring(
    self_test: Path, local_idp: LocalIdpInfo, person: ChromiumPerson, tmp_path: Path
) -> None:
    """desktop-app-self-test (frozen by the same spec, run on the installed bundle) signs in:
    the keyring backend, the CA store and the callback pages must all have survived freezing."""
    env = {key: value for key, value in os.environ.items() if key not in TLS_ENV}
    command = [str(ROOT / "scripts" / "with-secret-service"), str(self_test)]
    command += ["--endpoint", local_idp.endpoint, "--app-id", local_idp.app_id]
    command += ["--resource", local_idp.api_resource, "--timeout", "90"]
    stderr_file = (tmp_path / "stderr.txt").open("w+", encoding="utf-8")
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=stderr_file, text=True
    )
    lines: list[str] = []
    opened = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("open: "):
                # The frozen app "opens the system browser": headless Chromium is the person.
                person.opener(sign_in_as("alice", local_idp.password_of("alice")))(line[6:].strip())
                opened.set()

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    try:
        process.wait(timeout=150)
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(10)
        stderr_file.seek(0)
        stderr = stderr_file.read()
        stderr_file.close()
    output = "\n".join(lines)
    assert process.returncode == 0, f"{output}\n{stderr[-3000:]}"
    assert opened.is_set()
    assert "keyring: keyring.backends.SecretService.Keyring" in lines
    assert any(line.startswith("tls: ") and not line.startswith("tls: 0 ") for line in lines)
    assert "child-env: clean" in lines  # the browser does not inherit the bundle's libraries
    assert "signed-in: Alice Example <alice@example.test>" in lines
    assert "keyring-stored: yes" in lines
    assert "signed-out: revoked=True keyring-empty=yes" in lines
    assert lines[-1] == "ok"
    # The browser landed on the frozen app's own callback page (desktop_app.resources).
    page = person.last_result().lower()
    assert "return to the app" in page or "close this tab" in page
    assert "eyJ" not in output + stderr  # no JWT in anything the frozen app printed


def test_purge_leaves_nothing_behind(installed: Path) -> None:
    files = subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, text=True, check=True)
    owned = [Path(line) for line in files.stdout.splitlines() if line.startswith("/")]
    done = _apt("purge", PACKAGE)
    try:
        _check_purged(owned, done)
    finally:
        # Put it back, so the tests that need it pass in any order (the fixture purges at the end).
        again = _apt("install", str(installed))
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]


def test_the_installed_app_offers_no_demo(installed: Path) -> None:
    shown = subprocess.run(
        [str(LAUNCHER), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "--endpoint" in shown.stdout
    assert "--demo" not in shown.stdout  # the demo package is not in the bundle
    refused = subprocess.run(
        [str(LAUNCHER), "--demo"], capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 2
    assert "./run demo" in refused.stderr


def _check_purged(owned: list[Path], done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not _installed()
    assert subprocess.run(["dpkg", "-L", PACKAGE], capture_output=True, check=False).returncode != 0
    assert not INSTALL_DIR.exists()
    assert not LAUNCHER.is_symlink()
    assert not LAUNCHER.exists()
    assert not DESKTOP_FILE.exists()
    for icon in ICON_FILES:
        assert not icon.exists(), icon
    # Every file the package owned is gone (directories shared with others may stay).
    left = [path for path in owned if path.exists() and not path.is_dir()]
    assert left == []
