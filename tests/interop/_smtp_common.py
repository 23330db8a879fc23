"""What the SMTP interop tests share: certificates, a recording server, a client session."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import trustme

from mailproto.drivers.asyncio import AsyncChannel
from mailproto.sasl import PasswordAuthenticator
from mailproto.smtp import (
    AuthResult,
    Data,
    DataChunk,
    EndOfData,
    Hello,
    MailFrom,
    MessageComplete,
    Quit,
    RcptTo,
    Reply,
    SmtpClient,
    SmtpServer,
    StartTLSCommand,
)

USERS = {"alice": "wonderland-secret"}


@dataclass
class Certs:
    server: ssl.SSLContext
    client: ssl.SSLContext
    ca_pem: bytes


def make_certs() -> Certs:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return Certs(server, client, ca.cert_pem.bytes())


@dataclass
class Delivered:
    envelope: MessageComplete
    body: bytes


@dataclass
class Recorder:
    """A server application that accepts everything and keeps what arrives."""

    messages: list[Delivered] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)

    def factory(self, **kwargs: object) -> SmtpServer:
        options: dict[str, object] = {
            "hostname": "localhost",
            "starttls": True,
            "authenticator": PasswordAuthenticator(USERS),
            "auth_mechanisms": ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"),
        }
        options.update(kwargs)
        return SmtpServer(**options)  # type: ignore[arg-type]

    async def handler(self, channel: AsyncChannel) -> None:
        await self.handler_after(channel, None)

    async def handler_after(self, channel: AsyncChannel, first: object) -> None:
        """Handle the session; ``first`` is an event already taken from the channel (or None)."""
        conn = channel.conn
        assert isinstance(conn, SmtpServer)
        chunks: list[bytes] = []
        if first is not None and conn.awaiting_reply:
            await channel.send(*conn.default_replies())
        async for event in channel.events():
            if isinstance(event, DataChunk):
                chunks.append(event.data)
            elif isinstance(event, MessageComplete):
                self.messages.append(Delivered(event, b"".join(chunks)))
                self.tls.append(channel.tls)
                chunks = []
            elif isinstance(event, AuthResult) and event.success:
                self.auth.append(event.authcid)
            if conn.awaiting_reply:
                await channel.send(*conn.default_replies())


async def next_reply(channel: AsyncChannel) -> Reply:
    event = await channel.next_event()
    assert isinstance(event, Reply), event
    return event


async def client_session(
    channel: AsyncChannel,
    sender: str,
    recipients: list[str],
    body: bytes,
    *,
    starttls: bool = False,
    login: tuple[str, str] | None = None,
    mechanism: str = "PLAIN",
) -> list[Reply]:
    """Send one message with our client over a channel; return every reply."""
    client = channel.conn
    assert isinstance(client, SmtpClient)
    replies = [await next_reply(channel)]
    await channel.send(Hello("EHLO", "client.example"))
    replies.append(await next_reply(channel))
    if starttls:
        assert client.supports("STARTTLS")
        await channel.send(StartTLSCommand())
        replies.append(await next_reply(channel))
        assert channel.tls
        await channel.send(Hello("EHLO", "client.example"))
        replies.append(await next_reply(channel))
    if login is not None:
        from mailproto.sasl import client_mechanism

        client.authenticate(client_mechanism(mechanism, username=login[0], password=login[1]))
        await channel.send()
        replies.append(await next_reply(channel))
        assert replies[-1].code == 235, replies[-1]
    events = [MailFrom(sender), *(RcptTo(r) for r in recipients), Data()]
    await channel.send(*events)
    replies.extend([await next_reply(channel) for _ in events])
    assert replies[-1].code == 354, replies
    await channel.send(DataChunk(body), EndOfData(), Quit())
    replies.append(await next_reply(channel))
    replies.append(await next_reply(channel))
    return replies
