"""The Qt binding the app runs on keeps Python's own objects alive.

PySide6 6.12.0 drops a reference to ``True`` on every ``SignalInstance.emit()``. Python 3.11's
``True`` is an ordinary object, so after as many emits as it has references (about 6,800 in the
app after start-up; qasync emits once per ``asyncio.to_thread`` hand-off), the process aborts
with "Fatal Python error: bool_dealloc: deallocating True or False". constraints.txt pins a
release without the bug and pyproject.toml excludes 6.12.0.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal, Slot


class _Sender(QObject):
    nothing = Signal()
    text = Signal(str)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    @Slot()
    def on_nothing(self) -> None:
        self.calls += 1

    def on_text(self, text: str) -> None:
        self.calls += 1


def test_emitting_a_signal_leaves_the_references_to_true_alone() -> None:
    sender, receiver, idle = _Sender(), _Receiver(), _Sender()
    sender.nothing.connect(receiver.on_nothing)
    sender.text.connect(receiver.on_text)
    before = sys.getrefcount(True)
    for _ in range(500):
        sender.nothing.emit()
        sender.text.emit("x")
        idle.nothing.emit()  # no receiver at all
    after = sys.getrefcount(True)
    assert receiver.calls == 1000
    # Other code may take or drop a few references meanwhile; 1,500 emits each dropping one
    # is what the broken release does.
    assert abs(after - before) < 100, f"True lost {before - after} references in 1,500 emits"
