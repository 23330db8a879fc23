"""The development server as a whole: SMTP and POP3 listeners over one store."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..drivers import asyncio as driver
from ._pop3 import POP3Service
from ._router import Router
from ._smtp import Relay, SMTPService, StoreDelivery
from ._store import MaildirStore, MemoryStore, Store
from ._users import UserTable

__all__ = ["DevServer", "ServerConfig"]

logger = logging.getLogger("mailproto.devserver")


@dataclass
class ServerConfig:
    """What ``mailproto serve`` is told on its command line.

    :param host: the address to listen on.
    :param smtp_port: the SMTP port (``0``: any free port).
    :param pop3_port: the POP3 port (``0``: any free port; ``None``: no POP3).
    :param hostname: the name the server gives itself.
    :param maildir: a Maildir tree to store mail in (``None``: memory).
    :param users: ``(name, password)`` pairs.
    :param domains: the domains the server receives mail for (none: catch everything).
    :param relay: relay mail for other domains for authenticated clients.
    :param smarthost: relay through this ``(host, port)`` instead of MX lookups.
    :param tls_cert: a PEM certificate chain; with :attr:`tls_key`, STARTTLS and STLS are on.
    :param tls_key: the PEM private key.
    :param max_message_size: the largest message accepted, in octets.
    :param idle_timeout: seconds a silent client is kept.
    :param grace_period: seconds a shutdown lets busy sessions finish.
    :param fsync: sync Maildir writes to disk.
    """

    host: str = "127.0.0.1"
    smtp_port: int = 2525
    pop3_port: int | None = 2110
    hostname: str = "localhost"
    maildir: str | None = None
    users: Sequence[tuple[str, str]] = ()
    domains: Sequence[str] = ()
    relay: bool = False
    smarthost: tuple[str, int] | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    max_message_size: int = 25 * 1024 * 1024
    idle_timeout: float = 300.0
    grace_period: float = 10.0
    fsync: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Raise :class:`ValueError` for settings that cannot work together."""
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("--tls-cert and --tls-key go together")
        if self.smarthost is not None and not self.relay:
            raise ValueError("--smarthost needs --relay")
        if self.relay and not self.users:
            raise ValueError("--relay needs at least one --user: only authenticated clients relay")
        if self.relay and self.smarthost is None:
            try:
                import dns.resolver  # noqa: F401
            except ImportError:
                raise ValueError(
                    "--relay looks up MX records with dnspython (pip install dnspython); "
                    "install it or give --smarthost"
                ) from None

    def tls_context(self) -> ssl.SSLContext | None:
        """The server TLS context, or ``None`` when no certificate was given."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context


class DevServer:
    """SMTP and POP3 over one store; see :class:`ServerConfig`.

    :param config: the settings.
    :param store: the store to use instead of the one the config names.
    :param relay: what to hand mail for other domains to (made from the config when omitted and
        :attr:`ServerConfig.relay` is set).
    """

    def __init__(
        self,
        config: ServerConfig,
        *,
        store: Store | None = None,
        relay: Relay | None = None,
    ) -> None:
        config.check()
        self.config = config
        if store is None:
            store = (
                MaildirStore(config.maildir, fsync=config.fsync)
                if config.maildir
                else MemoryStore()
            )
        self.store = store
        self.users = UserTable(config.users)
        self.router = Router(self.users, config.domains, relay=config.relay)
        self._tls = config.tls_context()
        if relay is None and config.relay:
            from ._relay import RelayQueue, dns_lookup

            relay = RelayQueue(
                hostname=config.hostname,
                smarthost=config.smarthost,
                lookup=None if config.smarthost else dns_lookup,
                bounce=self._bounce,
                spool=Path(config.maildir) / ".relay-queue" if config.maildir else None,
                fsync=config.fsync,
            )
        self.relay = relay
        self.smtp = SMTPService(
            self.router,
            StoreDelivery(store),
            relay=relay,
            hostname=config.hostname,
            tls_available=self._tls is not None,
            max_message_size=config.max_message_size,
        )
        self.pop3 = POP3Service(
            store, self.users, hostname=config.hostname, tls_available=self._tls is not None
        )
        self._servers: list[driver.AsyncServer] = []

    async def _bounce(self, recipient: str, data: bytes) -> None:
        """Deliver a bounce for a local sender into their mailbox."""
        route = self.router.route(recipient, authenticated=False)
        mailbox = getattr(route, "mailbox", None)
        if mailbox is None:
            logger.warning("dropping a bounce for non-local <%s>", recipient)
            return
        await asyncio.to_thread(self.store.deliver, mailbox, data)

    @property
    def smtp_port(self) -> int:
        """The port the SMTP listener is bound to."""
        return self._servers[0].port

    @property
    def pop3_port(self) -> int | None:
        """The port the POP3 listener is bound to (``None`` without POP3)."""
        return self._servers[1].port if len(self._servers) > 1 else None

    async def start(self) -> None:
        """Open the listeners."""
        config = self.config
        common: dict[str, Any] = {
            "starttls_context": self._tls,
            "idle_timeout": config.idle_timeout,
            "grace_period": config.grace_period,
        }
        self._servers.append(
            await driver.serve(
                self.smtp.make_connection,
                self.smtp.handle,
                config.host,
                config.smtp_port,
                **common,
            )
        )
        if config.pop3_port is not None:
            self._servers.append(
                await driver.serve(
                    self.pop3.make_connection,
                    self.pop3.handle,
                    config.host,
                    config.pop3_port,
                    **common,
                )
            )
        start = getattr(self.relay, "start", None)
        if start is not None:
            start()

    def close(self) -> None:
        """Stop accepting; let sessions in progress finish (see the driver's ``close``)."""
        for server in self._servers:
            server.close()

    async def wait_closed(self) -> None:
        """Wait until every session has ended and the relay queue has stopped."""
        for server in self._servers:
            await server.wait_closed()
        stop = getattr(self.relay, "stop", None)
        if stop is not None:
            await stop()

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self.wait_closed()

    async def run(self) -> None:
        """Start, serve until SIGINT or SIGTERM, then shut down cleanly."""
        await self.start()
        await self.serve_until_signalled()

    async def serve_until_signalled(self) -> None:
        """Serve (after :meth:`start`) until SIGINT or SIGTERM, then shut down cleanly."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not on Windows
                pass
        try:
            await stop.wait()
            logger.info("shutting down: finishing the sessions in progress")
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            self.close()
            await self.wait_closed()
            logger.info("stopped; %d messages accepted in this run", self.smtp.accepted)
