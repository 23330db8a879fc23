"""SMTP server and client state machines against aiosmtpd's protocol object and smtplib.

Everything runs over in-memory bytes, so what is timed is protocol work only.

* Server: our :class:`SmtpServer` is fed the client's bytes and drained of events, the
  application answering with ``accept()`` where a reply is owed. The peer is aiosmtpd's
  :class:`aiosmtpd.smtp.SMTP` protocol object on an asyncio loop, fed the same bytes through
  ``data_received`` with a transport that only collects what it writes; a run ends when the
  last reply has been written. Both sides parse the same commands and write the same number of
  replies.
* Client: our :class:`SmtpClient` parses pipelined RCPT replies (all alike, as most servers
  send them, and, for information, each naming its recipient); the peer is
  ``smtplib.SMTP.getreply`` reading the same replies from an in-memory file. Both sides write
  every command too. smtplib gets the lighter share: ``putcmd`` formats the RCPT line without
  the ``quoteaddr`` that ``SMTP.rcpt`` would run (ours checks the mailbox syntax), and its
  replies are raw bytes (ours are decoded, checked line by line for a consistent code, and have
  their enhanced status codes split off).
"""

from __future__ import annotations

import asyncio
import io
import re
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mailproto import NEED_DATA
from mailproto.smtp import Hello, MailFrom, Noop, RcptTo, SmtpClient, SmtpServer

from ._harness import Comparison

READ = 1 << 16
_FINAL_LINE = re.compile(rb"(?:^|\n)[0-9]{3}(?: |\r)")


