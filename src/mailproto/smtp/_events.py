"""The events of SMTP and LMTP: one frozen dataclass per command, the reply, and the data stream.

The same command classes travel in both directions: a client ``send``-s a :class:`MailFrom`, and
the server's ``next_event`` returns an equal :class:`MailFrom`. Replies are always :class:`Reply`.
Message content travels as :class:`DataChunk` events; the client ends it with :class:`EndOfData`
and the server reports the end with :class:`MessageComplete`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..connection import Event

__all__ = [
    "Auth",
    "AuthResponse",
    "AuthResult",
    "Bdat",
    "ChunkComplete",
    "Command",
    "Connected",
    "Data",
    "DataChunk",
    "EndOfData",
    "Expand",
    "Hello",
    "Help",
    "MailFrom",
    "MessageComplete",
    "Noop",
    "Quit",
    "RcptTo",
    "Reply",
    "Reset",
    "StartTLSCommand",
    "Verify",
]

HelloCommand = Literal["EHLO", "HELO", "LHLO"]


class Command(Event):
    """Base of the events that are SMTP commands (client to server)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """Server side: a client has connected and is waiting for the greeting.

    Answer with a 220 reply (``conn.accept()``) or refuse service with 554 (RFC 5321 3.1).
    """


@dataclass(frozen=True, slots=True)
class Hello(Command):
    """``EHLO``, ``HELO`` or (LMTP) ``LHLO`` with the client's name for itself.

    :param command: ``"EHLO"``, ``"HELO"`` or ``"LHLO"``.
    :param domain: the argument as sent: a domain or an address literal such as ``[192.0.2.1]``.
    """

    command: HelloCommand
    domain: str

    @property
    def extended(self) -> bool:
        """``True`` for EHLO and LHLO, which ask for the extension list."""
        return self.command != "HELO"


@dataclass(frozen=True, slots=True)
class MailFrom(Command):
    """``MAIL FROM:<reverse-path> [parameters]``.

    :param reverse_path: the mailbox between the angle brackets (``""`` for the null path
        ``<>``); a source route, which RFC 5321 says to ignore, is dropped.
    :param params: the ESMTP parameters, keywords upper-cased, in the order sent; a keyword
        without ``=value`` maps to ``None``.
    """

    reverse_path: str
    params: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RcptTo(Command):
    """``RCPT TO:<forward-path> [parameters]``.

    :param forward_path: the mailbox between the angle brackets (source route dropped), or
        ``Postmaster`` for the bare ``<Postmaster>`` form.
    :param params: the ESMTP parameters, as for :class:`MailFrom`.
    """

    forward_path: str
    params: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Data(Command):
    """``DATA``: the client wants to send the message content (after a 354 reply)."""


@dataclass(frozen=True, slots=True)
class Bdat(Command):
    """``BDAT size [LAST]`` (RFC 3030): a chunk of exactly ``size`` octets follows the command.

    On a client, send the chunk's bytes as :class:`DataChunk` events after this one. A server
    returns this event before the chunk's :class:`DataChunk` events; it needs no reply yet.
    """

    size: int
    last: bool = False


@dataclass(frozen=True, slots=True)
class Reset(Command):
    """``RSET``: abort the mail transaction in progress."""


@dataclass(frozen=True, slots=True)
class Verify(Command):
    """``VRFY string``."""

    argument: str


@dataclass(frozen=True, slots=True)
class Expand(Command):
    """``EXPN string``."""

    argument: str


@dataclass(frozen=True, slots=True)
class Help(Command):
    """``HELP [string]``."""

    argument: str = ""


@dataclass(frozen=True, slots=True)
class Noop(Command):
    """``NOOP [string]``."""

    argument: str = ""


@dataclass(frozen=True, slots=True)
class Quit(Command):
    """``QUIT``."""


@dataclass(frozen=True, slots=True)
class StartTLSCommand(Command):
    """``STARTTLS`` (RFC 3207). Not to be confused with :class:`mailproto.StartTLS`, the
    connection's signal that the transport must now be upgraded."""


