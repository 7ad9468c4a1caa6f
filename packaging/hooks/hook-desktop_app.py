"""PyInstaller hook for desktop_app: ship ``desktop_app.resources`` with the code.

The package reads its icons, callback pages and .desktop file through
``importlib.resources.files("desktop_app.resources")`` - a string, which import analysis
cannot follow. Name the package as a hidden import and copy its data files next to it; the
frozen importer then answers ``files()`` with ``_internal/desktop_app/resources``. The
destination is spelled out rather than derived from the source path, because in a source
checkout the files live in the top-level resources/ (pyproject maps it into the package).

The distribution's metadata goes too: the About box reads the licence and the maintainer from
it (``importlib.metadata``), as pyproject.toml states them.
"""

from pathlib import Path

from PyInstaller.utils.hooks import copy_metadata, get_module_file_attribute

hiddenimports = ["desktop_app.resources"]

_init = get_module_file_attribute("desktop_app.resources")
if _init is None:
    raise SystemExit("desktop_app.resources has no __init__.py, so its data files cannot be found")
_root = Path(_init).parent
datas = [
    (str(path), str(Path("desktop_app/resources") / path.parent.relative_to(_root)))
    for path in sorted(_root.rglob("*"))
    if path.is_file()
    and path.suffix not in {".py", ".pyc", ".ts"}  # .ts: the translations' source
    and "__pycache__" not in path.parts
]
datas += copy_metadata("desktop-app")
