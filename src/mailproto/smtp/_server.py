"""The server side of SMTP (RFC 5321) and LMTP (RFC 2033) as a sans-I/O state machine."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from .._buffer import BLOCK_END, BareLineEndings, ReceiveBuffer
from ..connection import NEED_DATA, BaseConnection, ConnectionClosed, Event, Role, Sentinel
from ..errors import ErrorKind, LocalProtocolError, RemoteProtocolError, SASLError
from ..sasl import (
    Authenticator,
    Challenge,
    SASLCancelled,
    ServerMechanism,
    Success,
    server_mechanism,
)
from ._events import (
    Auth,
    AuthResult,
    Bdat,
    ChunkComplete,
    Command,
    Connected,
    Data,
    DataChunk,
    Expand,
    Hello,
    Help,
    MailFrom,
    MessageComplete,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    StartTLSCommand,
    Verify,
)
from ._parse import decode_base64, parse_command
from ._serialize import serialize_reply
from ._state import SERVER_TIMEOUT, ServerState

__all__ = ["DEFAULT_AUTO_REPLY", "DEFAULT_EXTENSIONS", "LmtpServer", "SmtpServer"]

#: The extensions a server offers unless told otherwise (STARTTLS and AUTH are added when
#: configured, REQUIRETLS only inside TLS).
DEFAULT_EXTENSIONS: Final = (
    "PIPELINING",
    "SIZE",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "DSN",
    "CHUNKING",
    "BINARYMIME",
    "REQUIRETLS",
)

#: Commands the server answers itself by default; it still returns their events, already
#: answered, so the application sees everything the client said.
DEFAULT_AUTO_REPLY: Final[frozenset[type[Command]]] = frozenset(
    {Noop, Reset, Help, Verify, Expand, Quit}
)

_BODY_VALUES: Final = frozenset({"7BIT", "8BITMIME", "BINARYMIME"})
_NOTIFY_VALUES: Final = frozenset({"SUCCESS", "FAILURE", "DELAY"})


_XTEXT_RE: Final = re.compile(r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+")
_KEYWORD_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")


def _is_xtext(value: str) -> bool:
    """RFC 3461 xtext (UTF-8 is let through for SMTPUTF8's utf-8-addr-xtext, RFC 6533)."""
    return not value.isascii() or _XTEXT_RE.fullmatch(value) is not None


def _has_non_ascii(params: Mapping[str, str | None]) -> bool:
    return any(v is not None and not v.isascii() for v in params.values())


# Enum members the hot paths use, as module names (see "Speed" in docs/design.rst).
_AUTH: Final = ServerState.AUTH
_BDAT: Final = ServerState.BDAT
_BDAT_OPEN: Final = ServerState.BDAT_OPEN
_CONNECTED: Final = ServerState.CONNECTED
_DATA: Final = ServerState.DATA
_GREETED: Final = ServerState.GREETED
_MAIL: Final = ServerState.MAIL
_PROXY: Final = ServerState.PROXY
_RCPT: Final = ServerState.RCPT
_READY: Final = ServerState.READY


class SmtpServer(BaseConnection):
    """A server connection: reads commands, returns events, sends the application's replies.

    The application answers every event that asks for a decision (:class:`Connected`,
    :class:`Hello`, :class:`MailFrom`, :class:`RcptTo`, :class:`Data`, :class:`ChunkComplete`,
    :class:`MessageComplete`, :class:`StartTLSCommand`, :class:`AuthResult`, and errors) with a
    :class:`Reply`, or with :meth:`accept` / :meth:`reject` for sensible defaults. Whether a reply
    is owed is :attr:`awaiting_reply`. The server answers by itself what needs no decision:
    commands in ``auto_reply`` (NOOP, RSET, HELP, VRFY, EXPN and QUIT by default, still returned
    as events), commands out of sequence (503), malformed commands (500/501), SASL challenges.

    Message content arrives as :class:`DataChunk` events, never held whole.

    :param hostname: the name the server gives in its greeting and EHLO reply.
    :param lmtp: speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, and one reply per accepted
        recipient after the message.
    :param extensions: the extensions to offer (see :data:`DEFAULT_EXTENSIONS`).
    :param starttls: offer STARTTLS (the driver must be able to upgrade).
    :param tls_active: the connection is already inside TLS (implicit TLS, port 465).
    :param authenticator: a :class:`mailproto.sasl.Authenticator`; AUTH is offered with it.
    :param auth_mechanisms: the SASL mechanisms to offer.
    :param auth_requires_tls: offer AUTH only inside TLS (538 before).
    :param proxy_protocol: expect a PROXY protocol v1/v2 header first; its
        :class:`mailproto.proxy.ProxyInfo` is the first event.
    :param auto_reply: the command classes the server answers itself.
    :param bare_line_endings: the policy for bare CR or LF in DATA (reject by default).
    :param max_command_length: the longest command line, CRLF excluded (AUTH lines may reach
        ``max_auth_line_length``).
    :param max_auth_line_length: the longest AUTH command or SASL response line (RFC 4954
        allows 12288 octets).
    :param max_text_line_length: the longest line of message content after DATA (RFC 5321:
        998), or ``None`` for no limit.
    :param max_message_size: the SIZE limit in octets.
    :param max_recipients: recipients accepted per message; the next ones get 452.
    :param max_bad_commands: bad commands tolerated before the server answers 421 and closes
        (refusals a correct client can meet, such as 452 past ``max_recipients``, do not count).
    :param max_buffer_size: the most unprocessed bytes (pipelined commands) held.
    :param random_bytes: source of randomness for SASL nonces.
    """

    def __init__(
        self,
        *,
        hostname: str = "localhost",
        lmtp: bool = False,
        extensions: Collection[str] = DEFAULT_EXTENSIONS,
        starttls: bool = False,
        tls_active: bool = False,
        authenticator: Authenticator | None = None,
        auth_mechanisms: Collection[str] = ("PLAIN", "LOGIN"),
        auth_requires_tls: bool = True,
        proxy_protocol: bool = False,
        auto_reply: Collection[type[Command]] = DEFAULT_AUTO_REPLY,
        bare_line_endings: BareLineEndings = BareLineEndings.REJECT,
        max_command_length: int = 2048,
        max_auth_line_length: int = 12288,
        max_text_line_length: int | None = 998,
        max_message_size: int = 50 * 1024 * 1024,
        max_recipients: int = 100,
        max_bad_commands: int = 10,
        max_buffer_size: int = 1 << 20,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__(
            Role.SERVER,
            ReceiveBuffer(
                max_line_length=max(max_command_length, max_auth_line_length),
                max_buffer_size=max_buffer_size,
            ),
        )
        self.hostname = hostname
        self.lmtp = lmtp
        self.extensions = tuple(e.upper() for e in extensions)
        self.starttls = starttls
        self.authenticator = authenticator
        self.auth_mechanisms = tuple(m.upper() for m in auth_mechanisms)
        self.auth_requires_tls = auth_requires_tls
        self.auto_reply = frozenset(auto_reply)
        self.bare_line_endings = bare_line_endings
        self.max_command_length = max_command_length
        self.max_text_line_length = max_text_line_length
        self.max_message_size = max_message_size
        self.max_recipients = max_recipients
        self.max_bad_commands = max_bad_commands
        self._random_bytes = random_bytes
        self._tls_active = tls_active
        self._esc = "ENHANCEDSTATUSCODES" in self.extensions
        self._state = ServerState.PROXY if proxy_protocol else ServerState.CONNECTED
        self._pending: Event | RemoteProtocolError | None = None
        self._replies_owed = 0
        self._connected_sent = False
        self._refused = False
        self._hello: Hello | None = None
        self._mail: MailFrom | None = None
        self._rcpts: list[RcptTo] = []
        self._size = 0
        self._bdat_left = 0
        self._bdat_last = False
        self._bdat_size = 0
        self._bdat_error: RemoteProtocolError | None = None
        self._bad_commands = 0
        self._authenticated: AuthResult | None = None
        self._sasl: ServerMechanism | None = None
        self._sasl_name = ""
        self._sasl_final: Success | None = None
        self._offered: dict[str, str] | None = None
        # Constant default replies, serialised once: (reply, bytes) by event class.
        self._accept_cache: dict[type, tuple[Reply, bytes]] = {}
        for cls in (
            MailFrom,
            RcptTo,
            Data,
            MessageComplete,
            Noop,
            Reset,
            Help,
            Verify,
            Expand,
            Quit,
            StartTLSCommand,
        ):
            reply = self._default_for(cls.__new__(cls))
            self._accept_cache[cls] = (reply, serialize_reply(reply))
        # Exact command lines the server answers itself, with their reply (the fast path).
        self._auto_lines: dict[bytes, tuple[Command, bytes]] = {}
        for line, command in (
            (b"NOOP", Noop()),
            (b"RSET", Reset()),
            (b"QUIT", Quit()),
            (b"HELP", Help()),
        ):
            if type(command) in self.auto_reply:
                data = self._accept_cache[type(command)][1]
                for form in (line, line.lower(), line.capitalize()):
                    self._auto_lines[form] = (command, data)

    # -- public properties ----------------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        """Where the session is (see :class:`ServerState`)."""
        return self._state

    @property
    def read_timeout(self) -> float | None:
        """RFC 5321 4.5.3.2.7: at least five minutes for the next command or data."""
        return SERVER_TIMEOUT

    @property
    def awaiting_reply(self) -> bool:
        """``True`` while the last event returned still needs the application's reply."""
        return self._pending is not None

    @property
    def between_commands(self) -> bool:
        """As for every connection, and not in the middle of a BDAT chunk's octets."""
        return super().between_commands and self._state is not ServerState.BDAT

    def _on_buffer_full(self, error: RemoteProtocolError) -> None:
        if self._pending is None and self._state is not ServerState.CLOSED:
            text = f"{self.hostname} too much unread input, closing"
            error.reply = self._reply(421, text, "4.5.0")
            self._fail(error, bad=False)

    @property
    def replies_owed(self) -> int:
        """How many replies the application still owes (more than one only for an LMTP
        message, which is answered once per accepted recipient)."""
        return self._replies_owed if self._pending is not None else 0

    def default_replies(self) -> list[Reply]:
        """The replies :meth:`accept` would send: ``default_reply()`` once per reply owed."""
        return [self.default_reply()] * self.replies_owed

    @property
    def hello(self) -> Hello | None:
        """The client's EHLO/HELO/LHLO, once accepted."""
        return self._hello

    @property
    def authenticated(self) -> AuthResult | None:
        """The successful :class:`AuthResult` once the client has authenticated."""
        return self._authenticated

    @property
    def mail_from(self) -> MailFrom | None:
        """The accepted MAIL command of the transaction in progress."""
        return self._mail

    @property
    def recipients(self) -> tuple[RcptTo, ...]:
        """The accepted RCPT commands of the transaction in progress."""
        return tuple(self._rcpts)

    def offered_extensions(self) -> dict[str, str]:
        """The extensions the EHLO reply lists now: keyword to parameters."""
        if self._offered is not None:
            return self._offered
        offered: dict[str, str] = {}
        for ext in self.extensions:
            if ext == "SIZE":
                offered[ext] = str(self.max_message_size)
            elif ext == "REQUIRETLS":
                if self._tls_active:
                    offered[ext] = ""
            elif ext == "BINARYMIME":
                if "CHUNKING" in self.extensions:
                    offered[ext] = ""
            elif ext not in ("STARTTLS", "AUTH"):
                offered[ext] = ""
        if self.starttls and not self._tls_active:
            offered["STARTTLS"] = ""
        if self._auth_offered():
            offered["AUTH"] = " ".join(self.auth_mechanisms)
        self._offered = offered
        return offered

    def _auth_offered(self) -> bool:
        return (
            self.authenticator is not None
            and bool(self.auth_mechanisms)
            and self._authenticated is None
            and (self._tls_active or not self.auth_requires_tls)
        )

    # -- replies --------------------------------------------------------------------------------

    def _reply(self, code: int, text: str, status: str | None = None) -> Reply:
        return Reply(code, tuple(text.split("\n")), status if self._esc else None)

    def default_reply(self) -> Reply:
        """The reply :meth:`accept` would send for the event awaiting one."""
        pending = self._pending
        if pending is None:
            raise LocalProtocolError("no event is waiting for a reply")
        return self._default_for(pending)

    def _default_for(self, pending: Event | RemoteProtocolError) -> Reply:
        host = self.hostname
        if isinstance(pending, RemoteProtocolError):
            if isinstance(pending.reply, Reply):
                return self._reply(
                    pending.reply.code, pending.reply.text, pending.reply.enhanced_status
                )
            return self._reply(500, "Syntax error", "5.5.2")
        if isinstance(pending, Connected):
            return Reply(220, (f"{host} {'LMTP' if self.lmtp else 'ESMTP'} ready",))
        if isinstance(pending, Hello):
            if not pending.extended:
                return Reply(250, (host,))
            lines = [host]
            for key, params in self.offered_extensions().items():
                lines.append(f"{key} {params}" if params else key)
            return Reply(250, tuple(lines))
        if isinstance(pending, MailFrom):
            return self._reply(250, "OK", "2.1.0")
        if isinstance(pending, RcptTo):
            return self._reply(250, "OK", "2.1.5")
        if isinstance(pending, Data):
            return Reply(354, ("End data with <CR><LF>.<CR><LF>",))
        if isinstance(pending, MessageComplete):
            return self._reply(250, "OK", "2.0.0")
        if isinstance(pending, ChunkComplete):
            return self._reply(250, f"{pending.size} octets received", "2.0.0")
        if isinstance(pending, StartTLSCommand):
            return self._reply(220, "Ready to start TLS", "2.0.0")
        if isinstance(pending, AuthResult):
            if pending.success:
                return self._reply(235, "Authentication successful", "2.7.0")
            if pending.cancelled:
                return self._reply(501, "Authentication cancelled", "5.7.0")
            return self._reply(535, "Authentication credentials invalid", "5.7.8")
        if isinstance(pending, Quit):
            return self._reply(221, f"{host} closing connection", "2.0.0")
        if isinstance(pending, Noop | Reset):
            return self._reply(250, "OK", "2.0.0")
        if isinstance(pending, Help):
            return self._reply(214, "See RFC 5321", "2.0.0")
        if isinstance(pending, Verify):
            return self._reply(
                252, "Cannot VRFY user, but will accept message and attempt delivery", "2.5.2"
            )
        if isinstance(pending, Expand):
            return self._reply(502, "EXPN not available", "5.5.1")
        raise LocalProtocolError(f"no default reply for {pending!r}")  # pragma: no cover

    def _refusal_for(self, pending: Event | RemoteProtocolError) -> Reply:
        if isinstance(pending, Connected):
            return Reply(554, (f"{self.hostname} no service here",))
        if isinstance(pending, MailFrom):
            return self._reply(550, "Sender rejected", "5.7.1")
        if isinstance(pending, RcptTo):
            return self._reply(550, "Mailbox unavailable", "5.1.1")
        if isinstance(pending, MessageComplete | ChunkComplete | Data):
            return self._reply(554, "Transaction failed", "5.6.0")
        if isinstance(pending, StartTLSCommand):
            return self._reply(454, "TLS not available", "4.7.0")
        if isinstance(pending, AuthResult):
            return self._reply(535, "Authentication credentials invalid", "5.7.8")
        if isinstance(pending, Hello):
            return self._reply(550, "Not accepted", "5.7.1")
        return self._default_for(pending)

    def accept(self) -> None:
        """Send the default positive reply to the event awaiting one (all of them, for LMTP)."""
        pending = self._pending
        if pending is None:
            raise LocalProtocolError("no event is waiting for a reply")
        cached = self._accept_cache.get(type(pending))
        if cached is not None:
            reply, data = cached
            for _ in range(max(self._replies_owed, 1)):
                self._write(data)
                self._after_reply(pending, reply)
            return
        reply = self.default_reply()
        for _ in range(max(self._replies_owed, 1)):
            self.send(reply)

    def reject(
        self, code: int | None = None, text: str | None = None, enhanced_status: str | None = None
    ) -> None:
        """Refuse the event awaiting a reply, with a default refusal or the given one."""
        pending = self._pending
        if pending is None:
            raise LocalProtocolError("no event is waiting for a reply")
        reply = self._refusal_for(pending)
        if code is not None:
            reply = Reply(code, reply.lines, enhanced_status)
        elif enhanced_status is not None:
            reply = Reply(reply.code, reply.lines, enhanced_status)
        if text is not None:
            reply = Reply(reply.code, tuple(text.split("\n")), reply.enhanced_status)
        for _ in range(max(self._replies_owed, 1)):
            self.send(reply)

    def send(self, event: Event) -> None:
        """Send the reply to the event awaiting one.

        :raises LocalProtocolError: if ``event`` is not a :class:`Reply`, no reply is owed, or the
            code makes no sense for the command (354 only after DATA, 220 as greeting...).
        """
        if not isinstance(event, Reply):
            raise LocalProtocolError(f"a server sends Reply events, not {type(event).__name__}")
        pending = self._pending
        if pending is None:
            raise LocalProtocolError("no command is waiting for a reply")
        code = event.code
        if 300 <= code < 400 and not (code == 354 and isinstance(pending, Data)):
            raise LocalProtocolError(f"a {code} reply does not answer {pending!r}")
        if isinstance(pending, Data) and 200 <= code < 300:
            raise LocalProtocolError("DATA is accepted with 354, not 2xx")
        data = serialize_reply(event)
        self._write(data)
        self._after_reply(pending, event)

    def _after_reply(self, pending: Event | RemoteProtocolError, reply: Reply) -> None:
        code = reply.code
        ok = 200 <= code < 300
        self._replies_owed -= 1
        if self._replies_owed > 0:
            return
        self._pending = None
        if isinstance(pending, RemoteProtocolError):
            if pending.fatal:
                self._close_session()
        elif isinstance(pending, Connected):
            if code == 554:
                self._refused = True
                # Only QUIT is answered from now on (503 for the rest, in _dispatch).
                self._auto_lines = {
                    line: entry
                    for line, entry in self._auto_lines.items()
                    if type(entry[0]) is Quit
                }
            self._state = ServerState.GREETED
        elif isinstance(pending, Hello):
            if ok:
                self._hello = pending
                self._end_transaction()
        elif isinstance(pending, MailFrom):
            if ok:
                self._mail = pending
                self._rcpts = []
                self._size = 0
                self._state = ServerState.MAIL
        elif isinstance(pending, RcptTo):
            if ok:
                self._rcpts.append(pending)
                self._state = ServerState.RCPT
        elif isinstance(pending, Data):
            if code == 354:
                self._state = ServerState.DATA
                self._size = 0
                self._buffer.begin_block(
                    bare_line_endings=self.bare_line_endings,
                    max_size=self.max_message_size,
                    max_line_length=self.max_text_line_length,
                )
        elif isinstance(pending, MessageComplete):
            self._end_transaction()
        elif isinstance(pending, ChunkComplete):
            if ok:
                self._state = ServerState.BDAT_OPEN
            else:
                self._end_transaction()
        elif isinstance(pending, StartTLSCommand):
            if code == 220:
                self._hello = None
                self._authenticated = None
                self._offered = None
                self._mail = None
                self._rcpts = []
                self._state = ServerState.TLS
                self._begin_tls()
        elif isinstance(pending, AuthResult):
            if code == 235:
                self._authenticated = pending
                self._offered = None
        elif isinstance(pending, Quit):
            self._close_session()
        if code == 421:
            self._close_session()

    def _close_session(self) -> None:
        self._state = ServerState.CLOSED
        self._close()

    def _end_transaction(self) -> None:
        self._mail = None
        self._rcpts = []
        self._size = 0
        self._state = ServerState.READY if self._hello is not None else ServerState.GREETED

    def tls_started(self) -> None:
        """The driver has upgraded the transport: the session starts over (RFC 3207)."""
        super().tls_started()
        self._offered = None
        if self._state is ServerState.TLS:
            self._state = ServerState.GREETED

    # -- reading --------------------------------------------------------------------------------

    def _owe(self, event: Event | RemoteProtocolError, count: int = 1) -> None:
        self._pending = event
        self._replies_owed = count

    def _message_reply_count(self) -> int:
        return len(self._rcpts) if self.lmtp else 1

    def _fail(
        self, exc: RemoteProtocolError, *, count: int = 1, bad: bool | None = None
    ) -> RemoteProtocolError:
        """Record a peer error as owing its reply and return it for raising.

        ``bad`` says whether it counts towards ``max_bad_commands``; by default everything does
        except refusals of a well-formed request for its size (452 too many recipients, 552)
        and a message refused for its content, which a correct client can meet.
        """
        if bad is None:
            bad = exc.kind not in (ErrorKind.TOO_BIG, ErrorKind.BARE_LINE_ENDING)
        if bad:
            self._bad_commands += 1
        if bad and self._bad_commands > self.max_bad_commands and not exc.fatal:
            exc = RemoteProtocolError(
                f"{exc.message} (more than {self.max_bad_commands} errors)",
                kind=ErrorKind.TOO_MANY_ERRORS,
                limit=self.max_bad_commands,
                reply=self._reply(421, f"{self.hostname} too many errors, closing", "4.7.0"),
                fatal=True,
            )
            count = 1
        elif isinstance(exc.reply, Reply) and exc.reply.enhanced_status and not self._esc:
            exc.reply = Reply(exc.reply.code, exc.reply.lines, None)
        self._owe(exc, count)
        return exc

    def _error(
        self,
        message: str,
        code: int,
        status: str,
        text: str,
        kind: ErrorKind = ErrorKind.BAD_SEQUENCE,
        *,
        count: int = 1,
        fatal: bool = False,
    ) -> RemoteProtocolError:
        exc = RemoteProtocolError(
            message, kind=kind, reply=Reply(code, (text,), status), fatal=fatal
        )
        return self._fail(exc, count=count)

    def _on_eof(self) -> Event:
        if self._state in (ServerState.DATA, ServerState.BDAT):
            raise RemoteProtocolError(
                "the client closed the connection in the middle of a message",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        if self._state is ServerState.CLOSED:
            return ConnectionClosed()
        return super()._on_eof()

    def _next_event(self) -> Event | Sentinel:
        if self._pending is not None:
            raise LocalProtocolError(f"reply to {self._pending!r} before asking for the next event")
        state = self._state
        if (
            state is not _READY
            and state is not _RCPT
            and state is not _MAIL
            and state is not _GREETED
            and state is not _BDAT_OPEN
            and state is not _AUTH
        ):
            if state is _DATA:
                return self._read_data()
            if state is _BDAT:
                return self._read_bdat()
            if state is _CONNECTED and not self._connected_sent:
                self._connected_sent = True
                event = Connected()
                self._owe(event)
                return event
            if state is _PROXY:
                return self._read_proxy()
            return NEED_DATA  # CLOSED, TLS, or CONNECTED waiting for the greeting
        try:
            line = self._buffer.read_line()
        except RemoteProtocolError as exc:
            raise self._error(
                exc.message, 500, "5.5.2", "Line too long", ErrorKind.LINE_TOO_LONG
            ) from None
        if line is None:
            return NEED_DATA
        auto = self._auto_lines.get(line)
        if auto is not None and state is not _AUTH:
            command, data = auto
            self._write(data)
            if type(command) is Reset:
                self._end_transaction()
            elif type(command) is Quit:
                self._close_session()
            return command
        if state is _AUTH:
            return self._auth_line(line)
        if len(line) > self.max_command_length and not line[:5].upper().startswith(b"AUTH "):
            raise self._error(
                "command line too long", 500, "5.5.2", "Line too long", ErrorKind.LINE_TOO_LONG
            )
        try:
            command = parse_command(line)
        except RemoteProtocolError as exc:
            raise self._fail(exc) from None
        return self._dispatch(command)

    def _read_proxy(self) -> Event | Sentinel:
        from ..proxy import read_proxy_header

        try:
            info = read_proxy_header(self._buffer)
        except RemoteProtocolError as exc:
            exc.fatal = True
            self._state = ServerState.CLOSED
            self._close()
            raise
        if info is None:
            return NEED_DATA
        self._state = ServerState.CONNECTED
        return info

    def _dispatch(self, command: Command) -> Event | Sentinel:
        cls = type(command)
        if self._refused and cls is not Quit:
            raise self._error("service refused", 503, "5.5.1", "Service refused, say QUIT")
        if cls in self.auto_reply:
            self._owe(command)
            self.accept()
            if cls is Reset:
                self._end_transaction()
            return command
        if isinstance(command, Hello):
            return self._on_hello(command)
        if isinstance(command, MailFrom):
            return self._on_mail(command)
        if isinstance(command, RcptTo):
            return self._on_rcpt(command)
        if isinstance(command, Data):
            return self._on_data(command)
        if isinstance(command, Bdat):
            return self._on_bdat(command)
        if isinstance(command, StartTLSCommand):
            return self._on_starttls(command)
        if isinstance(command, Auth):
            return self._on_auth(command)
        if isinstance(command, Reset):
            self._end_transaction()
        self._owe(command)
        return command

    def _on_hello(self, command: Hello) -> Event:
        if self.lmtp != (command.command == "LHLO"):
            text = "Use LHLO" if self.lmtp else "Syntax error, command unrecognized"
            raise self._error(
                f"{command.command} in {'LMTP' if self.lmtp else 'SMTP'}",
                500,
                "5.5.1",
                text,
                ErrorKind.UNKNOWN_COMMAND,
            )
        if self._state in (ServerState.BDAT_OPEN,):
            raise self._error("EHLO between BDAT chunks", 503, "5.5.1", "Bad sequence of commands")
        self._owe(command)
        return command

    def _need_hello(self) -> RemoteProtocolError | None:
        if self._hello is None:
            verb = "LHLO" if self.lmtp else "EHLO/HELO"
            return self._error("command before hello", 503, "5.5.1", f"Send {verb} first")
        return None

    def _on_mail(self, command: MailFrom) -> Event:
        err = self._need_hello()
        if err is not None:
            raise err
        if self._state is not ServerState.READY:
            raise self._error("nested MAIL command", 503, "5.5.1", "Nested MAIL command")
        params = command.params
        extended = self._hello is not None and self._hello.extended
        offered = self.offered_extensions() if extended else {}
        for key, value in params.items():
            problem = self._check_mail_param(key, value, offered)
            if problem is not None:
                raise problem
        utf8 = "SMTPUTF8" in params
        if not utf8 and (not command.reverse_path.isascii() or _has_non_ascii(params)):
            raise self._error(
                "non-ASCII address without SMTPUTF8",
                553,
                "5.6.7",
                "Non-ASCII address requires SMTPUTF8",
                ErrorKind.BAD_PARAMETER,
            )
        self._owe(command)
        return command

    def _param_error(
        self, message: str, code: int = 501, text: str = "Syntax error in parameters"
    ) -> RemoteProtocolError:
        status = "5.5.4"
        if code == 552:
            status = "5.3.4"
        return self._error(message, code, status, text, ErrorKind.BAD_PARAMETER)

    def _check_mail_param(
        self, key: str, value: str | None, offered: Mapping[str, str]
    ) -> RemoteProtocolError | None:
        if key == "SIZE" and "SIZE" in offered:
            if value is None or not value.isdigit() or not value.isascii():
                return self._param_error("bad SIZE value")
            if int(value) > self.max_message_size:
                return self._error(
                    "declared size too big",
                    552,
                    "5.3.4",
                    "Message size exceeds fixed limit",
                    ErrorKind.TOO_BIG,
                )
            return None
        if key == "BODY" and ("8BITMIME" in offered or "BINARYMIME" in offered):
            body = (value or "").upper()
            if body not in _BODY_VALUES:
                return self._param_error("bad BODY value")
            if body != "7BIT" and body not in offered:
                return self._param_error(
                    f"BODY={body} not offered", 555, f"BODY={body} not supported"
                )
            return None
        if key == "SMTPUTF8" and "SMTPUTF8" in offered:
            return None if value is None else self._param_error("SMTPUTF8 takes no value")
        if key in ("RET", "ENVID") and "DSN" in offered:
            if value is None:
                return self._param_error(f"{key} needs a value")
            if key == "RET" and value.upper() not in ("FULL", "HDRS"):
                return self._param_error("bad RET value")
            if key == "ENVID" and (len(value) > 100 or not _is_xtext(value)):
                return self._param_error("bad ENVID value")
            return None
        if key == "AUTH" and ("AUTH" in offered or self._authenticated is not None):
            return None if value is not None else self._param_error("AUTH needs a value")
        if key == "REQUIRETLS" and "REQUIRETLS" in offered:
            return None if value is None else self._param_error("REQUIRETLS takes no value")
        return self._error(
            f"unknown MAIL parameter {key}",
            555,
            "5.5.4",
            f"MAIL parameter {key} not recognized",
            ErrorKind.BAD_PARAMETER,
        )

    def _on_rcpt(self, command: RcptTo) -> Event:
        err = self._need_hello()
        if err is not None:
            raise err
        if self._state not in (ServerState.MAIL, ServerState.RCPT):
            raise self._error("RCPT without MAIL", 503, "5.5.1", "Need MAIL command")
        if len(self._rcpts) >= self.max_recipients:
            raise self._error(
                "too many recipients", 452, "4.5.3", "Too many recipients", ErrorKind.TOO_BIG
            )
        extended = self._hello is not None and self._hello.extended
        dsn = extended and "DSN" in self.offered_extensions()
        for key, value in command.params.items():
            if dsn and key == "NOTIFY":
                words = (value or "").upper().split(",")
                if words != ["NEVER"] and not (words and set(words) <= _NOTIFY_VALUES):
                    raise self._param_error("bad NOTIFY value")
            elif dsn and key == "ORCPT":
                addr_type, _, address = (value or "").partition(";")
                if not _KEYWORD_RE.fullmatch(addr_type) or not address or not _is_xtext(address):
                    raise self._param_error("bad ORCPT value")
            else:
                raise self._error(
                    f"unknown RCPT parameter {key}",
                    555,
                    "5.5.4",
                    f"RCPT parameter {key} not recognized",
                    ErrorKind.BAD_PARAMETER,
                )
        mail = self._mail
        utf8 = mail is not None and "SMTPUTF8" in mail.params
        if not utf8 and (not command.forward_path.isascii() or _has_non_ascii(command.params)):
            raise self._error(
                "non-ASCII address without SMTPUTF8",
                553,
                "5.6.7",
                "Non-ASCII address requires SMTPUTF8",
                ErrorKind.BAD_PARAMETER,
            )
        self._owe(command)
        return command

    def _on_data(self, command: Data) -> Event:
        err = self._need_hello()
        if err is not None:
            raise err
        state = self._state
        if state is ServerState.MAIL:
            raise self._error("DATA without recipients", 554, "5.5.1", "No valid recipients")
        if state is not ServerState.RCPT:
            raise self._error("DATA out of sequence", 503, "5.5.1", "Bad sequence of commands")
        mail = self._mail
        if mail is not None and (mail.params.get("BODY") or "").upper() == "BINARYMIME":
            raise self._error("DATA with BODY=BINARYMIME", 503, "5.5.1", "BINARYMIME requires BDAT")
        self._owe(command)
        return command

    def _on_bdat(self, command: Bdat) -> Event:
        self._bdat_left = command.size
        self._bdat_last = command.last
        self._bdat_size = command.size
        self._bdat_error = None
        state = self._state
        problem: tuple[str, int, str, str, ErrorKind] | None = None
        if "CHUNKING" not in self.extensions:
            problem = (
                "BDAT not offered",
                502,
                "5.5.1",
                "Command not implemented",
                ErrorKind.UNKNOWN_COMMAND,
            )
        elif self._hello is None:
            problem = ("BDAT before hello", 503, "5.5.1", "Send EHLO first", ErrorKind.BAD_SEQUENCE)
        elif state is ServerState.MAIL:
            problem = (
                "BDAT without recipients",
                554,
                "5.5.1",
                "No valid recipients",
                ErrorKind.BAD_SEQUENCE,
            )
        elif state not in (ServerState.RCPT, ServerState.BDAT_OPEN):
            problem = (
                "BDAT out of sequence",
                503,
                "5.5.1",
                "Bad sequence of commands",
                ErrorKind.BAD_SEQUENCE,
            )
        elif self._size + command.size > self.max_message_size:
            problem = (
                "message too big",
                552,
                "5.3.4",
                "Message size exceeds fixed limit",
                ErrorKind.TOO_BIG,
            )
        if problem is not None:
            message, code, status, text, kind = problem
            self._bdat_error = RemoteProtocolError(
                message, kind=kind, reply=Reply(code, (text,), status)
            )
        self._state = ServerState.BDAT
        return command

    def _read_bdat(self) -> Event | Sentinel:
        while self._bdat_left:
            data = self._buffer.read_some(self._bdat_left)
            if not data:
                return NEED_DATA
            self._bdat_left -= len(data)
            if self._bdat_error is None:
                self._size += len(data)
                return DataChunk(data)
        error = self._bdat_error
        if error is not None:
            self._bdat_error = None
            in_message = self._mail is not None and bool(self._rcpts)
            count = self._message_reply_count() if (in_message and self._bdat_last) else 1
            if in_message:
                self._end_transaction()
            else:
                self._state = (
                    ServerState.MAIL
                    if self._mail is not None
                    else ServerState.READY
                    if self._hello is not None
                    else ServerState.GREETED
                )
            raise self._fail(error, count=count)
        if self._bdat_last:
            event: Event = self._message_complete()
            self._owe(event, self._message_reply_count())
        else:
            event = ChunkComplete(self._bdat_size)
            self._owe(event)
        return event

    def _message_complete(self) -> MessageComplete:
        mail = self._mail
        return MessageComplete(
            reverse_path=mail.reverse_path if mail is not None else "",
            recipients=tuple(r.forward_path for r in self._rcpts),
            size=self._size,
            mail_params=dict(mail.params) if mail is not None else {},
            rcpt_params=tuple(dict(r.params) for r in self._rcpts),
        )

    def _read_data(self) -> Event | Sentinel:
        try:
            chunk = self._buffer.read_block()
        except RemoteProtocolError as exc:
            count = self._message_reply_count()
            self._end_transaction()
            if exc.kind is ErrorKind.TOO_BIG:
                reply = Reply(552, ("Message size exceeds fixed limit",), "5.3.4")
            elif exc.kind is ErrorKind.BARE_LINE_ENDING:
                reply = Reply(
                    554, ("Message contains bare CR or LF; lines must end with CRLF",), "5.6.0"
                )
            else:
                reply = Reply(
                    554,
                    (f"Message has lines longer than {self.max_text_line_length} octets",),
                    "5.6.0",
                )
            exc.reply = reply
            raise self._fail(exc, count=count, bad=False) from None
        if chunk is None:
            return NEED_DATA
        if chunk is BLOCK_END:
            event = self._message_complete()
            self._owe(event, self._message_reply_count())
            self._state = ServerState.RCPT
            return event
        self._size += len(chunk)
        return DataChunk(chunk)

    def _on_starttls(self, command: StartTLSCommand) -> Event:
        if not self.starttls or self._tls_active:
            raise self._error(
                "STARTTLS not offered",
                502 if not self.starttls else 503,
                "5.5.1",
                "TLS already active" if self._tls_active else "Command not implemented",
                ErrorKind.UNKNOWN_COMMAND if not self.starttls else ErrorKind.BAD_SEQUENCE,
            )
        if self._state not in (ServerState.GREETED, ServerState.READY):
            raise self._error("STARTTLS in a transaction", 503, "5.5.1", "Bad sequence of commands")
        self._owe(command)
        return command

    # -- AUTH -----------------------------------------------------------------------------------

    def _on_auth(self, command: Auth) -> Event | Sentinel:
        if self.authenticator is None:
            raise self._error(
                "AUTH not offered",
                502,
                "5.5.1",
                "Command not implemented",
                ErrorKind.UNKNOWN_COMMAND,
            )
        if self._hello is None or not self._hello.extended:
            raise self._error("AUTH before EHLO", 503, "5.5.1", "Send EHLO first")
        if self._authenticated is not None:
            raise self._error("AUTH after AUTH", 503, "5.5.1", "Already authenticated")
        if self._state is not ServerState.READY:
            raise self._error("AUTH in a transaction", 503, "5.5.1", "Bad sequence of commands")
        if self.auth_requires_tls and not self._tls_active:
            raise self._error(
                "AUTH without TLS",
                538,
                "5.7.11",
                "Encryption required for authentication",
                ErrorKind.AUTHENTICATION,
            )
        if command.mechanism not in self.auth_mechanisms:
            raise self._error(
                f"unknown mechanism {command.mechanism}",
                504,
                "5.5.4",
                "Unrecognized authentication type",
                ErrorKind.BAD_PARAMETER,
            )
        try:
            mech = server_mechanism(
                command.mechanism,
                self.authenticator,
                hostname=self.hostname,
                random_bytes=self._random_bytes,
            )
        except ValueError:
            raise self._error(
                f"unknown mechanism {command.mechanism}",
                504,
                "5.5.4",
                "Unrecognized authentication type",
                ErrorKind.BAD_PARAMETER,
            ) from None
        self._sasl = mech
        self._sasl_name = command.mechanism
        self._state = ServerState.AUTH
        try:
            result = mech.start(command.initial_response)
        except SASLError as exc:
            return self._auth_done(None, exc)
        return self._auth_step(result)

    def _auth_step(self, result: Challenge | Success) -> Event | Sentinel:
        if isinstance(result, Challenge):
            self._write(b"334 " + base64.b64encode(result.data) + b"\r\n")
            return self._next_event()
        if isinstance(result, Success):
            if result.data is not None:
                self._sasl_final = result
                self._write(b"334 " + base64.b64encode(result.data) + b"\r\n")
                return self._next_event()
            return self._auth_done(result, None)
        raise TypeError(f"unexpected SASL result {result!r}")  # pragma: no cover

    def _auth_line(self, line: bytes) -> Event | Sentinel:
        final = self._sasl_final
        if line == b"*":
            return self._auth_done(None, SASLCancelled("the client cancelled"))
        if final is not None:
            self._sasl_final = None
            if line in {b"", b"="}:
                return self._auth_done(final, None)
            return self._auth_done(None, SASLError("unexpected data after the final challenge"))
        try:
            response = decode_base64(line)
        except RemoteProtocolError:
            return self._auth_done(None, SASLError("malformed base64 in a SASL response"))
        mech = self._sasl
        if mech is None:  # pragma: no cover - set by _on_auth before the AUTH state
            raise LocalProtocolError("no SASL exchange in progress")
        try:
            result = mech.step(response)
        except SASLError as exc:
            return self._auth_done(None, exc)
        return self._auth_step(result)

    def _auth_done(self, success: Success | None, error: SASLError | None) -> Event:
        self._state = ServerState.READY
        self._sasl = None
        self._sasl_final = None
        if isinstance(success, Success):
            event = AuthResult(self._sasl_name, True, success.authcid, success.authzid)
        else:
            event = AuthResult(
                self._sasl_name,
                False,
                reason=str(error) if error else "failed",
                cancelled=isinstance(error, SASLCancelled),
            )
        self._owe(event)
        return event


class LmtpServer(SmtpServer):
    """An LMTP (RFC 2033) server: :class:`SmtpServer` with ``lmtp=True``.

    After a message, answer :class:`MessageComplete` with one reply per accepted recipient,
    in order (:meth:`SmtpServer.accept` sends them all).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["lmtp"] = True
        super().__init__(**kwargs)
