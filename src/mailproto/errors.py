"""The exceptions every part of mailproto raises.

There are two families, as in h11:

* :class:`LocalProtocolError`: *our* side did something the protocol does not allow (the
  application sent a reply out of turn, built a command with a CR in it, ...). The connection's
  state is unchanged, so the caller can correct itself and go on.
* :class:`RemoteProtocolError`: the *peer* sent something invalid. It names what was wrong and,
  on a server connection, carries the reply the server should send back (:attr:`reply`). The
  connection has already skipped the bad input, so after sending that reply the application calls
  ``next_event()`` again, unless :attr:`ProtocolError.fatal` says the session cannot go on.

Every error carries an :class:`ErrorKind`, a protocol-neutral classification that lets the shared
layers (the receive buffer, SASL) report problems without knowing which protocol they serve; each
protocol package maps the kind to its own reply (SMTP ``500 5.5.2``, POP3 ``-ERR``, IMAP ``BAD``).
"""

from __future__ import annotations

import enum

__all__ = [
    "ErrorKind",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "SASLError",
]


class ErrorKind(enum.Enum):
    """What class of problem a :class:`ProtocolError` reports."""

    #: The bytes do not follow the protocol's grammar.
    SYNTAX = "syntax"
    #: A line was longer than the configured limit; the buffer skipped it.
    LINE_TOO_LONG = "line-too-long"
    #: The peer sent more unconsumed data than the receive buffer may hold.
    BUFFER_FULL = "buffer-full"
    #: A dot-stuffed block (SMTP DATA, POP3 multi-line) held a bare LF or a bare CR.
    BARE_LINE_ENDING = "bare-line-ending"
    #: A message, literal or block was larger than allowed.
    TOO_BIG = "too-big"
    #: The command or reply is valid but not allowed in the current state.
    BAD_SEQUENCE = "bad-sequence"
    #: The command is not known or not implemented.
    UNKNOWN_COMMAND = "unknown-command"
    #: A parameter or argument is not recognised or has a bad value.
    BAD_PARAMETER = "bad-parameter"
    #: The peer closed the connection where the protocol does not allow it (mid-message, ...).
    UNEXPECTED_EOF = "unexpected-eof"
    #: The peer kept sending bad commands past the configured limit.
    TOO_MANY_ERRORS = "too-many-errors"
    #: Authentication failed or the SASL exchange was malformed or cancelled.
    AUTHENTICATION = "authentication"
    #: Anything received after STARTTLS/STLS but before the TLS handshake.
    PLAINTEXT_AFTER_STARTTLS = "plaintext-after-starttls"


class ProtocolError(Exception):
    """Base class of every error mailproto raises about a protocol exchange.

    :param message: a sentence naming what was wrong.
    :param kind: the protocol-neutral classification.
    :param limit: for limit violations, the configured limit that was exceeded.
    :param reply: on a server connection, the reply event the server should send in answer.
    :param fatal: ``True`` if the connection cannot continue and should be closed (after sending
        :attr:`reply`, if any).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind = ErrorKind.SYNTAX,
        limit: int | None = None,
        reply: object | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.limit = limit
        self.reply = reply
        self.fatal = fatal

    def __repr__(self) -> str:
        extra = f", limit={self.limit}" if self.limit is not None else ""
        return f"{type(self).__name__}({self.message!r}, kind={self.kind.name}{extra})"


class LocalProtocolError(ProtocolError):
    """Our side misused the API or tried to send something the protocol forbids.

    The connection's state did not change.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids.

    On a server connection :attr:`reply` holds the reply event to send back; the connection has
    already resynchronised (skipped the bad line or drained the bad block) unless :attr:`fatal`.
    """


class SASLError(ProtocolError):
    """A SASL exchange failed: malformed data, a cancelled exchange or failed verification.

    Raised by the mechanisms in :mod:`mailproto.sasl`; its kind is always
    :attr:`ErrorKind.AUTHENTICATION`. Protocol servers turn it into their own failure reply.
    """

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message, kind=ErrorKind.AUTHENTICATION, fatal=fatal)
