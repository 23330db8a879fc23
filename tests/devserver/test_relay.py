"""The relay queue: retries, giving up with a bounce, and the spool that survives a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailproto.devserver import MemoryStore, ServerConfig
from mailproto.devserver._relay import DEV_RETRY_POLICY, RelayQueue

from ._harness import LoopThread, running

MESSAGE = b"From: ana@a.example\r\nSubject: relayed\r\n\r\nhello\r\n"


class BrokenStore(MemoryStore):
    """A store whose disk is full until :attr:`broken` is cleared."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    def deliver(self, mailbox: str, data: bytes) -> str:
        if self.broken:
            raise OSError(28, "No space left on device")
        return super().deliver(mailbox, data)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_queue(
    port: int, clock: Clock, bounces: list[tuple[str, bytes]], **kw: object
) -> RelayQueue:
    async def bounce(recipient: str, data: bytes) -> None:
        bounces.append((recipient, data))

    return RelayQueue(
        hostname="smtp.a.example",
        smarthost=("127.0.0.1", port),
        bounce=bounce,
        clock=clock,
        opportunistic_tls=False,
        connect_timeout=5,
        idle_timeout=5,
        **kw,  # type: ignore[arg-type]
    )


async def settle(queue: RelayQueue) -> None:
    """Wait until the worker has nothing due (it may still hold messages for later)."""
    for _ in range(200):
        await asyncio.sleep(0.02)
        if all(job.due is not None and job.due > queue.clock() for job in queue._jobs):
            return


def test_temporary_failure_retries_then_delivers() -> None:
    store = BrokenStore()
    with running(ServerConfig(), store=store) as (far, loop):
        clock = Clock()
        bounces: list[tuple[str, bytes]] = []

        async def scenario() -> None:
            queue = make_queue(far.smtp_port, clock, bounces)
            queue.start()
            await queue.submit("ana@a.example", ["bea@b.example"], MESSAGE)
            await settle(queue)
            assert queue.queued == 1  # 451 from the far side: kept for later
            store.broken = False
            clock.now += DEV_RETRY_POLICY.min_interval
            queue.retry_now()
            await queue.drain(10)
            await queue.stop()
            assert queue.queued == 0
            assert [r.delivered for r in queue.finished[0][1]] == [True]

        loop.run(scenario())
        assert store.read("bea@b.example", store.messages("bea@b.example")[0].uid) == MESSAGE
        assert bounces == []


def test_gives_up_and_bounces() -> None:
    store = BrokenStore()
    with running(ServerConfig(), store=store) as (far, loop):
        clock = Clock()
        bounces: list[tuple[str, bytes]] = []

        async def scenario() -> None:
            queue = make_queue(far.smtp_port, clock, bounces)
            queue.start()
            await queue.submit("ana@a.example", ["bea@b.example"], MESSAGE)
            await settle(queue)
            clock.now += DEV_RETRY_POLICY.give_up_after + timedelta(minutes=1)
            queue.retry_now()
            await queue.drain(10)
            await queue.stop()

        loop.run(scenario())
    assert len(bounces) == 1
    recipient, report = bounces[0]
    assert recipient == "ana@a.example"
    assert b"Action: failed" in report
    assert b"Final-Recipient: rfc822;bea@b.example" in report
    assert b"Subject: relayed" in report


def test_spool_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    bounces: list[tuple[str, bytes]] = []
    loop = LoopThread()
    try:

        async def first_run() -> None:
            # Nothing listens on port 1: the message waits in the spool.
            queue = make_queue(1, clock, bounces, spool=tmp_path / "spool", fsync=False)
            queue.start()
            await queue.submit("ana@a.example", ["bea@b.example"], MESSAGE, {"BODY": "8BITMIME"})
            await settle(queue)
            await queue.stop()

        loop.run(first_run())
        assert sorted(p.suffix for p in (tmp_path / "spool").iterdir()) == [".eml", ".json"]
    finally:
        loop.stop()
    with running(ServerConfig()) as (far, loop2):

        async def second_run() -> list[str]:
            queue = make_queue(far.smtp_port, clock, bounces, spool=tmp_path / "spool")
            assert queue.queued == 1
            queue.start()
            await queue.drain(10)
            await queue.stop()
            return [job_id for job_id, _ in queue.finished]

        assert len(loop2.run(second_run())) == 1
        assert far.store.read("bea@b.example", far.store.messages("bea@b.example")[0].uid) == (
            MESSAGE
        )
    assert list((tmp_path / "spool").iterdir()) == []
    assert bounces == []


def test_spool_drops_unacknowledged_leftovers(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "R1.1.1.eml").write_bytes(MESSAGE)  # no envelope: never acknowledged
    (spool / ".R1.1.2.json.tmp").write_bytes(b"{")
    queue = make_queue(1, Clock(), [], spool=spool)
    assert queue.queued == 0
    assert list(spool.iterdir()) == []
