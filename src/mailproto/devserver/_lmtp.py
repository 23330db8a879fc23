"""Handing local mail to a mailbox server over LMTP (RFC 2033), as an MX host does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..drivers import asyncio as driver
from ..smtp import Data, DataChunk, EndOfData, Hello, LmtpClient, MailFrom, Quit, RcptTo, Reply
from ._smtp import DeliveryOutcome

__all__ = ["LmtpDelivery"]


class LmtpDelivery:
    """A :class:`~mailproto.devserver.LocalDelivery` that passes messages to an LMTP server.

    LMTP answers once per recipient after the message, so each recipient gets the mailbox
    server's own verdict.

    :param host: the LMTP server's address.
    :param port: its port.
    :param hostname: our name in LHLO.
    :param wrap: called with each new client connection (the demo records it).
    :param timeout: seconds for the connect and for each reply.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        hostname: str = "localhost",
        wrap: Callable[[LmtpClient], Any] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.hostname = hostname
        self._wrap = wrap
        self.timeout = timeout

    async def deliver(
        self, sender: str, recipients: Sequence[tuple[str, str]], data: bytes
    ) -> list[DeliveryOutcome]:
        """Deliver ``data`` to each recipient address over one LMTP session."""
        try:
            return await self._deliver(sender, [address for address, _ in recipients], data)
        except (OSError, TimeoutError) as exc:
            failed = DeliveryOutcome(Reply(451, (f"mailbox server unavailable: {exc}",), "4.4.1"))
            return [failed for _ in recipients]

    async def _deliver(
        self, sender: str, addresses: list[str], data: bytes
    ) -> list[DeliveryOutcome]:
        conn: Any = LmtpClient()
        if self._wrap is not None:
            conn = self._wrap(conn)
        channel = await driver.connect(
            self.host,
            self.port,
            conn,
            connect_timeout=self.timeout,
            idle_timeout=self.timeout,
        )
        try:
            replies = await self._session(channel, sender, addresses, data)
        finally:
            if not channel.closed:
                channel.abort()
        return [DeliveryOutcome(reply, self.host if reply.is_positive else "") for reply in replies]

    async def _session(
        self, channel: Any, sender: str, addresses: list[str], data: bytes
    ) -> list[Reply]:
        async def reply() -> Reply:
            event = await channel.next_event()
            if not isinstance(event, Reply):
                raise ConnectionResetError("the LMTP server closed the connection")
            return event

        greeting = await reply()
        if not greeting.is_positive:
            return [greeting for _ in addresses]
        await channel.send(Hello("LHLO", self.hostname))
        hello = await reply()
        if not hello.is_positive:
            return [hello for _ in addresses]
        await channel.send(MailFrom(sender))
        mail = await reply()
        if not mail.is_positive:
            return [mail for _ in addresses]
        results: list[Reply | None] = []
        for address in addresses:
            await channel.send(RcptTo(address))
            answer = await reply()
            results.append(None if answer.is_positive else answer)
        accepted = [i for i, r in enumerate(results) if r is None]
        if accepted:
            await channel.send(Data())
            go = await reply()
            if go.code != 354:
                for i in accepted:
                    results[i] = go
            else:
                await channel.send(DataChunk(data), EndOfData())
                for i in accepted:
                    results[i] = await reply()
        await channel.send(Quit())
        await reply()
        await channel.aclose()
        return [r if r is not None else Reply(451, ("no reply",), "4.4.2") for r in results]
