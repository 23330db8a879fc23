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
from typing import Any

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
    :param skipped: messages on the server that had been downloaded before.
    :param deleted: messages deleted on the server.
    """

    fetched: int
    skipped: int
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

    :param save: stores one message durably (called before its UID is remembered).
    :raises FetchError: the server refused something the download needs.
    """
    from ..drivers import asyncio as driver
    from ..pop3 import (
        Apop,
        Auth,
        AuthChallenge,
        AuthResponse,
        Capa,
        Capabilities,
        Dele,
        Err,
        Greeting,
        MessageData,
        MessageEnd,
        Ok,
        Pass,
        POP3Client,
        Quit,
        Retr,
        Stls,
        Uidl,
        UidListing,
        User,
    )
    from ..sasl import Secret, client_mechanism

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

    async def answer() -> Any:
        event = await channel.next_event()
        if isinstance(event, Err):
            raise FetchError(f"the server said -ERR {event.text}")
        return event

    try:
        greeting = await answer()
        if not isinstance(greeting, Greeting):
            raise FetchError(f"unexpected greeting {greeting!r}")
        await channel.send(Capa())
        capabilities: dict[str, tuple[str, ...]] = {}
        try:
            caps = await answer()
            if isinstance(caps, Capabilities):
                capabilities = {c.name.upper(): c.args for c in caps.capabilities}
        except FetchError:
            pass  # CAPA is optional (RFC 2449)
        if stls is not None:
            if "STLS" not in capabilities:
                raise FetchError("the server does not offer STLS")
            await channel.send(Stls())
            await answer()
            await channel.send(Capa())
            caps = await answer()
            if isinstance(caps, Capabilities):
                capabilities = {c.name.upper(): c.args for c in caps.capabilities}
        sasl = [m.upper() for m in capabilities.get("SASL", ())]
        if apop:
            if greeting.timestamp is None:
                raise FetchError("the server does not offer APOP")
            await channel.send(Apop.compute(user, greeting.timestamp, password))
            await answer()
        elif "SCRAM-SHA-256" in sasl:
            mechanism = client_mechanism("SCRAM-SHA-256", username=user, password=Secret(password))
            await channel.send(Auth("SCRAM-SHA-256", mechanism.initial_response()))
            while True:
                event = await answer()
                if isinstance(event, AuthChallenge):
                    await channel.send(AuthResponse(mechanism.respond(event.data)))
                    continue
                if not isinstance(event, Ok):
                    raise FetchError(f"AUTH failed: {event!r}")
                break
        else:
            await channel.send(User(user))
            await answer()
            await channel.send(Pass(Secret(password)))
            await answer()
        await channel.send(Uidl())
        listing = await answer()
        if not isinstance(listing, UidListing):
            raise FetchError(f"unexpected UIDL answer {listing!r}")
        fetched = skipped = deleted = 0
        for number, uid in listing.entries:
            if uid in state.seen:
                skipped += 1
            else:
                await channel.send(Retr(number))
                chunks: list[bytes] = []
                while True:
                    event = await answer()
                    if isinstance(event, MessageData):
                        chunks.append(event.data)
                    elif isinstance(event, MessageEnd):
                        break
                await asyncio.to_thread(save, b"".join(chunks))
                await asyncio.to_thread(state.add, uid)
                fetched += 1
            if delete:
                await channel.send(Dele(number))
                await answer()
                deleted += 1
        await channel.send(Quit())
        await answer()
        await channel.aclose()
        return FetchResult(fetched, skipped, deleted)
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
    print(
        f"fetched {result.fetched} new message(s); {result.skipped} seen before; "
        f"{result.deleted} deleted on the server"
    )
    return 0
