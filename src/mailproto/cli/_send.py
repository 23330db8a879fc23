"""``mailproto send``: compose a message and submit it to an SMTP server."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["SubmitResult", "main", "submit"]


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The server's answers to one submission.

    :param accepted: the recipients the server accepted.
    :param refused: ``(recipient, reply text)`` for those it refused.
    :param final: the reply to the message itself (``None`` if no recipient was accepted).
    """

    accepted: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]
    final: Any

    @property
    def ok(self) -> bool:
        """Whether every recipient was accepted and the message was too."""
        return not self.refused and self.final is not None and self.final.is_positive


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_context(cafile: str | None, insecure: bool) -> ssl.SSLContext:
    """A client TLS context: verifying (against ``cafile`` if given) unless ``insecure``."""
    context = ssl.create_default_context(cafile=cafile)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SubmitError(Exception):
    """The submission could not go on (refused greeting, failed login, ...)."""


async def submit(
    host: str,
    port: int,
    sender: str,
    recipients: Sequence[str],
    data: bytes,
    *,
    user: str | None = None,
    password: str | None = None,
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    helo: str = "localhost",
    timeout: float = 30.0,
) -> SubmitResult:
    """Submit ``data`` over SMTP; return what the server said.

    :param tls: connect with TLS from the start (port 465).
    :param starttls: upgrade with STARTTLS (required: fail if the server does not offer it).
    :raises SubmitError: the session could not go on.
    :raises OSError: the connection failed.
    """
    from ..drivers import asyncio as driver
    from ..sasl import Secret, choose_mechanism, client_mechanism
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

    conn = SmtpClient()
    channel = await driver.connect(
        host,
        port,
        conn,
        ssl_context=tls,
        starttls_context=starttls,
        connect_timeout=timeout,
        idle_timeout=timeout,
    )

    async def reply() -> Reply:
        event = await channel.next_event()
        if not isinstance(event, Reply):
            raise SubmitError("the server closed the connection")
        return event

    def refused(what: str, answer: Reply) -> SubmitError:
        return SubmitError(f"{what}: {answer.code} {answer.text}")

    try:
        greeting = await reply()
        if not greeting.is_positive:
            raise refused("the server refused the connection", greeting)
        await channel.send(Hello("EHLO", helo))
        answer = await reply()
        if not answer.is_positive:
            raise refused("EHLO refused", answer)
        if starttls is not None:
            if not conn.supports("STARTTLS"):
                raise SubmitError("the server does not offer STARTTLS")
            await channel.send(StartTLSCommand())
            answer = await reply()
            if answer.code != 220:
                raise refused("STARTTLS refused", answer)
            await channel.send(Hello("EHLO", helo))
            answer = await reply()
            if not answer.is_positive:
                raise refused("EHLO refused", answer)
        if user is not None:
            offered = conn.extensions.get("AUTH", "").split()
            chosen = choose_mechanism(offered, allow_plaintext=channel.tls or _is_loopback(host))
            if chosen is None:
                raise SubmitError(
                    f"no usable AUTH mechanism (the server offers {offered or 'none'})"
                )
            conn.authenticate(
                client_mechanism(chosen, username=user, password=Secret(password or ""))
            )
            await channel.send()
            answer = await reply()
            if answer.code != 235:
                raise refused(f"AUTH {chosen} failed", answer)
        await channel.send(MailFrom(sender))
        answer = await reply()
        if not answer.is_positive:
            raise refused(f"MAIL FROM:<{sender}> refused", answer)
        accepted: list[str] = []
        refusals: list[tuple[str, str]] = []
        for rcpt in recipients:
            await channel.send(RcptTo(rcpt))
            answer = await reply()
            if answer.is_positive:
                accepted.append(rcpt)
            else:
                refusals.append((rcpt, f"{answer.code} {answer.text}"))
        final: Reply | None = None
        if accepted:
            await channel.send(Data())
            answer = await reply()
            if answer.code != 354:
                final = answer
            else:
                await channel.send(DataChunk(data), EndOfData())
                final = await reply()
        await channel.send(Quit())
        await reply()
        await channel.aclose()
        return SubmitResult(tuple(accepted), tuple(refusals), final)
    finally:
        if not channel.closed:
            channel.abort()


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def compose_message(args: argparse.Namespace) -> tuple[bytes, str, list[str]]:
    """The message the ``send`` arguments describe (or the ``--raw`` file), with its envelope.

    Returns ``(data, envelope sender, envelope recipients)``: for a composed message the
    addresses are taken from ``--from`` and ``--to`` (which may carry display names).
    """
    if args.raw:
        data = _read(args.raw)
        # SMTP wants CRLF line endings; a file written on Unix has LF.
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return data, args.sender, list(args.to)
    from ..message import Attachment, compose

    text = args.body
    if args.body_file:
        text = _read(args.body_file).decode("utf-8", "replace")
    attachments = [
        Attachment(Path(name).read_bytes(), filename=Path(name).name) for name in args.attach
    ]
    message = compose(
        from_=args.sender,
        to=args.to,
        subject=args.subject,
        text=text if text is not None else "",
        attachments=attachments,
        now=datetime.now(UTC),
        allow_utf8=False,
    )
    return message.data, message.envelope_sender, list(message.envelope_recipients)


def main(args: argparse.Namespace) -> int:
    """Compose and submit; exit 0 if every recipient was accepted."""
    from ..errors import ProtocolError

    try:
        data, sender, recipients = compose_message(args)
    except (OSError, ValueError, ProtocolError) as exc:
        print(f"mailproto send: {exc}", file=sys.stderr)
        return 2
    password = args.password if args.password is not None else os.environ.get("MAILPROTO_PASSWORD")
    host, port = args.server
    context = client_context(args.cafile, args.insecure)
    try:
        result = asyncio.run(
            submit(
                host,
                port,
                sender,
                recipients,
                data,
                user=args.user,
                password=password,
                tls=context if args.tls else None,
                starttls=context if args.starttls else None,
                timeout=args.timeout,
            )
        )
    except (SubmitError, OSError, TimeoutError) as exc:
        print(f"mailproto send: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    except Exception as exc:  # a protocol error from the server, a TLS failure, ...
        print(f"mailproto send: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for rcpt, text in result.refused:
        print(f"refused <{rcpt}>: {text}", file=sys.stderr)
    if result.final is not None:
        stream = sys.stdout if result.final.is_positive else sys.stderr
        print(f"{result.final.code} {result.final.text}", file=stream)
    return 0 if result.ok else 1
