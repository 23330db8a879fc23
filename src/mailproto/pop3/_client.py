"""The POP3 client connection.

The client ``send``-s :class:`~mailproto.pop3.Command` events and ``next_event`` returns the
server's answers in order, each one typed by the command it answers: ``STAT`` gives
:class:`~mailproto.pop3.StatReply`, ``LIST`` a :class:`~mailproto.pop3.ScanListing`, ``RETR``
a :class:`~mailproto.pop3.MessageStart`, :class:`~mailproto.pop3.MessageData` chunks and a
:class:`~mailproto.pop3.MessageEnd`, and any command may give :class:`~mailproto.pop3.Err`.

Commands are written one at a time, each when the previous answer is complete, unless the
server listed ``PIPELINING`` in its CAPA answer (or the ``pipelining`` argument says so); then
they are written as soon as they are sent. ``STLS``, ``AUTH`` and ``QUIT`` are barriers: nothing
else may be sent until they are answered.

Messages are received with a :class:`~mailproto._buffer.BareLineEndings` policy of ``ACCEPT``
by default: real servers store and send messages with bare LF line endings, and a download
should give the bytes the server holds. Whatever the policy, only ``CRLF.CRLF`` ends a message.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from .._buffer import BLOCK_END, BareLineEndings, ReceiveBuffer
from ..connection import NEED_DATA, BaseConnection, ConnectionClosed, Event, Role, Sentinel
from ..errors import ErrorKind, LocalProtocolError, RemoteProtocolError, SASLError
from ..sasl import decode_sasl
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Command,
    Err,
    Greeting,
    Lang,
    LangListing,
    List,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    Pass,
    Quit,
    Retr,
    ScanLine,
    ScanListing,
    Stat,
    StatReply,
    Stls,
    Top,
    Uidl,
    UidLine,
    UidListing,
    Utf8,
)
from ._parse import (
    parse_capability,
    parse_greeting,
    parse_lang_entry,
    parse_scan_entry,
    parse_status,
    parse_uid_entry,
)
from ._serialize import serialize_command
from ._state import State, allowed

__all__ = ["POP3Client"]

_BARRIERS: Final = (Stls, Auth, Quit)
_LOGINS: Final = (Pass, Apop, Auth)


class _Listing:
    """A multi-line answer (LIST, UIDL, CAPA, LANG) being collected."""

    __slots__ = ("command", "entries", "error", "text")

    def __init__(self, command: Command, text: str) -> None:
        self.command = command
        self.text = text
        self.entries: list[object] = []
        self.error: RemoteProtocolError | None = None


# Enum members the hot paths use, as module names (see "Speed" in docs/design.rst).
_TRANSACTION: Final = State.TRANSACTION
#: Every answer ends with the same value (events are immutable): built once.
_MESSAGE_END: Final = MessageEnd()


class POP3Client(BaseConnection):
    """The client side of a POP3 session.

    :param pipelining: ``True`` to write commands without waiting for answers, ``False`` never
        to, ``None`` (default) to pipeline once the server's CAPA answer lists PIPELINING.
    :param bare_line_endings: what to do with bare CR or LF inside a message (see above).
    :param max_line_length: the longest status or listing line accepted.
    :param max_message_size: the largest message accepted (``None``: no limit); a larger one
        is read to its end and reported as RemoteProtocolError (kind TOO_BIG).
    :param max_listing_entries: the most lines a LIST, UIDL, CAPA or LANG answer may have.
    :param max_buffer_size: the most received bytes held unparsed.
    :param tls_active: the connection is already encrypted (POP3S).
    """

    def __init__(
        self,
        *,
        pipelining: bool | None = None,
        bare_line_endings: BareLineEndings = BareLineEndings.ACCEPT,
        max_line_length: int = 8192,
        max_message_size: int | None = None,
        max_listing_entries: int = 1_000_000,
        max_buffer_size: int = 1 << 21,
        tls_active: bool = False,
    ) -> None:
        super().__init__(
            Role.CLIENT,
            ReceiveBuffer(
                max_line_length=max_line_length,
                max_buffer_size=max(max_buffer_size, max_line_length),
            ),
        )
        self._tls_active = tls_active
        self._pipelining_choice = pipelining
        self.bare_line_endings = bare_line_endings
        self.max_line_length = max_line_length
        self.max_message_size = max_message_size
        self.max_listing_entries = max_listing_entries
        self._state = State.GREETING
        self._sent: deque[Command] = deque()
        self._held: deque[Command] = deque()
        self._held_lines: deque[bytes] = deque()
        self._answered = 0  # answers completed so far
        self._barrier: Command | None = None  # STLS, AUTH or QUIT awaiting its answer
        self._logins = 0  # PASS, APOP and AUTH commands awaiting their answers
        self._listing: _Listing | None = None
        self._in_message = False
        # A whole message read with its first line, returned by the next calls (b"": the end).
        self._ready: bytes | None = None
        self._challenge_pending = False
        self._greeting: Greeting | None = None
        self._capabilities: Capabilities | None = None
        self._pipelines = bool(pipelining)  # what the pipelining property says, kept current
        self._utf8 = False

    # -- public properties ------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The session state as far as the server's answers have shown it."""
        return self._state

    @property
    def greeting(self) -> Greeting | None:
        """The server's greeting, once received (its ``timestamp`` is the APOP challenge)."""
        return self._greeting

    @property
    def capabilities(self) -> Capabilities | None:
        """The last CAPA answer (forgotten when TLS starts, as RFC 2595 requires)."""
        return self._capabilities

    @property
    def pipelining(self) -> bool:
        """Whether commands are written without waiting for the previous answer."""
        return self._pipelines

    @property
    def utf8(self) -> bool:
        """Whether the server accepted the UTF8 command."""
        return self._utf8

    @property
    def outstanding(self) -> int:
        """Commands sent whose answers have not been read completely yet."""
        return len(self._sent) + len(self._held)

    # -- sending ----------------------------------------------------------------------------------

    def send(self, event: Event) -> None:
        """Send a command; it is written now or when the server has answered what came first.

        :raises LocalProtocolError: the command is not allowed now, or cannot be written.
        """
        if isinstance(event, (AuthResponse, AuthCancel)):
            if not self._challenge_pending:
                raise LocalProtocolError(f"{type(event).__name__} needs a pending AuthChallenge")
            line = serialize_command(event)
            self._challenge_pending = False
            self._write(line)
            return
        if (
            type(event) is Retr
            and self._state is State.TRANSACTION
            and self._barrier is None
            and type(event.msg) is int
            and event.msg >= 1
        ):
            # What a download sends most, without the general checks (all of which it passes).
            line = b"RETR %d\r\n" % event.msg
            if self._sent and not self._pipelines:
                self._held.append(event)
                self._held_lines.append(line)
            else:
                self._sent.append(event)
                self._outgoing.append(line)
            return
        if not isinstance(event, Command):
            raise LocalProtocolError(f"a client sends commands, not {event!r}")
        self._check(event)
        line = serialize_command(event)
        if isinstance(event, _BARRIERS):
            self._barrier = event
        if isinstance(event, _LOGINS):
            self._logins += 1
        if self._sent and not self._pipelines:
            self._held.append(event)
            self._held_lines.append(line)
            return
        self._sent.append(event)
        self._write(line)

    def _set_capabilities(self, caps: Capabilities | None) -> None:
        self._capabilities = caps
        choice = self._pipelining_choice
        if choice is None:
            self._pipelines = caps is not None and caps.has("PIPELINING")

    def _check(self, command: Command) -> None:
        if self._state is State.GREETING:
            raise LocalProtocolError("wait for the server's greeting before sending commands")
        if self._barrier is not None:
            name = type(self._barrier).__name__.upper()
            raise LocalProtocolError(f"nothing may be sent until {name} is answered")
        state = self._state
        if allowed(state, command):
            return
        if state is State.AUTHORIZATION and self._logins and allowed(State.TRANSACTION, command):
            return  # pipelined after a login that has not been answered yet
        name = type(command).__name__.upper()
        raise LocalProtocolError(f"{name} is not allowed in the {state.value} state")

    def _finish(self) -> None:
        """The answer to the oldest command is complete: write the next held one."""
        done = self._sent.popleft()
        self._answered += 1
        if done is self._barrier:
            self._barrier = None
        if self._logins and isinstance(done, _LOGINS):
            self._logins -= 1
        if self._held and not self._sent:
            self._sent.append(self._held.popleft())
            self._write(self._held_lines.popleft())
            if self._pipelines:
                while self._held:
                    self._sent.append(self._held.popleft())
                    self._write(self._held_lines.popleft())

    # -- receiving --------------------------------------------------------------------------------

    def next_event(self) -> Event | Sentinel:
        """Parse and return the next answer (or piece of one), or NEED_DATA."""
        ready = self._ready
        if ready is not None:
            # The rest of an answer read whole: nothing else can come before it.
            if ready:
                self._ready = b""  # then the end
                return MessageData(ready)
            self._ready = None
            self._in_message = False
            self._finish()
            return _MESSAGE_END
        sent = self._sent
        if (
            sent
            and type(sent[0]) is Retr
            and not self._in_message
            and self._state is _TRANSACTION
            and not self._eof
        ):
            # The first line of a RETR answer (no TLS can be starting in this state, and the
            # peer has not closed): the usual "+OK text" goes straight to the message.
            line = self._read_status_line()
            if line is None:
                return NEED_DATA
            if line[:4] == b"+OK " and line[4:5] != b"[":
                return self._positive(sent[0], line, line[4:].decode("utf-8", "replace"), None)
            return self._on_line(line)
        return super().next_event()

    def _next_event(self) -> Event | Sentinel:
        if self._in_message:
            return self._message_chunk()
        if self._listing is not None:
            return self._listing_lines(self._listing)
        line = self._read_status_line()
        if line is None:
            return NEED_DATA
        return self._on_line(line)

    def _read_status_line(self) -> bytes | None:
        try:
            return self._buffer.read_line()
        except RemoteProtocolError:
            # An over-long status line is still the answer to the oldest command.
            if self._sent and self._state is not State.GREETING:
                self._challenge_pending = False
                self._finish()
            raise

    def _on_line(self, line: bytes) -> Event:
        """The event for a status line (or a challenge) answering the oldest command."""
        if self._state is State.GREETING:
            greeting = parse_greeting(line)
            if isinstance(greeting, Err):
                self._state = State.CLOSED
                self._close()
                return greeting
            self._greeting = greeting
            self._state = State.AUTHORIZATION
            return greeting
        if not self._sent:
            text = line[:200].decode("utf-8", "replace")
            raise RemoteProtocolError(
                f"the server sent a line no command asked for: {text!r}", fatal=True
            )
        command = self._sent[0]
        if isinstance(command, Auth) and (line == b"+" or line.startswith(b"+ ")):
            try:
                data = decode_sasl(line[2:].strip())
            except SASLError:
                raise RemoteProtocolError(
                    "the server's AUTH challenge is not base64", kind=ErrorKind.AUTHENTICATION
                ) from None
            self._challenge_pending = True
            return AuthChallenge(data)
        answered = self._answered
        try:
            ok, code, text = parse_status(line)
            if ok:
                return self._positive(command, line, text, code)
        except RemoteProtocolError:
            if self._answered == answered and self._listing is None:
                self._finish()  # the broken line was the answer; stay in step
            raise
        self._challenge_pending = False
        if isinstance(command, Quit):
            self._state = State.CLOSED
            self._close()
        self._finish()
        return Err(text, code)

    def _positive(self, command: Command, line: bytes, text: str, code: str | None) -> Event:
        cls = type(command)
        if cls is Retr or cls is Top:
            self._in_message = True
            # Most answers have arrived whole with their first line: take them at once.
            whole = self._buffer.read_whole_block(
                bare_line_endings=self.bare_line_endings, max_size=self.max_message_size
            )
            if whole is not None:
                self._ready = whole
            else:
                self._buffer.begin_block(
                    bare_line_endings=self.bare_line_endings, max_size=self.max_message_size
                )
            return MessageStart(text)
        rest = line[4:]
        match command:
            case Stat():
                count, size = _stat(rest)
                self._finish()
                return StatReply(count, size)
            case List(None) | Uidl(None) | Capa() | Lang(None):
                self._listing = _Listing(command, text)
                return self._listing_lines(self._listing)  # type: ignore[return-value]
            case List(_):
                msg, size = parse_scan_entry(rest)
                self._finish()
                return ScanLine(msg, size)
            case Uidl(_):
                msg, uid = parse_uid_entry(rest)
                self._finish()
                return UidLine(msg, uid)
            case Pass() | Apop() | Auth():
                self._challenge_pending = False
                self._state = State.TRANSACTION
            case Quit():
                self._state = State.CLOSED
                self._close()
            case Stls():
                self._finish()
                self._set_capabilities(None)
                self._begin_tls()
                return Ok(text, code)
            case Utf8():
                self._utf8 = True
        self._finish()
        return Ok(text, code)

    def _message_chunk(self) -> Event | Sentinel:
        try:
            chunk = self._buffer.read_block()
        except RemoteProtocolError:
            self._in_message = False
            self._finish()
            raise
        if chunk is None:
            return NEED_DATA
        if chunk is BLOCK_END:
            self._in_message = False
            self._finish()
            return _MESSAGE_END
        return MessageData(chunk)

    def _listing_lines(self, listing: _Listing) -> Event | Sentinel:
        buffer = self._buffer
        entries = listing.entries
        command = listing.command
        while True:
            line = buffer.read_line()
            if line is None:
                return NEED_DATA
            if line == b".":
                break
            if line[:1] == b".":
                line = line[1:]
            if listing.error is not None:
                continue
            if len(entries) >= self.max_listing_entries:
                listing.error = RemoteProtocolError(
                    f"more than {self.max_listing_entries} lines in a listing",
                    kind=ErrorKind.TOO_BIG,
                    limit=self.max_listing_entries,
                )
                continue
            try:
                if isinstance(command, List):
                    entries.append(parse_scan_entry(line))
                elif isinstance(command, Uidl):
                    entries.append(parse_uid_entry(line))
                elif isinstance(command, Capa):
                    entries.append(parse_capability(line))
                else:
                    entries.append(parse_lang_entry(line))
            except RemoteProtocolError as error:
                listing.error = error
        self._listing = None
        self._finish()
        if listing.error is not None:
            raise listing.error
        if isinstance(command, List):
            return ScanListing(tuple(entries), listing.text)  # type: ignore[arg-type]
        if isinstance(command, Uidl):
            return UidListing(tuple(entries), listing.text)  # type: ignore[arg-type]
        if isinstance(command, Capa):
            caps = Capabilities(tuple(entries), listing.text)  # type: ignore[arg-type]
            self._set_capabilities(caps)
            return caps
        return LangListing(tuple(entries), listing.text)  # type: ignore[arg-type]

    def _on_eof(self) -> Event:
        if self._in_message or self._listing is not None:
            raise RemoteProtocolError(
                "the server closed the connection in the middle of a multi-line answer",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        if self._sent and self._state is not State.CLOSED:
            name = type(self._sent[0]).__name__.upper()
            raise RemoteProtocolError(
                f"the server closed the connection without answering {name}",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        event = super()._on_eof()
        self._state = State.CLOSED
        return event if isinstance(event, ConnectionClosed) else ConnectionClosed()


def _stat(rest: bytes) -> tuple[int, int]:
    parts = rest.split()
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        shown = rest[:80].decode("utf-8", "replace")
        raise RemoteProtocolError(f"malformed STAT answer: {shown!r}")
    if len(parts[0]) > 10 or len(parts[1]) > 20:
        raise RemoteProtocolError("STAT answer numbers are too long")
    return int(parts[0]), int(parts[1])
