"""The asyncio/Qt boundary: the attached qasync loop and the task runner."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from desktop_app.errors import NetworkError, SignInCancelled
from desktop_app.ui.qt_async import TaskRunner


def test_tasks_progress_while_qtbot_waits(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> None:
    runner = TaskRunner()
    results: list[str] = []

    async def work() -> str:
        await asyncio.sleep(0.05)
        await asyncio.to_thread(lambda: None)  # the default executor answers through Qt too
        results.append("done")
        return "done"

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        task = runner.start(work(), name="work")
        assert runner.busy
        assert task in runner.tasks
    assert results == ["done"]
    assert task.result() == "done"
    assert not runner.tasks  # the reference is dropped once done


def test_desktop_app_errors_become_error_occurred(
    qtbot: Any, qloop: asyncio.AbstractEventLoop
) -> None:
    runner = TaskRunner()

    async def fail() -> None:
        raise NetworkError("Could not reach the Logto server.", advice="Check your connection.")

    with qtbot.waitSignal(runner.error_occurred) as blocker:
        runner.start(fail())
    assert blocker.args == ["Could not reach the Logto server. Check your connection."]


def test_unexpected_errors_get_a_generic_message(
    qtbot: Any, qloop: asyncio.AbstractEventLoop
) -> None:
    runner = TaskRunner()

    async def boom() -> None:
        raise ValueError("internal detail eyJhbGciOi.secret.part")

    with qtbot.waitSignal(runner.error_occurred) as blocker:
        runner.start(boom())
    assert "Something went wrong" in blocker.args[0]
    assert "eyJ" not in blocker.args[0]


@pytest.mark.parametrize("exc", [SignInCancelled(), asyncio.CancelledError()])
def test_cancellation_is_not_an_error(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, exc: BaseException
) -> None:
    runner = TaskRunner()

    async def cancelled() -> None:
        raise exc

    with (
        qtbot.assertNotEmitted(runner.error_occurred, wait=100),
        qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy),
    ):
        runner.start(cancelled())


def test_shutdown_cancels_pending_tasks(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> None:
    runner = TaskRunner()
    forever = runner.start(asyncio.sleep(3600))
    done = asyncio.ensure_future(runner.shutdown())
    qtbot.waitUntil(done.done)
    assert forever.cancelled()
    assert not runner.busy
