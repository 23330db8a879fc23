"""The development server's POP3 side: one session handler over a :class:`Store`."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from ..pop3 import (
    Err,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    OpenMaildrop,
    POP3Server,
    RetrieveMessage,
    Update,
)
from ..sasl import Authenticator
from ._store import Store, StoredMessage
from ._users import UserTable

__all__ = ["AnyPasswordAuthenticator", "POP3Service"]

logger = logging.getLogger("mailproto.devserver")

#: How many bytes of a message go into one :class:`~mailproto.pop3.MessageData` event.
CHUNK = 65536


class AnyPasswordAuthenticator(Authenticator):
    """Accepts any name with any password (PLAIN, LOGIN, USER/PASS).

    The development server uses it when no ``--user`` is given, so that a mail reader can open
    any mailbox the server caught mail for by logging in as the recipient's address.
    """

    def check_password(self, authcid: str, password: Any, authzid: str) -> bool:
        """Every password is right."""
        return authzid in ("", authcid)


class POP3Service:
    """Serves POP3 sessions over ``store``: the factory and the handler for a driver.

    :param store: where the mail is.
    :param users: who may log in; with no users, any name and password open the mailbox of
        that name (handy for catching mail in development).
    :param hostname: the server's name (APOP timestamps, CRAM-MD5).
    :param tls_available: offer STLS (the driver must have a STARTTLS context).
    """

    def __init__(
        self,
        store: Store,
        users: UserTable,
        *,
        hostname: str = "localhost",
        tls_available: bool = False,
        wrap: Callable[[POP3Server], Any] | None = None,
    ) -> None:
        self.store = store
        self.users = users
        self.hostname = hostname
        self.tls_available = tls_available
        self._wrap = wrap
        self._locked: set[str] = set()
        self._counter = itertools.count(1)

    def make_connection(self) -> Any:
        """A new :class:`~mailproto.pop3.POP3Server` for one client."""
        authenticator: Authenticator
        if self.users:
            authenticator = self.users.authenticator()
            timestamp: str | None = f"<{os.getpid()}.{next(self._counter)}@{self.hostname}>"
            mechanisms: tuple[str, ...] = (
                "SCRAM-SHA-256",
                "SCRAM-SHA-1",
                "CRAM-MD5",
                "PLAIN",
                "LOGIN",
            )
        else:
            authenticator = AnyPasswordAuthenticator()
            timestamp = None
            mechanisms = ("PLAIN", "LOGIN")
        conn = POP3Server(
            authenticator=authenticator,
            greeting=f"{self.hostname} POP3 ready",
            apop_timestamp=timestamp,
            tls_available=self.tls_available,
            mechanisms=mechanisms,
            implementation="mailproto",
            hostname=self.hostname,
        )
        return conn if self._wrap is None else self._wrap(conn)

    def _mailbox(self, username: str) -> str:
        owner = self.users.owner_of(username) if self.users else None
        return self.users.mailbox_of(owner) if owner is not None else username.lower()

    async def handle(self, channel: Any) -> None:
        """Run one POP3 session on ``channel`` (an asyncio driver channel)."""
        started = time.monotonic()
        peer = _peer(channel.peername)
        mailbox: str | None = None
        listing: list[StoredMessage] = []
        retrieved = deleted = 0
        try:
            async for event in channel.events():
                if isinstance(event, OpenMaildrop):
                    box = self._mailbox(event.username)
                    if box in self._locked:
                        await channel.send(Err("maildrop already locked", code="IN-USE"))
                        continue
                    self._locked.add(box)
                    mailbox = box
                    listing = await asyncio.to_thread(self.store.messages, box)
                    await channel.send(
                        Maildrop(
                            tuple(m.size for m in listing),
                            tuple(m.uid for m in listing),
                        )
                    )
                elif isinstance(event, RetrieveMessage) and mailbox is not None:
                    uid = listing[event.msg - 1].uid
                    try:
                        data = await asyncio.to_thread(self.store.read, mailbox, uid)
                    except KeyError:
                        await channel.send(Err("message is gone", code="SYS/TEMP"))
                        continue
                    retrieved += 1
                    chunks = [MessageData(data[i : i + CHUNK]) for i in range(0, len(data), CHUNK)]
                    await channel.send(MessageStart(), *chunks, MessageEnd())
                elif isinstance(event, Update) and mailbox is not None:
                    uids = [listing[n - 1].uid for n in event.deleted]
                    try:
                        await asyncio.to_thread(self.store.delete, mailbox, uids)
                    except OSError as exc:
                        await channel.send(Err(f"could not delete: {exc}", code="SYS/TEMP"))
                        continue
                    deleted = len(uids)
                    await channel.send(Ok(f"{self.hostname} POP3 signing off"))
        finally:
            if mailbox is not None:
                self._locked.discard(mailbox)
            logger.info(
                "pop3 session from %s user=%s retrieved=%d deleted=%d (%.2fs)",
                peer,
                mailbox or "-",
                retrieved,
                deleted,
                time.monotonic() - started,
            )


def _peer(peername: Any) -> str:
    if isinstance(peername, tuple) and len(peername) >= 2:
        return f"{peername[0]}:{peername[1]}"
    return str(peername)
