"""The demo's scenes: the main journey and the special cases, each checking its own outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..drivers import asyncio as driver
from ..message import Message, compose, format_address_list
from ..pop3 import MailboxDownload, POP3Client, download_async
from ..sasl import Secret, client_mechanism
from ..smtp import Data, DataChunk, EndOfData, Hello, MailFrom, Quit, RcptTo, Reply, SmtpClient
from ._world import MAIL_B, MX_B, PASSWORDS, SMTP_A, World

__all__ = ["SCENES", "Outcome", "Scene"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a scene ended.

    :param ok: whether everything happened as it should.
    :param summary: one line for people.
    """

    ok: bool
    summary: str


@dataclass(frozen=True, slots=True)
class Scene:
    """A named part of the demo.

    :param name: the ``--scene`` name.
    :param title: a heading for people.
    :param run: the coroutine function that plays it in a started :class:`World`.
    """

    name: str
    title: str
    run: Callable[[World], Awaitable[Outcome]]

    @property
    def description(self) -> str:
        """What the scene shows, in a sentence (the scene function's docstring)."""
        return " ".join((self.run.__doc__ or "").split())


def _letter(to: str, subject: str, text: str, *, sender: str = "ana@a.example") -> bytes:
    names = {"ana@a.example": "Ana", "amy@a.example": "Amy", "bea@b.example": "Bea"}

    def named(address: str) -> str:
        return f"{names[address]} <{address}>" if address in names else address

    message = compose(
        from_=named(sender),
        to=[named(to)],
        subject=subject,
        text=text,
        now=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
        message_id_domain=sender.rpartition("@")[2],
    )
    return message.data


async def _submit(
    world: World,
    hop: str,
    sender: str,
    recipients: list[str],
    data: bytes,
    *,
    login: str | None,
    address: str = SMTP_A,
    port: int = 587,
    helo: str = "ana-laptop.a.example",
) -> list[Reply]:
    """A mail program's submission; returns the replies to MAIL, each RCPT, and the message."""
    host, real_port = world.locate(address, port)
    conn = world.transcript.wrap(SmtpClient(), hop)
    channel = await driver.connect(
        host, real_port, conn, connect_timeout=world.timeout, idle_timeout=world.timeout
    )

    async def reply() -> Reply:
        event = await channel.next_event()
        if not isinstance(event, Reply):
            raise ConnectionResetError("the server closed the connection")
        return event

    try:
        await reply()
        await channel.send(Hello("EHLO", helo))
        await reply()
        if login is not None:
            world.note(
                hop,
                "AUTH SCRAM-SHA-256: both sides prove they know the password; "
                "it never crosses the wire",
            )
            mechanism = client_mechanism(
                "SCRAM-SHA-256", username=login, password=Secret(PASSWORDS[login])
            )
            conn.authenticate(mechanism)
            await channel.send()
            auth = await reply()
            if not auth.is_positive:
                return [auth]
        await channel.send(MailFrom(sender))
        replies = [await reply()]
        accepted = 0
        for rcpt in recipients:
            await channel.send(RcptTo(rcpt))
            replies.append(await reply())
            accepted += replies[-1].is_positive
        if accepted:
            await channel.send(Data())
            if (await reply()).code == 354:
                await channel.send(DataChunk(data), EndOfData())
                replies.append(await reply())
        await channel.send(Quit())
        await reply()
        await channel.aclose()
        return replies
    finally:
        if not channel.closed:
            channel.abort()


async def _download(world: World, hop: str, address: str, user: str) -> list[bytes]:
    """A mail program's POP3 download (APOP login); returns every message, oldest first.

    The session is :class:`mailproto.pop3.MailboxDownload`'s: CAPA, APOP, UIDL, RETR, QUIT.
    """
    host, port = world.locate(address, 110)
    client = POP3Client()
    conn = world.transcript.wrap(client, hop)
    channel = await driver.connect(
        host, port, conn, connect_timeout=world.timeout, idle_timeout=world.timeout
    )
    job = MailboxDownload(client, username=user, password=PASSWORDS[user], login="apop")
    messages: list[bytes] = []
    try:
        async for message in download_async(channel, job):
            messages.append(message.data)  # noqa: PERF401 - kept if the end fails
        return messages
    finally:
        if not channel.closed:
            channel.abort()


def _codes(replies: list[Reply]) -> str:
    return " ".join(str(r.code) for r in replies)


async def _ana_sends(world: World, recipient: str, letter: bytes, *, relay: bool = True) -> str:
    """Ana submits ``letter`` with AUTH and, with ``relay``, lets the relay queue run.

    Returns ``""`` on success, else why the submission failed.
    """
    replies = await _submit(
        world,
        f"ana's mail program -> smtp.a.example [{SMTP_A}]:587 (submission)",
        "ana@a.example",
        [recipient],
        letter,
        login="ana@a.example",
    )
    if not replies or not replies[-1].is_positive:
        return f"submission failed: {_codes(replies)}"
    if relay:
        await world.relay.drain(world.timeout * 3)
    return ""


async def _read_mailbox(world: World, user: str, host: str, address: str) -> list[bytes]:
    """What ``user``'s mail program downloads over POP3 from ``host``."""
    name = user.partition("@")[0]
    return await _download(
        world, f"{name}'s mail program -> {host} [{address}]:110 (POP3)", address, user
    )


# -- the scenes -------------------------------------------------------------------------------


