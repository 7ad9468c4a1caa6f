"""A launch of the app's single-instance check, as its own process (for tests).

    python -m tests.ui.single_instance_child [--dir DIR] [FLAG...]

Waits for one byte on stdin (so several launches can start at the same moment), then runs
``SingleInstance.acquire(FLAGS)`` and prints ``primary``, ``secondary`` or ``problem: ...``. The
primary then prints ``activated <flags>`` for every later launch and exits when stdin closes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSocketNotifier

from desktop_app.ui.single_instance import SingleInstance


def main(argv: list[str]) -> int:
    directory = None
    if argv[:1] == ["--dir"]:
        directory, argv = Path(argv[1]), argv[2:]
    app = QCoreApplication([])
    single = SingleInstance(directory=directory)
    os.read(0, 1)  # the start signal
    if not single.acquire(argv):
        print(f"problem: {single.problem}" if single.problem else "secondary", flush=True)
        return 0
    print("primary", flush=True)
    single.activation_requested.connect(
        lambda flags: print("activated", " ".join(flags), flush=True)
    )
    notifier = QSocketNotifier(0, QSocketNotifier.Type.Read)

    def on_stdin() -> None:
        if not os.read(0, 64):
            app.quit()

    notifier.activated.connect(on_stdin)
    app.exec()
    single.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
