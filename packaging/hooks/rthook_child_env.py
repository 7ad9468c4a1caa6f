"""Runtime hook: give the programs desktop-app starts the person's environment, not ours.

On Linux PyInstaller's bootloader prepends the bundle (``/opt/desktop-app/_internal``) to
``LD_LIBRARY_PATH`` and keeps the original in ``LD_LIBRARY_PATH_ORIG``. Every child inherits
it - and the one child that matters is the browser: ``webbrowser.open`` runs ``xdg-open``,
which on KDE is ``kde-open``, a Qt program that would then load our Qt 6 instead of the
system's and crash, so the sign-in page never opens. The dynamic loader read the variable
when this process started, so restoring it here changes nothing for the app itself.
"""


def _restore_library_path() -> None:
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


_restore_library_path()
del _restore_library_path
