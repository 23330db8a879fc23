"""What every driver shares besides the pump: TLS details, shutdown signal, handler outcomes."""

from __future__ import annotations

import logging
import ssl
from typing import Any, Final, Protocol

from ..connection import Connection, StartTLS
from ..errors import RemoteProtocolError
from ._pump import Pump

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "ChannelInfo",
    "ServerClosing",
    "check_starttls_context",
    "log_handler_end",
    "logger",
]

#: The logger every driver reports to.
logger: Final = logging.getLogger("mailproto.drivers")

#: Seconds a closing server lets its handlers finish before cancelling them.
DEFAULT_GRACE_PERIOD: Final = 5.0


class ServerClosing(Exception):
    """The server is shutting down: raised by ``next_event`` while waiting for an idle peer.

    A handler may catch it to say goodbye (SMTP ``421``, for instance) before returning; if it
    does not, the server closes the connection quietly.
    """


class _TLSObject(Protocol):
    def version(self) -> str | None: ...

    def cipher(self) -> tuple[str, str, int] | None: ...

    def getpeercert(self) -> dict[str, Any] | None: ...


class ChannelInfo:
    """The read-only facts about a live connection that every driver's channel offers."""

    __slots__ = ()

    _pump: Pump
    _peername: Any
    _sockname: Any

    def _tls_object(self) -> _TLSObject | None:
        raise NotImplementedError

    @property
    def conn(self) -> Connection:
        """The sans-I/O connection this channel drives."""
        return self._pump.conn

    @property
    def peername(self) -> Any:
        """The peer's address, as the socket reports it (``(host, port)`` for IPv4)."""
        return self._peername

    @property
    def sockname(self) -> Any:
        """The local address of the connection."""
        return self._sockname

    @property
    def closed(self) -> bool:
        """``True`` once the channel has been closed (by us, or after the conversation ended)."""
        return self._pump.closed

    @property
    def tls(self) -> bool:
        """Whether the transport is encrypted (implicit TLS, or after STARTTLS)."""
        return self._pump.tls

    @property
    def tls_version(self) -> str | None:
        """The negotiated TLS version (``"TLSv1.3"``, ...), or ``None`` without TLS."""
        obj = self._tls_object() if self._pump.tls else None
        return obj.version() if obj is not None else None

    @property
    def cipher(self) -> tuple[str, str, int] | None:
        """The negotiated cipher as ``(name, protocol, secret bits)``, or ``None``."""
        obj = self._tls_object() if self._pump.tls else None
        return obj.cipher() if obj is not None else None

    @property
    def peercert(self) -> dict[str, Any] | None:
        """The peer's validated certificate (see :meth:`ssl.SSLSocket.getpeercert`), or ``None``."""
        obj = self._tls_object() if self._pump.tls else None
        return obj.getpeercert() if obj is not None else None

    @property
    def last_starttls(self) -> StartTLS | None:
        """The :class:`~mailproto.connection.StartTLS` event of the last upgrade, or ``None``.

        Its ``discarded`` attribute holds the plaintext the peer pipelined after the command
        that started TLS, which was thrown away.
        """
        return self._pump.last_starttls


def check_starttls_context(context: ssl.SSLContext | None, server_side: bool) -> ssl.SSLContext:
    """The context for a STARTTLS upgrade: the one given, or a safe client default.

    A server has no default: it cannot offer TLS without a certificate, so a connection asking it
    to upgrade without one is a configuration error.
    """
    if context is not None:
        return context
    if server_side:
        raise RuntimeError(
            "the connection started TLS but the server was given no starttls_context"
        )
    return ssl.create_default_context()


def log_handler_end(exc: BaseException | None, peer: Any) -> None:
    """Log how a server handler ended: quietly for the peer's doings, loudly for bugs."""
    if exc is None or isinstance(exc, ServerClosing):
        logger.debug("connection from %s ended", peer)
    elif isinstance(exc, TimeoutError):
        logger.info("connection from %s timed out", peer)
    elif isinstance(exc, OSError | RemoteProtocolError):
        logger.info("connection from %s ended: %r", peer, exc)
    else:
        logger.error("handler for %s failed", peer, exc_info=exc)
