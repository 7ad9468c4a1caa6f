"""``python -m desktop_app`` and the ``desktop-app`` command (the frozen bundle's too)."""

from __future__ import annotations

import gc
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up makes objects that live as long as the process (modules, classes, the window):
    # collecting garbage among them before the first paint is wasted work. Once the loop runs,
    # the Qt thread collects (ui.qt_async.collect_garbage_on_qt_thread), and what start-up
    # made is frozen out of later collections (DesktopApp.freeze_start_up_objects).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from desktop_app.app import main as app_main

        return app_main(argv)
    finally:
        if was_enabled:
            gc.enable()


if __name__ == "__main__":
    raise SystemExit(main())
