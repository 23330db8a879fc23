"""Passing mail on to other domains: a small queue on top of the delivery planner.

:class:`RelayQueue` takes a message for remote recipients, groups them by domain, asks the
delivery planner (:class:`~mailproto.delivery.ResolutionPlanner`) for each domain's mail hosts
(or uses a smarthost), and talks SMTP to them with the asyncio driver, trying the candidates in
order. Recipients refused for good (5xx), and messages the retry policy gives up on, come back
to the sender as a bounce. The decisions come from :mod:`mailproto.delivery`; this module only
does the I/O and the bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import random
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..delivery import (
    Action,
    Attempt,
    Failure,
    GiveUp,
    Outcome,
    PermanentFailure,
    Query,
    RecipientStatus,
    Record,
    Resolution,
    ResolutionPlanner,
    RetryPolicy,
    RType,
    build_dsn,
    classify_reply,
    route,
    run_planner,
)
from ..drivers import asyncio as driver
from ..smtp import (
    Data,
    DataChunk,
    EndOfData,
    Hello,
    MailFrom,
    Quit,
    RcptTo,
    Reply,
    SmtpClient,
    StartTLSCommand,
)

__all__ = ["DEV_RETRY_POLICY", "Lookup", "RelayQueue", "RelayResult", "dns_lookup"]

logger = logging.getLogger("mailproto.devserver")

#: A blocking DNS lookup for the planner: the records for a query, or how it failed.
Lookup = Callable[[Query], Iterable[Record] | Failure]

#: Retries for a development server: a few quick tries, then a bounce within the hour.
DEV_RETRY_POLICY = RetryPolicy(
    min_interval=timedelta(seconds=30),
    max_interval=timedelta(minutes=10),
    give_up_after=timedelta(hours=1),
    warn_after=None,
    host_min_interval=timedelta(seconds=30),
)


def dns_lookup(query: Query) -> Iterable[Record] | Failure:
    """Look ``query`` up in the real DNS with dnspython (an optional dependency).

    :raises RuntimeError: dnspython is not installed.
    """
    return _system_resolver()(query)


@functools.cache
def _system_resolver() -> Lookup:
    try:
        import dns.resolver

        from ..drivers.dns import lookup_function
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "relaying by MX needs dnspython (pip install dnspython), or use --smarthost"
        ) from exc
    resolver = dns.resolver.Resolver()
    resolver.lifetime = 10.0
    return lookup_function(resolver)


@dataclass(frozen=True, slots=True)
class RelayResult:
    """What became of one recipient of a relayed message.

    :param recipient: the address.
    :param delivered: accepted by a remote server.
    :param reply: the last reply concerning it (or a made-up one for connection failures).
    :param host: the host that answered (``""`` if none did).
    """

    recipient: str
    delivered: bool
    reply: Reply
    host: str = ""


@dataclass
class _Job:
    id: str
    sender: str
    recipients: list[str]
    data: bytes
    queued_at: datetime
    params: dict[str, str | None] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    due: datetime | None = None
    results: list[RelayResult] = field(default_factory=list)


#: The MAIL parameters passed on to the next hop when it offers the extension.
_FORWARDED = {"BODY": "8BITMIME", "SMTPUTF8": "SMTPUTF8"}


class _Spool:
    """Queued messages on disk, so that a restart does not lose what was acknowledged.

    Each message is two files: ``<id>.eml`` (the bytes) and ``<id>.json`` (the envelope),
    each written to a temporary name, synced and renamed; the JSON file is written last, so a
    message without one was never acknowledged and is removed.
    """

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync
        path.mkdir(parents=True, exist_ok=True)

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.path / f".{name}.tmp"
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, self.path / name)

    def _sync_dir(self) -> None:
        if self.fsync:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def save(self, job: _Job, *, data: bool = True) -> None:
        if data:
            self._write(f"{job.id}.eml", job.data)
        envelope = {
            "sender": job.sender,
            "recipients": job.recipients,
            "queued_at": job.queued_at.isoformat(),
            "params": job.params,
        }
        self._write(f"{job.id}.json", json.dumps(envelope).encode())
        self._sync_dir()

    def remove(self, job: _Job) -> None:
        for suffix in (".json", ".eml"):
            (self.path / f"{job.id}{suffix}").unlink(missing_ok=True)
        self._sync_dir()

    def load(self) -> list[_Job]:
        jobs = []
        for meta in sorted(self.path.glob("*.json")):
            job_id = meta.name.removesuffix(".json")
            try:
                envelope = json.loads(meta.read_text("utf-8"))
                data = (self.path / f"{job_id}.eml").read_bytes()
                jobs.append(
                    _Job(
                        job_id,
                        str(envelope["sender"]),
                        [str(r) for r in envelope["recipients"]],
                        data,
                        datetime.fromisoformat(envelope["queued_at"]),
                        dict(envelope.get("params") or {}),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.error("relay spool: cannot read %s: %s", meta.name, exc)
        known = {job.id for job in jobs}
        for leftover in self.path.glob("*.eml"):
            if leftover.name.removesuffix(".eml") not in known:
                leftover.unlink(missing_ok=True)
        for leftover in self.path.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        return jobs


class _Deferred(Exception):
    """One candidate failed in a way that lets the next one be tried."""

    def __init__(self, outcome: Outcome, diagnostic: str, status: str | None = None) -> None:
        super().__init__(diagnostic)
        self.outcome = outcome
        self.diagnostic = diagnostic
        self.status = status


class RelayQueue:
    """A relay for :class:`~mailproto.devserver.SMTPService`: queue, resolve, deliver, bounce.

    :param hostname: our name in EHLO, and the planner's name for ourselves.
    :param lookup: answers the planner's DNS queries (:func:`dns_lookup`, the demo's zone).
    :param smarthost: deliver everything to this ``(host, port)`` instead of MX hosts.
    :param port: the SMTP port of MX hosts.
    :param locate: maps ``(address, port)`` to where to really connect (the demo's loopback
        network); by default the address itself.
    :param bounce: called with ``(recipient, bounce bytes)`` to deliver a bounce to a sender.
    :param policy: the retry policy.
    :param opportunistic_tls: use STARTTLS when offered (without checking the certificate,
        as MTAs do without MTA-STS or DANE).
    :param wrap: called with each new client connection and a hop label (for transcripts).
    :param note: called with ``(hop, text)`` for each decision (for transcripts and logs).
    :param connect_timeout: seconds for a TCP connect.
    :param idle_timeout: seconds to wait for each reply.
    :param clock: the current time.
    :param rng: orders MX hosts of equal preference.
    :param spool: a directory where queued messages are kept until they are delivered or
        bounced (``None``: in memory only); messages found there are queued again at start.
    :param fsync: sync spool files to disk.
    """

    def __init__(
        self,
        *,
        hostname: str = "localhost",
        lookup: Lookup | None = None,
        smarthost: tuple[str, int] | None = None,
        port: int = 25,
        locate: Callable[[str, int], tuple[str, int]] | None = None,
        bounce: Callable[[str, bytes], Awaitable[None]] | None = None,
        policy: RetryPolicy = DEV_RETRY_POLICY,
        opportunistic_tls: bool = True,
        wrap: Callable[[SmtpClient, str], Any] | None = None,
        note: Callable[[str, str], None] | None = None,
        connect_timeout: float = 10.0,
        idle_timeout: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        spool: str | os.PathLike[str] | None = None,
        fsync: bool = True,
    ) -> None:
        if lookup is None and smarthost is None:
            raise ValueError("a relay needs a DNS lookup or a smarthost")
        self.hostname = hostname
        self.lookup = lookup
        self.smarthost = smarthost
        self.port = port
        self.locate = locate or (lambda address, port: (address, port))
        self.bounce = bounce
        self.policy = policy
        self.opportunistic_tls = opportunistic_tls
        self.wrap = wrap
        self.note = note or (lambda hop, text: logger.info("%s: %s", hop, text))
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._jobs: list[_Job] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: Every message finished (delivered or bounced), with its per-recipient results.
        self.finished: list[tuple[str, list[RelayResult]]] = []
        self._spool = None if spool is None else _Spool(Path(spool), fsync=fsync)
        if self._spool is not None:
            self._jobs = self._spool.load()
            if self._jobs:
                self._idle.clear()
                logger.info("relay queue: %d message(s) found in the spool", len(self._jobs))

    # -- the Relay interface --------------------------------------------------------------------

    async def submit(
        self,
        sender: str,
        recipients: Sequence[str],
        data: bytes,
        mail_params: Mapping[str, str | None] | None = None,
    ) -> str:
        """Queue a message for ``recipients`` (durably, with a spool); return its queue id.

        :param mail_params: the MAIL parameters it came with; ``BODY`` and ``SMTPUTF8`` are
            passed on to servers that offer them.
        """
        queued_at = self.clock()
        params = {key: value for key, value in (mail_params or {}).items() if key in _FORWARDED}
        job = _Job(
            f"R{queued_at.strftime('%Y%m%d%H%M%S')}.{os.getpid()}.{next(self._ids)}",
            sender,
            list(recipients),
            bytes(data),
            queued_at,
            params,
        )
        if self._spool is not None:
            await asyncio.to_thread(self._spool.save, job)
        self._jobs.append(job)
        self._idle.clear()
        self._wake.set()
        return job.id

    def start(self) -> None:
        """Start the background worker (in the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._worker())

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the attempt in progress finish (within ``timeout``), then stop the worker.

        Messages still waiting for a retry are logged: they live in memory only.
        """
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                self._task.cancel()
        where = "kept in the spool" if self._spool is not None else "lost: no spool"
        for job in self._jobs:
            logger.warning(
                "relay queue: %s to %s not delivered yet (%s)", job.id, job.recipients, where
            )

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the queue is empty: every message delivered or bounced (the demo waits so).

        A message waiting for a retry keeps it from being empty; :class:`TimeoutError` after
        ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    def _stop_requested(self) -> bool:
        return self._stopping

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` has been called."""
        return self._stopping

    def retry_now(self) -> None:
        """Make every waiting message due at once (for operators and tests)."""
        for job in self._jobs:
            job.due = None
        if self._jobs:
            self._idle.clear()
        self._wake.set()

    @property
    def queued(self) -> int:
        """How many messages are waiting."""
        return len(self._jobs)

    # -- the worker -----------------------------------------------------------------------------

    async def _worker(self) -> None:
        while not self.stopping:
            now = self.clock()
            due = [job for job in self._jobs if job.due is None or job.due <= now]
            if not due:
                if not self._jobs:
                    self._idle.set()
                self._wake.clear()
                wait = None
                if self._jobs:
                    soonest = min(job.due for job in self._jobs if job.due is not None)
                    wait = max(0.0, (soonest - now).total_seconds())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            for job in due:
                try:
                    await self._run(job)
                except Exception:  # pragma: no cover - a bug; keep the queue going
                    logger.exception("relay queue: %s failed", job.id)
                    job.due = self.clock() + self.policy.min_interval
                if self._stop_requested():
                    break
        self._idle.set()

    async def _run(self, job: _Job) -> None:
        """One delivery attempt for every recipient still pending."""
        routing = route(job.recipients)
        pending: list[str] = []
        failed: list[RelayResult] = [
            RelayResult(bad.address, False, Reply(553, (bad.reason,), "5.1.3"))
            for bad in routing.invalid
        ]
        for group in routing.remote:
            for batch in group.batches():
                results, attempt = await self.deliver_domain(
                    job, group.domain, [r.address for r in batch]
                )
                for result in results:
                    if result.delivered:
                        job.results.append(result)
                    elif result.reply.is_permanent:
                        failed.append(result)
                    else:
                        pending.append(result.recipient)
                if attempt is None:
                    attempt = _temporary_attempt(results, self.clock())
                if attempt is not None:
                    job.attempts.append(attempt)
        give_up: GiveUp | None = None
        if pending:
            decision = self.policy.decide(
                queued_at=job.queued_at, attempts=job.attempts, now=self.clock()
            )
            if isinstance(decision, GiveUp):
                give_up = decision
                expired = Reply(554, (decision.reason,), decision.status)
                failed.extend(RelayResult(rcpt, False, expired) for rcpt in pending)
                pending = []
            else:
                job.due = decision.at
                self.note(job.id, f"{len(pending)} recipient(s) deferred until {decision.at}")
        job.recipients = pending
        job.results.extend(failed)
        if failed:
            await self._bounce(job, failed, give_up)
        if not pending:
            self._jobs.remove(job)
            self.finished.append((job.id, job.results))
            if self._spool is not None:
                await asyncio.to_thread(self._spool.remove, job)
        elif self._spool is not None:
            await asyncio.to_thread(self._spool.save, job, data=False)

    async def _bounce(self, job: _Job, failed: list[RelayResult], give_up: GiveUp | None) -> None:
        if not job.sender:
            self.note(job.id, "not bouncing a bounce (the sender is <>)")
            return
        if self.bounce is None:
            logger.warning("relay queue: no bounce handler; %s failed", job.id)
            return
        now = self.clock()
        statuses = []
        for result in failed:
            reply = result.reply
            status = reply.enhanced_status
            if status is None or status[0] not in "45":
                status = "5.0.0" if reply.is_permanent else "4.0.0"
            if status[0] == "4":
                # A temporary failure we gave up on is reported as failed for good.
                status = "5" + status[1:]
            statuses.append(
                RecipientStatus(
                    result.recipient,
                    Action.FAILED,
                    status,
                    remote_mta=result.host or None,
                    diagnostic=f"{reply.code} {reply.text}",
                    last_attempt=now,
                )
            )
        report = build_dsn(
            job.data,
            reverse_path=job.sender,
            reporting_mta=self.hostname,
            recipients=statuses,
            now=now,
            arrival_date=job.queued_at,
        )
        if report is None:
            return
        data = report.data
        names = ", ".join(r.recipient for r in failed)
        self.note(job.id, f"bounce to <{job.sender}> for {names}")
        await self.bounce(job.sender, data)

    # -- one domain -----------------------------------------------------------------------------

    async def _candidates(self, job: _Job, domain: str) -> list[tuple[str, str, int]]:
        """``(host name, address, port)`` to try in order; raises :class:`_Deferred`."""
        if self.smarthost is not None:
            host, port = self.smarthost
            return [(host, host, port)]
        if self.lookup is None:  # pragma: no cover - checked in __init__
            raise ValueError("no lookup")
        planner = ResolutionPlanner(
            domain,
            rng=self.rng,
            local_names=[self.hostname] if "." in self.hostname else [],
            address_types=(RType.A, RType.AAAA),
        )
        lookup = self.lookup
        result = await asyncio.to_thread(run_planner, planner, lookup)
        if isinstance(result, Resolution):
            order = ", ".join(
                f"{c.host} [{c.address}] (preference {c.preference})" for c in result.candidates
            )
            self.note(job.id, f"MX for {domain}: try {order}")
            return [(c.host, str(c.address), self.port) for c in result.candidates]
        self.note(job.id, f"MX for {domain}: {result.status} {result.reason}")
        outcome = (
            Outcome.DNS_PERMANENT if isinstance(result, PermanentFailure) else Outcome.DNS_TEMPORARY
        )
        raise _Deferred(outcome, result.reason, result.status)

    async def deliver_domain(
        self, job: _Job, domain: str, rcpts: list[str]
    ) -> tuple[list[RelayResult], Attempt | None]:
        """Try to deliver to ``rcpts`` of ``domain``; the results and the failed attempt."""
        try:
            candidates = await self._candidates(job, domain)
        except _Deferred as exc:
            code = 550 if exc.outcome.permanent else 451
            reply = Reply(code, (exc.diagnostic,), exc.status)
            attempt = Attempt(self.clock(), exc.outcome, None, exc.status, exc.diagnostic)
            return [RelayResult(r, False, reply) for r in rcpts], attempt
        last: _Deferred | None = None
        for host, address, port in candidates:
            try:
                return await self._talk(job, host, address, port, rcpts), None
            except _Deferred as exc:
                self.note(job.id, f"{host} [{address}]: {exc.diagnostic}; trying the next host")
                last = exc
        if last is None:  # pragma: no cover - the planner never returns no candidates
            last = _Deferred(Outcome.CONNECTION_REFUSED, "no mail host")
        reply = Reply(451, (last.diagnostic,), last.status or "4.4.1")
        attempt = Attempt(self.clock(), last.outcome, None, last.status, last.diagnostic)
        return [RelayResult(r, False, reply) for r in rcpts], attempt

    async def _talk(
        self, job: _Job, host: str, address: str, port: int, rcpts: list[str]
    ) -> list[RelayResult]:
        hop = f"{self.hostname} -> {host} [{address}]"
        try:
            real_host, real_port = self.locate(address, port)
        except ConnectionRefusedError as exc:
            raise _Deferred(Outcome.CONNECTION_REFUSED, f"connection refused ({exc})") from None
        conn: Any = SmtpClient()
        if self.wrap is not None:
            conn = self.wrap(conn, hop)
        tls_context: ssl.SSLContext | None = None
        if self.opportunistic_tls:
            tls_context = ssl.create_default_context()
            tls_context.check_hostname = False
            tls_context.verify_mode = ssl.CERT_NONE
        try:
            channel = await driver.connect(
                real_host,
                real_port,
                conn,
                starttls_context=tls_context,
                connect_timeout=self.connect_timeout,
                idle_timeout=self.idle_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise _Deferred(Outcome.CONNECTION_REFUSED, f"cannot connect: {exc}") from None
        try:
            return await self._transaction(channel, conn, job, host, rcpts)
        except (OSError, TimeoutError) as exc:
            raise _Deferred(Outcome.TIMEOUT, f"connection lost: {exc!r}") from None
        finally:
            if not channel.closed:
                channel.abort()

    async def _reply(self, channel: Any) -> Reply:
        event = await channel.next_event()
        if not isinstance(event, Reply):
            raise _Deferred(Outcome.CONNECTION_REFUSED, "the server closed the connection")
        return event

    async def _transaction(
        self, channel: Any, conn: Any, job: _Job, host: str, rcpts: list[str]
    ) -> list[RelayResult]:
        greeting = await self._reply(channel)
        if not greeting.is_positive:
            raise _Deferred(classify_reply(greeting.code), f"greeting {greeting.code}")
        await channel.send(Hello("EHLO", self.hostname))
        reply = await self._reply(channel)
        if not reply.is_positive:
            raise _Deferred(_failure(reply), f"EHLO refused: {reply.code} {reply.text}")
        if self.opportunistic_tls and conn.supports("STARTTLS"):
            await channel.send(StartTLSCommand())
            reply = await self._reply(channel)
            if reply.code == 220:
                await channel.send(Hello("EHLO", self.hostname))
                reply = await self._reply(channel)
                if not reply.is_positive:
                    raise _Deferred(_failure(reply), f"EHLO refused: {reply.code}")
        params = {key: value for key, value in job.params.items() if conn.supports(_FORWARDED[key])}
        await channel.send(MailFrom(job.sender, params))
        reply = await self._reply(channel)
        if not reply.is_positive:
            if reply.is_permanent:
                return [RelayResult(r, False, reply, host) for r in rcpts]
            raise _Deferred(_failure(reply), f"MAIL refused: {reply.code} {reply.text}")
        results: dict[str, RelayResult] = {}
        accepted: list[str] = []
        for rcpt in rcpts:
            await channel.send(RcptTo(rcpt))
            reply = await self._reply(channel)
            if reply.is_positive:
                accepted.append(rcpt)
            else:
                results[rcpt] = RelayResult(rcpt, False, reply, host)
        if accepted:
            await channel.send(Data())
            reply = await self._reply(channel)
            if reply.code != 354:
                for rcpt in accepted:
                    results[rcpt] = RelayResult(rcpt, False, reply, host)
            else:
                await channel.send(DataChunk(job.data), EndOfData())
                reply = await self._reply(channel)
                for rcpt in accepted:
                    results[rcpt] = RelayResult(rcpt, reply.is_positive, reply, host)
        await channel.send(Quit())
        with contextlib.suppress(_Deferred, OSError, TimeoutError):
            await self._reply(channel)
        await channel.aclose()
        return [results[r] for r in rcpts]


def _temporary_attempt(results: list[RelayResult], now: datetime) -> Attempt | None:
    """The attempt to remember when a reachable server deferred some recipients (4xx)."""
    temporary = [r for r in results if r.reply.is_transient]
    if not temporary:
        return None
    first = temporary[0]
    return Attempt(
        now,
        Outcome.TEMPORARY_REPLY,
        first.host or None,
        first.reply.enhanced_status,
        f"{first.reply.code} {first.reply.text}",
    )


def _failure(reply: Reply) -> Outcome:
    return classify_reply(reply.code) if reply.code >= 400 else Outcome.PERMANENT_REPLY
