"""The events of POP3: one frozen dataclass per command, per reply, and per request to the app.

Commands (:class:`Command` subclasses) travel from client to server: a client ``send``-s a
:class:`Retr` and the server's ``next_event`` returns an equal :class:`Retr`... or, for the
commands the server connection answers by itself, nothing at all (see :mod:`mailproto.pop3`).

Replies (:class:`Reply` subclasses) travel from server to client: the server application
``send``-s them and the client's ``next_event`` returns equal events. A multi-line message
(``RETR``, ``TOP``) travels as :class:`MessageStart`, any number of :class:`MessageData` chunks
(unstuffed message bytes) and :class:`MessageEnd`.

:class:`ServerRequest` subclasses exist only between a server connection and its application:
they ask for what only the application knows (open this maildrop, give me message 3, delete
these messages now).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from ..connection import Event
from ..sasl import Secret

__all__ = [
    "Apop",
    "Auth",
    "AuthCancel",
    "AuthChallenge",
    "AuthResponse",
    "Capa",
    "Capabilities",
    "Capability",
    "Command",
    "Dele",
    "Err",
    "Greeting",
    "Lang",
    "LangListing",
    "List",
    "Maildrop",
    "MessageData",
    "MessageEnd",
    "MessageStart",
    "Noop",
    "Ok",
    "OpenMaildrop",
    "Pass",
    "Quit",
    "Reply",
    "Retr",
    "RetrieveMessage",
    "Rset",
    "ScanLine",
    "ScanListing",
    "ServerRequest",
    "Stat",
    "StatReply",
    "Stls",
    "Top",
    "Uidl",
    "UidLine",
    "UidListing",
    "Update",
    "User",
    "Utf8",
]


class Command(Event):
    """Base of the events that are POP3 commands (client to server)."""

    __slots__ = ()


class Reply(Event):
    """Base of the events that are POP3 replies (server to client)."""

    __slots__ = ()


class ServerRequest(Event):
    """Base of the events a server connection gives its application to answer."""

    __slots__ = ()


# -- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User(Command):
    """``USER name`` (RFC 1939 section 7)."""

    name: str


@dataclass(frozen=True, slots=True)
class Pass(Command):
    """``PASS password``; the password travels as a :class:`~mailproto.sasl.Secret`.

    The server connection checks it through its :class:`~mailproto.sasl.Authenticator` and does
    not hand this event to the application.
    """

    password: Secret


@dataclass(frozen=True, slots=True)
class Apop(Command):
    """``APOP name digest``: the MD5 of the greeting's timestamp and the shared secret."""

    name: str
    digest: str

    @classmethod
    def compute(cls, name: str, timestamp: str, password: str | Secret) -> Apop:
        """Build the command from the greeting's timestamp (``<...>``) and the password."""
        secret = password.reveal() if isinstance(password, Secret) else password
        return cls(name, apop_digest(timestamp, secret))


def apop_digest(timestamp: str, password: str) -> str:
    """The lower-case hex MD5 digest APOP sends (RFC 1939 section 7)."""
    data = (timestamp + password).encode("utf-8")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Auth(Command):
    """``AUTH mechanism [initial-response]`` (RFC 5034); the response is decoded bytes.

    ``initial_response=b""`` is an empty initial response (sent as ``=``); ``None`` is none.
    """

    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True, slots=True)