@dataclass(frozen=True, slots=True)
class Auth(Command):
    """``AUTH mechanism [initial-response]`` (RFC 4954).

    :param mechanism: the SASL mechanism name, upper-cased.
    :param initial_response: the decoded initial response (``b""`` is sent as ``=``), or
        ``None`` when the command carries none.
    """

    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True, slots=True)
class AuthResponse(Command):
    """A client's answer to a 334 challenge during AUTH.

    :param data: the decoded response.
    :param cancel: ``True`` to send ``*`` and abandon the exchange (``data`` is ignored).
    """

    data: bytes = b""
    cancel: bool = False


@dataclass(frozen=True, slots=True)
class AuthResult(Event):
    """Server side: the SASL exchange of an AUTH command has ended.

    Answer with a reply: ``conn.accept()`` sends ``235 2.7.0`` when :attr:`success` is true and
    ``535 5.7.8`` otherwise. The application may still refuse a successful exchange (for
    example when the authorisation identity is not allowed) by sending its own 535.

    :param mechanism: the mechanism used.
    :param success: whether the credentials were verified.
    :param authcid: the authentication identity (``""`` when the exchange failed early).
    :param authzid: the authorisation identity requested (``""`` for none).
    :param reason: why the exchange failed (``""`` on success).
    :param cancelled: the client cancelled the exchange with ``*`` (answered 501 by default).
    """

    mechanism: str
    success: bool
    authcid: str = ""
    authzid: str = ""
    reason: str = ""
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class DataChunk(Event):
    """A piece of the message content, in order.

    A client sends these after :class:`Data` (they are dot-stuffed on the way out) or after
    :class:`Bdat` (sent as they are). A server returns them as the content arrives, unstuffed,
    so a message never has to be held in memory whole.
    """

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfData(Event):
    """Client side: the message content sent after :class:`Data` is complete."""


@dataclass(frozen=True, slots=True)
class ChunkComplete(Event):
    """Server side: a non-final BDAT chunk has been received whole; answer it (250 by default).

    :param size: the chunk's size in octets.
    """

    size: int


@dataclass(frozen=True, slots=True)
class MessageComplete(Event):
    """Server side: the whole message has arrived; answer with the message's verdict.

    On an LMTP server, answer with one reply per accepted recipient, in order (``conn.accept()``
    sends them all).

    :param reverse_path: the transaction's sender.
    :param recipients: the accepted recipients, in the order they were accepted.
    :param size: the message size in octets (after dot-unstuffing).
    :param mail_params: the parameters of the MAIL command (BODY, SMTPUTF8, RET, ENVID, ...).
    :param rcpt_params: the parameters of each accepted RCPT, parallel to :attr:`recipients`.
    """

    reverse_path: str
    recipients: tuple[str, ...]
    size: int
    mail_params: Mapping[str, str | None] = field(default_factory=dict)
    rcpt_params: tuple[Mapping[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Reply(Event):
    """A server reply: a three-digit code, one or more lines of text, an enhanced status.

    :param code: the reply code, 200 to 599 (or 354/334 for intermediate replies).
    :param lines: the text lines, without the code, the separator and the enhanced status.
        A reply always has at least one line (it may be ``""``).
    :param enhanced_status: the RFC 3463 code such as ``"2.1.0"``, written at the start of
        every line, or ``None``.
    """

    code: int
    lines: tuple[str, ...] = ("",)
    enhanced_status: str | None = None

    @classmethod
    def of(cls, code: int, text: str = "", enhanced_status: str | None = None) -> Reply:
        """Build a reply from text whose lines are separated by ``\\n``."""
        return cls(code, tuple(text.split("\n")), enhanced_status)

    @property
    def text(self) -> str:
        """The lines joined with ``\\n``."""
        return "\n".join(self.lines)

    @property
    def is_positive(self) -> bool:
        """2xx: the command succeeded."""
        return 200 <= self.code < 300

    @property
    def is_intermediate(self) -> bool:
        """3xx: go on (354 after DATA, 334 during AUTH)."""
        return 300 <= self.code < 400

    @property
    def is_transient(self) -> bool:
        """4xx: failed, may succeed later."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """5xx: failed, do not retry as is."""
        return 500 <= self.code < 600
