"""The development server's SMTP (and LMTP) side: one session handler over a router.

Each session answers the SMTP server connection's events: the greeting, EHLO, AUTH (checked by
the connection against the user table), MAIL and RCPT (RCPT asks the :class:`Router`), and the
message, which goes to the local mailboxes through a :class:`LocalDelivery` and to other
domains through a :class:`Relay`. A message is acknowledged with ``250`` only after every local
copy is stored and every remote copy is queued.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..sasl import Authenticator
from ..smtp import (
    AuthResult,
    Connected,
    Data,
    DataChunk,
    Hello,
    LmtpServer,
    MailFrom,
    MessageComplete,
    RcptTo,
    Reply,
    SmtpServer,
    StartTLSCommand,
)
from ._pop3 import _peer
from ._router import Local, Refuse, Remote, Router
from ._store import Store

__all__ = [
    "DeliveryOutcome",
    "LocalDelivery",
    "Relay",
    "SMTPService",
    "StoreDelivery",
]

logger = logging.getLogger("mailproto.devserver")


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What became of one recipient: the reply to give for it and a note for the log.

    :param reply: ``2xx`` if delivered, ``4xx``/``5xx`` otherwise.
    :param where: where it went (a message id, a mailbox), for logs and transcripts.
    """

    reply: Reply
    where: str = ""


class LocalDelivery(Protocol):
    """Puts a message into local mailboxes; one outcome per mailbox, in order."""

    async def deliver(
        self, sender: str, recipients: Sequence[tuple[str, str]], data: bytes
    ) -> list[DeliveryOutcome]:
        """Deliver ``data`` to each ``(address, mailbox)`` of ``recipients``."""
        ...


class Relay(Protocol):
    """Takes responsibility for a message to other domains (queues it; delivers later)."""

    async def submit(
        self,
        sender: str,
        recipients: Sequence[str],
        data: bytes,
        mail_params: Mapping[str, str | None] | None = None,
    ) -> str:
        """Queue the message; return its queue id. Raise :class:`OSError` if it cannot."""
        ...


