"""The main window on a real :class:`SessionViewModel` over a :class:`FakeSession`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.view_model import SessionViewModel
from tests.ui.fakes import FakeSession

WindowFor = Callable[..., MainWindow]


@pytest.fixture
def window_for(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[WindowFor]:
    models: list[SessionViewModel] = []

    def build(session: FakeSession | None = None, **vm_kwargs: Any) -> MainWindow:
        vm = SessionViewModel(**vm_kwargs)
        models.append(vm)
        if session is not None:
            vm.set_session(session)  # type: ignore[arg-type]
        window = MainWindow(vm)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield build
    for vm in models:
        task = asyncio.ensure_future(vm.close())
        qtbot.waitUntil(task.done, timeout=10_000)