class AuthResponse(Command):
    """A client's answer to an :class:`AuthChallenge` (decoded bytes)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AuthCancel(Command):
    """The client abandons an AUTH exchange (the ``*`` line)."""


@dataclass(frozen=True, slots=True)
class Stat(Command):
    """``STAT``: how many messages, how many octets."""


@dataclass(frozen=True, slots=True)
class List(Command):
    """``LIST [msg]``: the size of one message, or of every message not deleted."""

    msg: int | None = None


@dataclass(frozen=True, slots=True)
class Retr(Command):
    """``RETR msg``: the whole message."""

    msg: int


@dataclass(frozen=True, slots=True)
class Dele(Command):
    """``DELE msg``: mark the message deleted (it goes only when the session ends with QUIT)."""

    msg: int


@dataclass(frozen=True, slots=True)
class Noop(Command):
    """``NOOP``."""


@dataclass(frozen=True, slots=True)
class Rset(Command):
    """``RSET``: unmark every message marked deleted."""


@dataclass(frozen=True, slots=True)
class Quit(Command):
    """``QUIT``: in TRANSACTION state this enters UPDATE and deletes the marked messages."""


@dataclass(frozen=True, slots=True)
class Top(Command):
    """``TOP msg n``: the header and the first ``lines`` lines of the body."""

    msg: int
    lines: int


@dataclass(frozen=True, slots=True)
class Uidl(Command):
    """``UIDL [msg]``: the unique id of one message, or of every message not deleted."""

    msg: int | None = None


@dataclass(frozen=True, slots=True)
class Capa(Command):
    """``CAPA`` (RFC 2449): the server's capabilities."""


@dataclass(frozen=True, slots=True)
class Stls(Command):
    """``STLS`` (RFC 2595): start TLS."""


@dataclass(frozen=True, slots=True)
class Utf8(Command):
    """``UTF8`` (RFC 6856): switch the session to UTF-8."""


@dataclass(frozen=True, slots=True)
class Lang(Command):
    """``LANG [tag]`` (RFC 6856): list languages (``tag=None``) or choose one (``*``: default)."""

    tag: str | None = None


# -- replies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Greeting(Reply):
    """The server's first line, ``+OK text [<timestamp>]``.

    :param timestamp: the APOP challenge including its angle brackets, or ``None`` when the
        server does not offer APOP. The server connection takes it as a parameter: the core
        has no clock or random source of its own.
    """

    text: str = "POP3 server ready"
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class Ok(Reply):
    """A single-line ``+OK [CODE] text`` reply."""

    text: str = ""
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Err(Reply):
    """A single-line ``-ERR [CODE] text`` reply; ``code`` is an RFC 2449 response code
    such as ``"IN-USE"``, ``"LOGIN-DELAY"``, ``"SYS/TEMP"``, ``"SYS/PERM"`` or ``"AUTH"``.
    """

    text: str = ""
    code: str | None = None


@dataclass(frozen=True, slots=True)
class StatReply(Reply):
    """``+OK count size``, the answer to STAT."""

    count: int
    size: int


@dataclass(frozen=True, slots=True)
class ScanLine(Reply):
    """``+OK msg size``, the answer to ``LIST msg``."""

    msg: int
    size: int


@dataclass(frozen=True, slots=True)
class ScanListing(Reply):
    """The multi-line answer to ``LIST``: ``(msg, size)`` pairs."""

    entries: tuple[tuple[int, int], ...]
    text: str = ""


@dataclass(frozen=True, slots=True)
class UidLine(Reply):
    """``+OK msg uid``, the answer to ``UIDL msg``."""

    msg: int
    uid: str


@dataclass(frozen=True, slots=True)
class UidListing(Reply):
    """The multi-line answer to ``UIDL``: ``(msg, uid)`` pairs."""

    entries: tuple[tuple[int, str], ...]
    text: str = ""


