"""Other processes cannot starve the person's browser of the listener (issue 9, attack 4).

Anyone on the machine can hold ``GET /callback/done`` open (it waits for ``finish()``) and open
connections that send one byte and then nothing. Before, 256 held ``/done`` filled the cap and
the person's own ``/done`` was refused, and eviction picked the browser's fresh connection (no
byte read yet) over the dribblers. Both floods here keep going while the browser asks for its
pages: every one of them must be answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.auth.test_loopback import (
    BOUND,
    CODE,
    PEERS_KNOWN,
    real_callback,
    request,
    result_of,
    until,
    waiting,
)
from tests.fixtures.chromium import ChromiumPerson

HELD_DONE = 256
DRIBBLERS = 300
BROWSER_REQUESTS = 30


async def _forever(connect_and_wait: Callable[[], Awaitable[None]]) -> None:
    """Do it again as soon as the listener has closed it: a flood that does not give up."""
    while True:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            await connect_and_wait()
        await asyncio.sleep(0)


def _hold_done(port: int) -> Callable[[], Awaitable[None]]:
    async def once() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"GET /callback/done HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            await reader.read()
        finally:
            writer.close()

    return once


def _dribble(port: int) -> Callable[[], Awaitable[None]]:
    async def once() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"G")
            await reader.read()
        finally:
            writer.close()

    return once


@contextlib.asynccontextmanager
async def floods(port: int) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(_forever(_hold_done(port))) for _ in range(HELD_DONE)]
    tasks += [asyncio.create_task(_forever(_dribble(port))) for _ in range(DRIBBLERS)]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.asyncio
@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not PEERS_KNOWN, reason="which process holds a socket is known on Linux")
async def test_held_done_and_dribblers_do_not_starve_the_real_browser(
    person: ChromiumPerson,
) -> None:
    async with waiting(read_timeout=60.0, hold_timeout=60.0) as (receiver, task):
        base = f"http://127.0.0.1:{receiver.port}"
        await real_callback(receiver)
        assert (await result_of(task)).code == CODE

        async def browse(page: Any, _url: str) -> list[tuple[int, str]]:
            seen = []
            for i in range(BROWSER_REQUESTS):
                for target in (f"/favicon.ico?{i}", f"/start/no-such-link-{i}"):
                    response = await page.goto(base + target)
                    seen.append((response.status, await page.inner_text("h1")))
            return seen

        async def outcome(page: Any, _url: str) -> str:
            # Held until finish(); or, past the cap on held requests, told to ask again.
            await page.goto(base + "/callback/done")
            await page.wait_for_selector("text=Welcome back, Ada.", timeout=60_000)
            return str(await page.inner_text("body"))

        def browser_is_waiting_for_done() -> bool:
            assert receiver._peers is not None
            owners = receiver._peers.processes([hold.conn for hold in receiver._done_waiters])
            return any(pid != os.getpid() for pid in owners.values())

        async with floods(receiver.port):
            await until(lambda: receiver.active_connections >= 200)
            person.opener(browse)(base)
            async with asyncio.timeout(120):
                seen = await asyncio.wrap_future(person.runs[-1])
            expected = [(404, "Not found"), (404, "Sign-in link already used")]
            assert seen == expected * BROWSER_REQUESTS

            # The person's tab asks for /done among the held ones and gets the outcome.
            person.opener(outcome)(base)
            async with asyncio.timeout(60):  # a loaded machine: more than BOUND
                while not browser_is_waiting_for_done():  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            await receiver.finish(True, "Welcome back, Ada.")
            async with asyncio.timeout(60):
                text = await asyncio.wrap_future(person.runs[-1])
            assert "Welcome back, Ada." in text
        assert receiver.active_connections <= 256


@pytest.mark.asyncio
async def test_held_requests_are_capped_and_the_rest_are_told_to_ask_again() -> None:
    async with waiting(max_held=4) as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        held = [asyncio.create_task(request(receiver.port, "/callback/done")) for _ in range(4)]
        await until(lambda: len(receiver._done_waiters) == 4)
        extra = await request(receiver.port, "/callback/done")
        assert extra.status == 200
        assert extra.headers["refresh"] == "1"
        assert "finishing the sign-in" in extra.text
        assert not any(t.done() for t in held)
        await receiver.finish(True, "Done here.")
        for page in await asyncio.wait_for(asyncio.gather(*held), BOUND):
            assert "Done here." in page.text


@pytest.mark.asyncio
async def test_eviction_picks_the_quietest_dribbler_not_the_fresh_connection() -> None:
    async with waiting(max_connections=8, read_timeout=60.0) as (receiver, task):
        dribblers = []
        for _ in range(8):
            reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
            writer.write(b"G")
            await writer.drain()
            dribblers.append((reader, writer))
        await until(lambda: receiver.active_connections == 8)
        await until(lambda: all(c.received for c in receiver._connections))
        # A fresh connection that has not sent its request yet survives the next arrivals.
        fresh_reader, fresh_writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        await until(lambda: any(c.received == 0 for c in receiver._connections))
        for _ in range(3):
            more = await asyncio.open_connection("127.0.0.1", receiver.port)
            more[1].write(b"G")
            dribblers.append(more)
        await until(lambda: sum(1 for c in receiver._connections if c.received == 0) == 1)
        fresh_writer.write(
            f"GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n\r\n".encode()
        )
        async with asyncio.timeout(BOUND):
            reply = await fresh_reader.read()
        assert reply.startswith(b"HTTP/1.1 404 ")
        fresh_writer.close()
        for _, writer in dribblers:
            writer.close()
        assert not task.done()


# Another process holds many /done requests open and keeps them: the held slots are shared
# fairly, so the person's request is held (and gets the outcome), not sent away.
HOLDER = """
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
conns = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /callback/done HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % port)
    conns.append(s)
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.mark.asyncio
@pytest.mark.skipif(not PEERS_KNOWN, reason="which process holds a socket is known on Linux")
async def test_held_slots_are_shared_fairly_between_processes() -> None:
    async with waiting(max_held=4) as (receiver, task):
        await real_callback(receiver)
        await result_of(task)
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLDER,
            str(receiver.port),
            "8",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert holder.stdout is not None
            async with asyncio.timeout(BOUND):
                assert await holder.stdout.readline() == b"holding\n"
            await until(lambda: len(receiver._done_waiters) == 4)
            mine = asyncio.create_task(request(receiver.port, "/callback/done"))
            await until(
                lambda: (
                    os.getpid()
                    in receiver._peers.processes(  # type: ignore[union-attr]
                        [hold.conn for hold in receiver._done_waiters]
                    ).values()
                )
            )
            assert len(receiver._done_waiters) == 4
            await receiver.finish(True, "Fair share.")
            page = await result_of(mine)
            assert "Fair share." in page.text
        finally:
            holder.kill()
            await holder.wait()
