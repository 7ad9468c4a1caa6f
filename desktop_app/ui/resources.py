"""Icons and other files shipped in ``desktop_app.resources`` (found through importlib.resources,
so a wheel and a frozen bundle find them as well as a source checkout)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def resource_bytes(name: str) -> bytes:
    """The bytes of ``name`` inside the resources package (e.g. ``"desktop-app.svg"``)."""
    return resources.files("desktop_app.resources").joinpath(name).read_bytes()


def app_icon() -> QIcon:
    """The app icon: every rendered PNG size (Qt scales the nearest one for sizes in between;
    256 px covers the largest use, the 80 px logo on a 3x screen).

    Not the SVG those PNGs are rendered from (packaging/make_icons.py): an SVG in a QIcon loads
    QtSvg and its icon-engine plugin, about 2.2 MiB of the app's memory (issue 13), for sizes
    the PNGs already cover. The desktop's launcher icon is the installed SVG (build-deb)."""
    icon = QIcon()
    root = resources.files("desktop_app.resources")
    for size in ICON_SIZES:
        png = root.joinpath("icons", f"desktop-app-{size}.png")
        if png.is_file():
            with resources.as_file(png) as path:
                icon.addFile(str(path))
    return icon