@dataclass(frozen=True, slots=True)
class Capability:
    """One line of a CAPA answer: a name and its arguments (``SASL PLAIN LOGIN``)."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Capabilities(Reply):
    """The multi-line answer to CAPA."""

    capabilities: tuple[Capability, ...]
    text: str = "Capability list follows"

    def has(self, name: str) -> bool:
        """Whether the capability ``name`` (any case) is listed."""
        wanted = name.upper()
        return any(cap.name.upper() == wanted for cap in self.capabilities)

    def args(self, name: str) -> tuple[str, ...]:
        """The arguments of capability ``name`` (``()`` if absent or without arguments)."""
        wanted = name.upper()
        for cap in self.capabilities:
            if cap.name.upper() == wanted:
                return cap.args
        return ()


@dataclass(frozen=True, slots=True)
class LangListing(Reply):
    """The multi-line answer to ``LANG`` without argument: ``(tag, description)`` pairs."""

    entries: tuple[tuple[str, str], ...]
    text: str = "Language listing follows:"


@dataclass(frozen=True, slots=True)
class MessageStart(Reply):
    """``+OK text``, the first line of the answer to RETR or TOP; data chunks follow."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class MessageData(Reply):
    """A piece of the message: unstuffed bytes as stored (the server stuffs them)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class MessageEnd(Reply):
    """The end of a RETR or TOP answer (the ``.`` line)."""


@dataclass(frozen=True, slots=True)
class AuthChallenge(Reply):
    """``+ base64``: a SASL challenge (decoded bytes) during AUTH."""

    data: bytes


# -- what a server asks its application ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenMaildrop(ServerRequest):
    """The client logged in: lock and list the maildrop.

    Answer with :class:`Maildrop`, or with :class:`Err` (code ``"IN-USE"`` when the maildrop is
    locked, ``"LOGIN-DELAY"``, ``"SYS/TEMP"``, ``"AUTH"`` for wrong credentials...), which
    leaves the session in AUTHORIZATION.

    When the server connection has an :class:`~mailproto.sasl.Authenticator`, it has checked
    the credentials already (``verified`` is ``True``). Without one, the application checks
    them: ``password`` holds what USER/PASS sent, or ``digest`` and ``timestamp`` what APOP
    sent, and :meth:`check_password` compares either with the real password. An ``Err``
    answer to an unverified login counts as a failed login.

    :param username: the user (the authorization identity when AUTH gave one).
    :param mechanism: ``"USER"``, ``"APOP"`` or ``"AUTH"``.
    """

    username: str
    mechanism: str
    verified: bool = True
    password: Secret | None = None
    digest: str | None = None
    timestamp: str | None = None

    def check_password(self, password: str | Secret) -> bool:
        """Whether ``password`` is what the client proved it knows (constant-time compare)."""
        plain = password.reveal() if isinstance(password, Secret) else password
        if self.password is not None:
            return hmac.compare_digest(self.password.reveal().encode(), plain.encode())
        if self.digest is not None and self.timestamp is not None:
            return hmac.compare_digest(apop_digest(self.timestamp, plain), self.digest)
        return self.verified


@dataclass(frozen=True, slots=True)
class Maildrop(ServerRequest):
    """The application's answer to :class:`OpenMaildrop`: the messages it holds.

    :param sizes: the size in octets of each message, in order (message 1 first), counted as
        sent on the wire (with CRLF line endings, before dot-stuffing).
    :param uids: the unique ids (``UIDL``) of the messages, or ``None`` if UIDL is not offered.
    :param text: the ``+OK`` text; by default ``"<user>'s maildrop has N messages (M octets)"``.
    """

    sizes: tuple[int, ...]
    uids: tuple[str, ...] | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class RetrieveMessage(ServerRequest):
    """RETR or TOP: send the message.

    Answer with :class:`MessageStart`, :class:`MessageData` chunks of the whole message as
    stored and :class:`MessageEnd` (the connection stuffs the dots and, for TOP, cuts the
    message after ``top_lines`` lines of body), or with :class:`Err`.

    :param top_lines: ``None`` for RETR, the line count for TOP.
    """

    msg: int
    size: int
    uid: str | None
    top_lines: int | None = None


@dataclass(frozen=True, slots=True)
class Update(ServerRequest):
    """QUIT in TRANSACTION state: delete these messages now, then the session ends.

    Answer with :class:`Ok` (the sign-off) or :class:`Err` (code ``"SYS/TEMP"``...) if some
    could not be removed. A connection that drops without QUIT never produces this event.
    """

    deleted: tuple[int, ...]
    uids: tuple[str, ...] | None = None
    remaining: int = 0