class StoreDelivery:
    """A :class:`LocalDelivery` that writes into a :class:`~mailproto.devserver.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def deliver(
        self, sender: str, recipients: Sequence[tuple[str, str]], data: bytes
    ) -> list[DeliveryOutcome]:
        """Store a copy of ``data`` in each mailbox (each write is durable before we answer).

        Two recipients that share a mailbox get one copy between them.
        """
        del sender
        done: dict[str, DeliveryOutcome] = {}
        for _, mailbox in recipients:
            if mailbox in done:
                continue
            try:
                uid = await asyncio.to_thread(self.store.deliver, mailbox, data)
            except OSError as exc:
                logger.error("could not store a message for %s: %s", mailbox, exc)
                done[mailbox] = DeliveryOutcome(Reply(451, ("could not store",), "4.3.0"))
            else:
                done[mailbox] = DeliveryOutcome(Reply(250, (f"stored as {uid}",), "2.0.0"), uid)
        return [done[mailbox] for _, mailbox in recipients]


class SMTPService:
    """Serves SMTP (or LMTP) sessions: the factory and the handler for a driver.

    :param router: the recipient policy (and the users, for AUTH).
    :param local: where local mail goes.
    :param relay: where mail for other domains goes (``None``: never relayed).
    :param hostname: the server's name in its greeting.
    :param lmtp: speak LMTP (one reply per recipient after the message).
    :param tls_available: offer STARTTLS.
    :param max_message_size: the largest message accepted.
    :param auth_requires_tls: offer AUTH only after STARTTLS (``False`` for a local dev
        server, where TLS is usually not set up).
    :param wrap: called on each new connection (the demo records the conversation with it).
    :param offer_auth: offer AUTH when there are users (an MX host does not).
    :param note: called with ``(hostname, text)`` for each recipient's outcome (the demo's
        transcript shows them).
    """

    def __init__(
        self,
        router: Router,
        local: LocalDelivery,
        *,
        relay: Relay | None = None,
        hostname: str = "localhost",
        lmtp: bool = False,
        tls_available: bool = False,
        max_message_size: int = 25 * 1024 * 1024,
        auth_requires_tls: bool = False,
        wrap: Callable[[SmtpServer], Any] | None = None,
        note: Callable[[str, str], None] | None = None,
        offer_auth: bool = True,
    ) -> None:
        self.router = router
        self.offer_auth = offer_auth
        self.note = note
        self.local = local
        self.relay = relay
        self.hostname = hostname
        self.lmtp = lmtp
        self.tls_available = tls_available
        self.max_message_size = max_message_size
        self.auth_requires_tls = auth_requires_tls
        self._wrap = wrap
        self._ids = itertools.count(1)
        self.accepted = 0

    def make_connection(self) -> Any:
        """A new SMTP (or LMTP) server connection for one client."""
        users = self.router.users
        authenticator: Authenticator | None = (
            users.authenticator() if users and self.offer_auth else None
        )
        cls = LmtpServer if self.lmtp else SmtpServer
        conn = cls(
            hostname=self.hostname,
            starttls=self.tls_available,
            authenticator=None if self.lmtp else authenticator,
            auth_mechanisms=("PLAIN", "LOGIN", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5"),
            auth_requires_tls=self.auth_requires_tls,
            max_message_size=self.max_message_size,
        )
        return conn if self._wrap is None else self._wrap(conn)

    def _message_id(self) -> str:
        return f"{int(time.time()):x}.{os.getpid()}.{next(self._ids)}"

    async def handle(self, channel: Any) -> None:
        """Run one session on ``channel`` (an asyncio driver channel)."""
        session = _Session(self, channel)
        try:
            await session.run()
        finally:
            logger.info(
                "smtp session from %s helo=%s auth=%s messages=%d (%.2fs)",
                session.peer,
                session.helo or "-",
                session.user or "-",
                session.messages,
                time.monotonic() - session.started,
            )


class _Session:
    def __init__(self, service: SMTPService, channel: Any) -> None:
        self.service = service
        self.channel = channel
        self.conn = channel.conn
        self.peer = _peer(channel.peername)
        self.started = time.monotonic()
        self.helo = ""
        self.user = ""
        self.messages = 0
        self._reset()

    def _reset(self) -> None:
        self.routes: list[tuple[str, Local | Remote]] = []
        self.chunks: list[bytes] = []

    async def reply(self, reply: Reply) -> None:
        await self.channel.send(reply)

    async def run(self) -> None:
        conn = self.conn
        async for event in self.channel.events():
            if isinstance(event, DataChunk):
                self.chunks.append(event.data)
                continue
            if not conn.awaiting_reply:
                if conn.mail_from is None:
                    self._reset()  # RSET (answered by the connection) ends the transaction
                continue
            if isinstance(event, Connected | Data | StartTLSCommand):
                conn.accept()
                await self.channel.send()
            elif isinstance(event, Hello):
                self.helo = event.domain
                self._reset()
                conn.accept()
                await self.channel.send()
            elif isinstance(event, AuthResult):
                if event.success:
                    self.user = event.authcid
                conn.accept()
                await self.channel.send()
            elif isinstance(event, MailFrom):
                self._reset()
                conn.accept()
                await self.channel.send()
            elif isinstance(event, RcptTo):
                await self._rcpt(event)
            elif isinstance(event, MessageComplete):
                await self._message(event)
            else:
                conn.accept()
                await self.channel.send()

    async def _rcpt(self, event: RcptTo) -> None:
        route = self.service.router.route(
            event.forward_path, authenticated=self.conn.authenticated is not None
        )
        if isinstance(route, Refuse):
            await self.reply(Reply(route.code, (route.text,), route.status))
            return
        if isinstance(route, Remote) and self.service.relay is None:
            await self.reply(Reply(550, ("relaying is not enabled here",), "5.7.1"))
            return
        self.routes.append((event.forward_path, route))
        await self.reply(Reply(250, (f"<{event.forward_path}> OK",), "2.1.5"))

    async def _message(self, event: MessageComplete) -> None:
        service = self.service
        data = b"".join(self.chunks)
        routes, self.routes, self.chunks = self.routes, [], []
        msgid = service._message_id()
        local = [(i, (a, r.mailbox)) for i, (a, r) in enumerate(routes) if isinstance(r, Local)]
        remote = [(i, addr) for i, (addr, r) in enumerate(routes) if isinstance(r, Remote)]
        outcomes: dict[int, DeliveryOutcome] = {}
        if local:
            delivered = await service.local.deliver(
                event.reverse_path, [pair for _, pair in local], data
            )
            for (index, _), outcome in zip(local, delivered, strict=True):
                outcomes[index] = outcome
        if remote:
            relay = service.relay
            try:
                if relay is None:  # pragma: no cover - refused at RCPT
                    raise OSError("relaying is not enabled")
                queued = await relay.submit(
                    event.reverse_path, [a for _, a in remote], data, event.mail_params
                )
            except OSError as exc:
                logger.error("could not queue message %s: %s", msgid, exc)
                failed = DeliveryOutcome(Reply(451, ("could not queue",), "4.3.0"))
                for index, _ in remote:
                    outcomes[index] = failed
            else:
                ok = DeliveryOutcome(Reply(250, (f"queued as {queued}",), "2.0.0"), queued)
                for index, _ in remote:
                    outcomes[index] = ok
        ordered = [outcomes[i] for i in range(len(routes))]
        for (address, route), outcome in zip(routes, ordered, strict=True):
            if service.note is not None:
                how = "relay queue" if isinstance(route, Remote) else f"mailbox {route.mailbox}"
                service.note(
                    service.hostname,
                    f"<{address}> -> {how}: {outcome.reply.code} {outcome.reply.text}",
                )
            logger.info(
                "message %s from=<%s> to=<%s> size=%d status=%d %s",
                msgid,
                event.reverse_path,
                address,
                len(data),
                outcome.reply.code,
                outcome.where,
            )
        if service.lmtp:
            replies = [o.reply for o in ordered]
        else:
            # One reply for all: a failed copy fails the message, so the client tries again
            # (a duplicate for the stored copies is better than a lost one).
            failures = [o.reply for o in ordered if not o.reply.is_positive]
            replies = failures[:1] or [Reply(250, (f"accepted as {msgid}",), "2.0.0")]
        if all(r.is_positive for r in replies):
            self.messages += 1
            service.accepted += 1
        await self.channel.send(*replies)
