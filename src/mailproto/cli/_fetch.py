"""``mailproto fetch``: download a POP3 mailbox into a Maildir or an mbox file, once.

The UIDL of every message saved is written to a state file (after the message itself is safely
stored), so a message is never downloaded twice, and with ``--delete`` it is deleted on the
server only once it is saved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["FetchResult", "MboxWriter", "UidState", "fetch", "main"]

_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


class UidState:
    """The UIDs already downloaded, per account, in a small text file.

    One line per message: ``account uid``. Lines are appended and synced as messages are saved.
    """

    def __init__(self, path: str | os.PathLike[str], account: str) -> None:
        self.path = Path(path)
        self.account = account
        self.seen: set[str] = set()
        if self.path.exists():
            for line in self.path.read_text("utf-8", "replace").splitlines():
                owner, _, uid = line.rpartition(" ")
                if owner == account:
                    self.seen.add(uid)

    def add(self, uid: str) -> None:
        """Remember ``uid`` (durably) as downloaded."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{self.account} {uid}\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.seen.add(uid)


class MboxWriter:
    """Appends messages to an mbox file (the ``mboxrd`` flavour: ``From `` lines quoted).

    :param path: the file (created if missing).
    :param clock: the time for the ``From `` separator line.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = Path(path)
        self.clock = clock

    def deliver(self, data: bytes, sender: str = "MAILER-DAEMON") -> str:
        """Append one message; return ``"mbox"``."""
        body = data.replace(b"\r\n", b"\n")
        body = _FROM_LINE.sub(rb">\1", body)
        if not body.endswith(b"\n"):
            body += b"\n"
        stamp = self.clock().strftime("%a %b %d %H:%M:%S %Y")
        record = f"From {sender} {stamp}\n".encode() + body + b"\n"
        with self.path.open("ab") as handle:
            handle.write(record)
            handle.flush()
            os.fsync(handle.fileno())
        return "mbox"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one run of :func:`fetch` did.

    :param fetched: messages downloaded and saved now.
    :param deleted: messages deleted on the server (``--delete``).
    """

    fetched: int
    deleted: int


class FetchError(Exception):
    """The download could not go on (refused login, ...)."""


async def fetch(
    host: str,
    port: int,
    user: str,
    password: str,
    *,
    save: Callable[[bytes], object],
    state: UidState,
    delete: bool = False,
    apop: bool = False,
    tls: ssl.SSLContext | None = None,
    stls: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> FetchResult:
    """Download the messages of ``user``'s maildrop that ``state`` has not seen.

    The POP3 work is :class:`mailproto.pop3.MailboxDownload`'s; this function connects,
    upgrades with STLS when asked, and stores each message before remembering its UID.

    :param save: stores one message durably (called before its UID is remembered).
    :raises FetchError: the server refused something the download needs.
    """
    from ..drivers import asyncio as driver
    from ..pop3 import (
        DownloadError,
        Greeting,
        MailboxDownload,
        Ok,
        POP3Client,
        Stls,
        download_async,
    )
    from ._send import _is_loopback

    conn = POP3Client()
    channel = await driver.connect(
        host,
        port,
        conn,
        ssl_context=tls,
        starttls_context=stls,
        connect_timeout=timeout,
        idle_timeout=timeout,
    )
    try:
        greeting = await channel.next_event()
        if not isinstance(greeting, Greeting):
            raise FetchError(f"the server refused the connection: {greeting!r}")
        if stls is not None:
            await channel.send(Stls())
            answer = await channel.next_event()
            if not isinstance(answer, Ok):
                raise FetchError(f"the server refused STLS: {answer!r}")
        job = MailboxDownload(
            conn,
            username=user,
            password=password,
            known_uids=state.seen,
            delete=delete,
            login="apop" if apop else "auto",
            allow_plaintext=channel.tls or _is_loopback(host),
        )
        job.handle(greeting)
        fetched = 0
        try:
            async for message in download_async(channel, job):
                await asyncio.to_thread(save, message.data)
                await asyncio.to_thread(state.add, message.uid)
                fetched += 1
        except DownloadError as exc:
            reply = getattr(exc.reply, "text", "")
            raise FetchError(f"{exc.message}: -ERR {reply}" if reply else exc.message) from None
        await channel.aclose()
        return FetchResult(fetched, len(job.deleted_uids))
    finally:
        if not channel.closed:
            channel.abort()


def main(args: argparse.Namespace) -> int:
    """Download new messages; exit 0 on success."""
    from ..devserver import Maildir
    from ._send import client_context

    if args.user is None:
        print("mailproto fetch: --user is required", file=sys.stderr)
        return 2
    password = args.password if args.password is not None else os.environ.get("MAILPROTO_PASSWORD")
    if password is None:
        print("mailproto fetch: give --password or set MAILPROTO_PASSWORD", file=sys.stderr)
        return 2
    host, port = args.server
    save: Callable[[bytes], object]
    if args.maildir:
        save = Maildir(args.maildir).deliver
        default_state = Path(args.maildir) / ".mailproto-uids"
    else:
        save = MboxWriter(args.mbox).deliver
        default_state = Path(args.mbox + ".uids")
    state = UidState(args.state or default_state, f"{args.user}@{host}:{port}")
    context = client_context(args.cafile, args.insecure)
    try:
        result = asyncio.run(
            fetch(
                host,
                port,
                args.user,
                password,
                save=save,
                state=state,
                delete=args.delete,
                apop=args.apop,
                tls=context if args.tls else None,
                stls=context if args.starttls else None,
                timeout=args.timeout,
            )
        )
    except (FetchError, OSError, TimeoutError) as exc:
        print(f"mailproto fetch: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    except Exception as exc:  # a protocol error from the server, a TLS failure, ...
        print(f"mailproto fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"fetched {result.fetched} new message(s); {result.deleted} deleted on the server")
    return 0