def _body(size: int) -> bytes:
    header = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n"
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    return header + line * max(1, (size - len(header)) // len(line))


# -- ours -------------------------------------------------------------------------------------


def _run_ours(pieces: list[bytes], expected_replies: int) -> None:
    server = SmtpServer(max_message_size=1 << 30, max_buffer_size=1 << 22)
    next_event = server.next_event
    server.next_event()
    server.accept()
    for piece in pieces:
        server.receive_data(piece)
        while True:
            event = next_event()
            if event is NEED_DATA:
                break
            if server.awaiting_reply:
                server.accept()
    out = server.data_to_send()
    if len(_FINAL_LINE.findall(out)) != expected_replies:
        raise RuntimeError("our server wrote too few replies")


# -- aiosmtpd ---------------------------------------------------------------------------------


class _Handler:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


class _Transport(asyncio.Transport):
    """Collects what the protocol writes; wakes the benchmark once enough replies are in."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.lines = 0
        self.want = 0
        self.done: asyncio.Future[None] | None = None
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        # Count replies, not lines: a multi-line reply's last line has a space after the code.
        self.lines += len(_FINAL_LINE.findall(bytes(data)))
        if self.done is not None and self.lines >= self.want and not self.done.done():
            self.done.set_result(None)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 2525) if name in ("peername", "sockname") else default

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _Aiosmtpd:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, pieces: list[bytes], expected_lines: int) -> None:
        self.loop.run_until_complete(self._session(pieces, expected_lines))

    async def _session(self, pieces: list[bytes], expected_lines: int) -> None:
        from aiosmtpd.smtp import SMTP

        loop = asyncio.get_running_loop()
        transport = _Transport(loop)
        transport.want = expected_lines
        transport.done = loop.create_future()
        protocol = SMTP(
            _Handler(),
            hostname="localhost",
            loop=loop,
            data_size_limit=1 << 30,
            enable_SMTPUTF8=False,
            decode_data=False,
            timeout=300,
        )
        protocol.connection_made(transport)
        for piece in pieces:
            protocol.data_received(piece)
            await asyncio.sleep(0)
        await transport.done
        protocol.connection_lost(None)
        await asyncio.sleep(0)


# -- the inputs -------------------------------------------------------------------------------


def _noops(count: int) -> tuple[list[bytes], int]:
    data = b"EHLO bench.example\r\n" + b"NOOP\r\n" * count + b"QUIT\r\n"
    return [data[i : i + READ] for i in range(0, len(data), READ)], count + 3


def _transactions(count: int, size: int) -> tuple[list[bytes], int]:
    body = _body(size)
    one = (
        b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n" + body + b".\r\n"
    )
    pieces = [b"EHLO bench.example\r\n"] + [one] * count + [b"QUIT\r\n"]
    return pieces, 4 * count + 3


def _big(size: int) -> tuple[list[bytes], int, int]:
    body = _body(size)
    data = (
        b"EHLO bench.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
        b"DATA\r\n" + body + b".\r\nQUIT\r\n"
    )
    return [data[i : i + READ] for i in range(0, len(data), READ)], 7, len(body)


class _NullSocket:
    """Swallows what smtplib sends."""

    def sendall(self, data: bytes) -> None:
        pass


def _client_replies(count: int, naming: bool = False) -> tuple[Any, Any]:
    """Pipelined RCPT commands and their replies: each side formats the commands and parses the
    replies (smtplib writes to a socket that swallows the bytes and reads from memory).

    Most servers answer every RCPT with the same line, as here; with ``naming`` each reply
    names its recipient instead, as some servers' do, so that no two replies are alike.
    """
    recipients = [f"user{i}@example.net" for i in range(count)]
    if naming:
        replies = b"250 2.1.0 OK\r\n" + b"".join(
            b"250 2.1.5 <%s>... Recipient ok\r\n" % rcpt.encode() for rcpt in recipients
        )
    else:
        replies = b"250 2.1.0 OK\r\n" + b"250 2.1.5 Recipient ok\r\n" * count

    def ours() -> None:
        client = SmtpClient()
        client.receive_data(b"220 mx ready\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n")
        client.send(Hello("EHLO", "c.example"))
        client.next_event()
        client.next_event()
        client.send(MailFrom("a@example.org"))
        send = client.send
        for rcpt in recipients:
            send(RcptTo(rcpt))
        client.data_to_send()
        client.receive_data(replies)
        next_event = client.next_event
        seen = 0
        while next_event() is not NEED_DATA:
            seen += 1
        if seen != count + 1:
            raise RuntimeError("our client parsed the wrong number of replies")

    def peer() -> None:
        smtp = smtplib.SMTP()
        smtp.sock = _NullSocket()  # type: ignore[assignment]
        smtp.file = io.BytesIO(replies)  # type: ignore[assignment]
        smtp.putcmd("mail", "FROM:<a@example.org>")
        for rcpt in recipients:
            smtp.putcmd("rcpt", f"TO:<{rcpt}>")
        for _ in range(count + 1):
            smtp.getreply()

    return ours, peer


def _multiline_replies(count: int, lines: int) -> tuple[Any, Any]:
    """Multi-line replies (as EHLO and EXPN give), one NOOP each: mostly line parsing."""
    one = (
        b"".join(b"250-2.0.0 member%d <user%d@example.net>\r\n" % (i, i) for i in range(lines - 1))
        + b"250 2.0.0 end of list\r\n"
    )
    replies = b"220 mx ready\r\n" + one * count

    def ours() -> None:
        client = SmtpClient(pipelining=False)
        noop = Noop()
        for _ in range(count):
            client.send(noop)
        client.receive_data(replies)
        next_event = client.next_event
        seen = 0
        while next_event() is not NEED_DATA:
            seen += 1
        if seen != count + 1:
            raise RuntimeError("our client parsed the wrong number of replies")

    def peer() -> None:
        smtp = smtplib.SMTP()
        smtp.sock = _NullSocket()  # type: ignore[assignment]
        smtp.file = io.BytesIO(replies)  # type: ignore[assignment]
        smtp.getreply()
        for _ in range(count):
            smtp.putcmd("noop")
            smtp.getreply()

    return ours, peer


def comparisons(corpus: Path | None, quick: bool) -> Iterator[Comparison]:
    del corpus  # generated inputs: the corpus holds messages, not SMTP sessions
    aiosmtpd = _Aiosmtpd()
    noops = 2_000 if quick else 10_000
    pieces, lines = _noops(noops)
    yield Comparison(
        "smtp server: NOOP commands",
        lambda: _run_ours(pieces, lines),
        noops,
        "cmds",
        lambda: aiosmtpd.run(pieces, lines),
        "aiosmtpd",
        5.0,
    )
    count = 200 if quick else 1_000
    tx_pieces, tx_lines = _transactions(count, 1024)
    yield Comparison(
        "smtp server: pipelined 1 KB transactions",
        lambda: _run_ours(tx_pieces, tx_lines),
        count,
        "msgs",
        lambda: aiosmtpd.run(tx_pieces, tx_lines),
        "aiosmtpd",
        5.0,
    )
    size = 2_000_000 if quick else 10_000_000
    big_pieces, big_lines, body_size = _big(size)
    yield Comparison(
        f"smtp server: DATA, one {size // 1_000_000} MB message",
        lambda: _run_ours(big_pieces, big_lines),
        body_size,
        "MB",
        lambda: aiosmtpd.run(big_pieces, big_lines),
        "aiosmtpd",
        None,
    )
    replies = 2_000 if quick else 10_000
    rcpt_ours, rcpt_peer = _client_replies(replies)
    yield Comparison(
        "smtp client: pipelined RCPTs and replies",
        rcpt_ours,
        replies + 1,
        "replies",
        rcpt_peer,
        "smtplib",
        1.0,
    )
    naming_ours, naming_peer = _client_replies(replies, naming=True)
    yield Comparison(
        "smtp client: pipelined RCPTs, replies naming each",
        naming_ours,
        replies + 1,
        "replies",
        naming_peer,
        "smtplib",
        None,
    )
    multi = 200 if quick else 1_000
    parse_ours, parse_peer = _multiline_replies(multi, 10)
    yield Comparison(
        "smtp client: 10-line replies, parsing",
        parse_ours,
        multi * 10 + 1,
        "lines",
        parse_peer,
        "smtplib",
        1.0,
    )
