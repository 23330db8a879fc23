"""The demo's two domains, running for real on loopback.

=================  ============  =====================================================
host               address       what it runs
=================  ============  =====================================================
smtp.a.example     192.0.2.10    submission (587) with AUTH, relay through the planner,
                                 POP3 (110) for a.example's users
mx.b.example       192.0.2.20    b.example's primary MX (25): delivers over LMTP
backup.b.example   192.0.2.21    b.example's backup MX (25): delivers over LMTP
mail.b.example     192.0.2.22    the mailbox server: LMTP (24) into the store, POP3 (110)
=================  ============  =====================================================

Every server listens on a free loopback port; :class:`~mailproto.demo._zone.Network` maps the
documentation addresses above to those ports, and :class:`~mailproto.demo._zone.Zone` answers
the delivery planner's DNS questions.
"""

from __future__ import annotations

import random
from typing import Any

from ..devserver import MemoryStore, POP3Service, Router, SMTPService, StoreDelivery, UserTable
from ..devserver._lmtp import LmtpDelivery
from ..devserver._relay import RelayQueue
from ..devserver._transcript import Transcript
from ..drivers import asyncio as driver
from ._zone import Network, Zone

__all__ = ["PASSWORDS", "ZONE_TEXT", "World"]

#: The demo's DNS zone.
ZONE_TEXT = """\
a.example.         MX 10 smtp.a.example.
smtp.a.example.    A  192.0.2.10
b.example.         MX 10 mx.b.example.
b.example.         MX 20 backup.b.example.
mx.b.example.      A  192.0.2.20
backup.b.example.  A  192.0.2.21
mail.b.example.    A  192.0.2.22
"""

#: The users of both domains and their passwords.
PASSWORDS = {
    "ana@a.example": "ana-secret",
    "amy@a.example": "amy-secret",
    "bea@b.example": "bea-secret",
}

SMTP_A = "192.0.2.10"
MX_B = "192.0.2.20"
BACKUP_B = "192.0.2.21"
MAIL_B = "192.0.2.22"


class World:
    """Every server of the demo, a transcript they all write to, and a way to stop them.

    :param transcript: where the conversations are recorded.
    :param timeout: seconds for every connect and every reply.
    """

    def __init__(self, transcript: Transcript, *, timeout: float = 10.0) -> None:
        self.transcript = transcript
        self.timeout = timeout
        self.zone = Zone.from_text(ZONE_TEXT)
        self.network = Network()
        self.store_a = MemoryStore()
        self.store_b = MemoryStore()
        self.users_a = UserTable((u, p) for u, p in PASSWORDS.items() if u.endswith("a.example"))
        self.users_b = UserTable((u, p) for u, p in PASSWORDS.items() if u.endswith("b.example"))
        self._servers: list[driver.AsyncServer] = []
        self.relay = RelayQueue(
            hostname="smtp.a.example",
            lookup=self.zone.lookup,
            locate=self.network.locate,
            bounce=self._bounce_to_a,
            opportunistic_tls=False,
            wrap=self._wrap_client,
            note=self._note,
            connect_timeout=timeout,
            idle_timeout=timeout,
            rng=random.Random(0),
        )

    # -- recording ------------------------------------------------------------------------------

    def _wrap_client(self, conn: Any, hop: str) -> Any:
        return self.transcript.wrap(conn, hop)

    def _note(self, hop: str, text: str) -> None:
        # The relay names its notes by queue id; show them under the relaying host.
        label = "smtp.a.example (relay queue)" if hop.startswith("R") else hop
        self.transcript.note(label, text)

    def note(self, host: str, text: str) -> None:
        """Add an annotation from ``host`` to the transcript."""
        self.transcript.note(host, text)

    async def _bounce_to_a(self, recipient: str, data: bytes) -> None:
        owner = self.users_a.owner_of(recipient)
        if owner is None:
            self.note("smtp.a.example", f"bounce for <{recipient}> dropped: not a local user")
            return
        uid = self.store_a.deliver(self.users_a.mailbox_of(owner), data)
        self.note("smtp.a.example", f"bounce delivered into {owner}'s mailbox as {uid}")

    # -- starting -------------------------------------------------------------------------------

    async def _listen(self, address: str, port: int, service: Any) -> None:
        server = await driver.serve(
            service.make_connection,
            service.handle,
            self.network.real_host,
            0,
            idle_timeout=self.timeout,
            grace_period=1.0,
        )
        self._servers.append(server)
        self.network.attach(address, port, server.port)

    async def start(self) -> None:
        """Start every server of both domains."""
        submission = SMTPService(
            Router(self.users_a, ["a.example"], relay=True),
            StoreDelivery(self.store_a),
            relay=self.relay,
            hostname="smtp.a.example",
            note=self.note,
        )
        await self._listen(SMTP_A, 587, submission)
        await self._listen(SMTP_A, 110, POP3Service(self.store_a, self.users_a, hostname="a"))
        for address, name in ((MX_B, "mx.b.example"), (BACKUP_B, "backup.b.example")):
            mx = SMTPService(
                Router(self.users_b, ["b.example"]),
                _LazyLmtp(self, name),
                hostname=name,
                note=self.note,
                offer_auth=False,
            )
            await self._listen(address, 25, mx)
        mailbox_server = SMTPService(
            Router(self.users_b, ["b.example"]),
            StoreDelivery(self.store_b),
            hostname="mail.b.example",
            lmtp=True,
            offer_auth=False,
            note=self.note,
        )
        await self._listen(MAIL_B, 24, mailbox_server)
        await self._listen(
            MAIL_B, 110, POP3Service(self.store_b, self.users_b, hostname="mail.b.example")
        )
        self.relay.start()

    async def stop(self) -> None:
        """Stop the relay queue and every server."""
        await self.relay.stop(self.timeout)
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()

    def locate(self, address: str, port: int) -> tuple[str, int]:
        """The real loopback ``(host, port)`` of a demo address and port."""
        return self.network.locate(address, port)


class _LazyLmtp:
    """LMTP delivery to mail.b.example, looked up when a message arrives (ports are dynamic)."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name

    async def deliver(self, sender: str, recipients: Any, data: bytes) -> Any:
        host, port = self.world.locate(MAIL_B, 24)
        delivery = LmtpDelivery(
            host,
            port,
            hostname=self.name,
            wrap=lambda conn: self.world.transcript.wrap(
                conn, f"{self.name} -> mail.b.example [{MAIL_B}]:24 (LMTP)"
            ),
            timeout=self.world.timeout,
        )
        return await delivery.deliver(sender, recipients, data)