async def journey(world: World) -> Outcome:
    """Ana writes to Bea: submission, MX lookup, relay, LMTP delivery, POP3 download."""
    letter = _letter("bea@b.example", "Lunch on Friday?", "Hi Bea,\n\nLunch on Friday?\n\nAna\n")
    world.note("ana's mail program", f"Ana sends a {len(letter)}-octet message to bea@b.example")
    failure = await _ana_sends(world, "bea@b.example", letter)
    if failure:
        return Outcome(False, failure)
    received = await _read_mailbox(world, "bea@b.example", "mail.b.example", MAIL_B)
    if received:
        shown = Message.parse(received[-1])
        senders = format_address_list(shown.addresses("From"), allow_utf8=True)
        body = shown.text_body
        first = body.text().strip().splitlines()[0] if body is not None else ""
        world.note(
            "bea's mail program",
            f"Bea's inbox shows: from {senders}, subject {shown.subject!r}: {first!r} ...",
        )
    if received and received[-1] == letter:
        return Outcome(True, f"Bea read the {len(letter)} octets Ana sent, byte for byte")
    return Outcome(False, f"Bea's mailbox holds {len(received)} messages, not Ana's letter")


async def same_domain(world: World) -> Outcome:
    """Ana writes to Amy at a.example: smtp.a.example keeps it; no MX lookup, no relay."""
    letter = _letter("amy@a.example", "Notes", "Amy, the notes are attached in spirit.\n")
    before = world.relay.queued
    failure = await _ana_sends(world, "amy@a.example", letter, relay=False)
    if failure:
        return Outcome(False, failure)
    relayed = world.relay.queued != before or any(
        "amy@a.example" in r.recipient for _, results in world.relay.finished for r in results
    )
    received = await _read_mailbox(world, "amy@a.example", "smtp.a.example", SMTP_A)
    if relayed:
        return Outcome(False, "the message went through the relay queue")
    if received and received[-1] == letter:
        return Outcome(True, "delivered locally by smtp.a.example; Amy read it intact")
    return Outcome(False, "Amy did not get Ana's message")


async def backup_mx(world: World) -> Outcome:
    """mx.b.example is down: the relay moves on to the backup MX, which delivers."""
    world.network.take_down(MX_B)
    world.note("network", f"mx.b.example [{MX_B}] is switched off for this scene")
    try:
        letter = _letter("bea@b.example", "Backup", "This one takes the scenic route.\n")
        failure = await _ana_sends(world, "bea@b.example", letter)
        if failure:
            return Outcome(False, failure)
    finally:
        world.network.bring_up()
    _, results = world.relay.finished[-1]
    via = {r.host for r in results if r.delivered}
    received = await _read_mailbox(world, "bea@b.example", "mail.b.example", MAIL_B)
    if via != {"backup.b.example"}:
        return Outcome(False, f"delivered via {sorted(via) or 'nobody'}, not the backup MX")
    if received and received[-1] == letter:
        return Outcome(True, "the backup MX took the message; Bea read it intact")
    return Outcome(False, "the message did not reach Bea")


async def bounce(world: World) -> Outcome:
    """Ana writes to a user b.example does not have: the relay gets 550 and bounces to Ana."""
    letter = _letter("nobody@b.example", "Hello?", "Is anybody there?\n")
    before = len(world.store_a.messages("ana@a.example"))
    failure = await _ana_sends(world, "nobody@b.example", letter)
    if failure:
        return Outcome(False, failure)
    received = await _read_mailbox(world, "ana@a.example", "smtp.a.example", SMTP_A)
    new = received[before:]
    reports = [m for m in new if b"report-type=delivery-status" in m and b"nobody@b.example" in m]
    if reports and b"5.1.1" in reports[-1]:
        return Outcome(True, "Ana got a delivery status notification (5.1.1) for nobody@b.example")
    return Outcome(False, "no bounce reached Ana")


async def relay_refused(world: World) -> Outcome:
    """A stranger tries to use smtp.a.example and mx.b.example to send mail elsewhere."""
    letter = _letter("victim@c.example", "Cheap watches", "Buy now!\n", sender="mallory@c.example")
    first = await _submit(
        world,
        f"a stranger -> smtp.a.example [{SMTP_A}]:587 (no AUTH)",
        "mallory@c.example",
        ["bea@b.example"],
        letter,
        login=None,
        helo="unknown.c.example",
    )
    second = await _submit(
        world,
        f"a stranger -> mx.b.example [{MX_B}]:25",
        "mallory@c.example",
        ["victim@c.example"],
        letter,
        login=None,
        address=MX_B,
        port=25,
        helo="unknown.c.example",
    )
    refused = [r for r in (*first[1:], *second[1:]) if r.code == 550]
    if len(first) == 2 and len(second) == 2 and len(refused) == 2:
        return Outcome(True, "both servers refused to relay (550 5.7.1); nothing was sent")
    return Outcome(False, f"relaying was not refused: {_codes(first)} / {_codes(second)}")


SCENES: tuple[Scene, ...] = (
    Scene("journey", "Ana writes to Bea, across two domains", journey),
    Scene("same-domain", "Ana writes to Amy, in her own domain", same_domain),
    Scene("backup-mx", "The primary MX is down; the backup takes the message", backup_mx),
    Scene("bounce", "A recipient that does not exist: the bounce comes back", bounce),
    Scene("relay-refused", "A stranger tries to relay", relay_refused),
)
