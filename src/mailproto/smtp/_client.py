"""The client side of SMTP (RFC 5321) and LMTP (RFC 2033) as a sans-I/O state machine."""

from __future__ import annotations

import base64
import binascii
import re
from collections import deque
from functools import partial
from itertools import islice, repeat, starmap, takewhile
from operator import is_, methodcaller
from typing import Final

from .._buffer import ReceiveBuffer
from .._dotstuff import DotStuffer
from ..connection import (
    NEED_DATA,
    BaseConnection,
    ConnectionClosed,
    Event,
    Role,
    Sentinel,
    StartTLS,
)
from ..errors import ErrorKind, LocalProtocolError, RemoteProtocolError, SASLError
from ..sasl import ClientMechanism
from ._events import (
    Auth,
    AuthResponse,
    Bdat,
    Command,
    Data,
    DataChunk,
    EndOfData,
    Expand,
    Hello,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    StartTLSCommand,
    Verify,
)
from ._parse import (
    REPLY_CODES,
    parse_ehlo_keywords,
    parse_plain_replies,
    quick_reply,
    reply_from_lines,
    reply_line_code,
)
from ._serialize import SIMPLE_MAILBOX_RE as _SIMPLE_MAILBOX
from ._serialize import serialize_command
from ._state import CLIENT_TIMEOUTS, ClientState

__all__ = ["LmtpClient", "SmtpClient"]

# Gates: when a queued unit may leave.
_CMD: Final = 0  # a command: when nothing is awaited, or when pipelining allows it
_DATA: Final = 1  # DATA content and its end: after the 354
_FOLLOW: Final = 2  # BDAT chunk octets and AUTH responses: at once, behind what precedes them

#: Commands after which another command may be pipelined (RFC 2920 section 3.1).
_PIPELINABLE: Final = (MailFrom, RcptTo, Reset, Bdat, EndOfData)
_PIPELINABLE_TYPES: Final = frozenset(_PIPELINABLE)
#: Commands that change no state on either side and may be sent between transactions.
_PLAIN_TYPES: Final = frozenset({Noop, Help, Verify, Expand})
#: EHLO failure codes after which a client falls back to HELO.
_HELO_FALLBACK_CODES: Final = frozenset({500, 501, 502, 504, 550})
#: The lines of the plain commands that may be sent without an argument.
_BARE_LINES: Final[dict[type[Command], bytes]] = {Noop: b"NOOP\r\n", Help: b"HELP\r\n"}
#: What :meth:`SmtpClient.send` may do without its general checks (see ``_refresh_ready``).
_READY_NONE: Final = 0
_READY_IDLE: Final = 1  # NOOP, HELP, VRFY, EXPN: between transactions, nothing holds them back
_READY_RCPT: Final = 2  # more RCPTs: a RCPT was sent in this transaction, nothing holds them back
_READY_PIPE: Final = 3  # the same, and commands are pipelined
_READY_DIRECT: Final = 4  # the same, and nothing is queued or blocks the pipeline: write now
_simple_mailbox: Final = _SIMPLE_MAILBOX.fullmatch

_Greeting = None


#: The most lines taken from the buffer in one go for a run of pipelined RCPT replies.
_BULK: Final = 1024
#: What stands for every RCPT among the awaited commands: only the kind of an awaited
#: command matters, and the caller's event need not be kept alive.
_AWAITED_RCPT: Final = RcptTo("postmaster")
_is_rcpt: Final = partial(is_, _AWAITED_RCPT)
#: The start of a single-line reply with an enhanced status: "250 2.1.5 ".
_FINAL_STATUS: Final = re.compile(rb"[2-5][0-5][0-9] ([245]\.[0-9]{1,3}\.[0-9]{1,3}) ")
#: The most bytes _parse_ahead looks at in one go.
_WINDOW: Final = 1 << 14
_WINDOW_ONE: Final = 1 << 10  # when it is to parse one reply
#: Matches a reply line that does not continue its reply (``NNN-``): the last of a reply.
_NOT_CONTINUED: Final = re.compile(rb"(?!...-)", re.DOTALL)


class SmtpClient(BaseConnection):
    """A client connection: queues commands, releases them as the server allows, parses replies.

    Send commands with :meth:`send`; each :class:`Reply` that ``next_event`` returns answers the
    oldest command not yet answered (the first one answers the greeting). Commands are written
    one at a time unless the server offered PIPELINING, in which case everything RFC 2920 allows
    is written at once. Message content is sent as :class:`DataChunk` events after :class:`Data`
    (dot-stuffed on the way out, released once the 354 arrives) or after :class:`Bdat`, and a
    DATA message ends with :class:`EndOfData`. If DATA is refused, content already sent with
    :meth:`send` for it is dropped, and so is any sent later up to its :class:`EndOfData`.

    :param lmtp: speak LMTP: the reply to :class:`EndOfData` (or a last BDAT) is one reply per
        accepted recipient.
    :param pipelining: use PIPELINING when the server offers it.
    :param helo_fallback: when EHLO is refused as unknown (500, 502...), send HELO with the same
        name automatically; the EHLO refusal is kept in :attr:`ehlo_reply` and the next reply
        returned is the HELO's.
    :param max_reply_line_length: the longest reply line accepted.
    :param max_reply_lines: the most lines one reply may have.
    :param max_buffer_size: the most unparsed bytes held.
    """

    def __init__(
        self,
        *,
        lmtp: bool = False,
        pipelining: bool = True,
        helo_fallback: bool = True,
        max_reply_line_length: int = 8192,
        max_reply_lines: int = 1000,
        max_buffer_size: int = 1 << 20,
    ) -> None:
        super().__init__(
            Role.CLIENT,
            ReceiveBuffer(max_line_length=max_reply_line_length, max_buffer_size=max_buffer_size),
        )
        self.lmtp = lmtp
        self.use_pipelining = pipelining
        self.helo_fallback = helo_fallback
        self.max_reply_lines = max_reply_lines
        #: The extensions the server's EHLO/LHLO reply offered (keyword to parameters).
        self.extensions: dict[str, str] = {}
        #: The refused EHLO's reply when the client fell back to HELO.
        self.ehlo_reply: Reply | None = None
        self._queue: deque[tuple[int, bytes, Command | EndOfData | None]] = deque()
        # Commands written and not yet answered; the greeting (None) comes first.
        self._awaiting: deque[Command | EndOfData | None] = deque([_Greeting])
        # Replies still owed to the first awaited command when it is owed one per accepted
        # recipient (LMTP's end of message); 0 until its first reply arrives.
        self._owed = 0
        # Reply lines taken from the buffer in bulk, last first. They are only ever taken for a
        # run of awaited RCPT commands, at most one line per command, so every one of them is
        # read before the reply to any later command (STARTTLS's included) can be.
        self._held: list[bytes] = []
        # How many of the awaited commands end a pipelining group (the greeting counts).
        self._blocking = 1
        # The raw lines of a multi-line reply read so far, its code, and how its continuation
        # lines and its last line begin.
        self._lines: list[bytes] = []
        self._code = 0
        self._continued = b""
        self._final = b""
        self._greeted = False
        self._pipelining = False
        self._hello_sent = False
        self._tx: str | None = None
        self._bdat_left = 0
        self._bdat_last = False
        self._stuffer: DotStuffer | None = None
        self._data_open = False
        self._discarding = False
        self._starttls_outstanding = False
        self._auth_outstanding = False
        self._auth_challenged = False
        self._auth_mech: ClientMechanism | None = None
        self._auth_verified = False
        self._quit_sent = False
        self._accepted = 0
        # Single-line replies seen before (never a 421, which closes the session), by line.
        self._reply_cache: dict[bytes, Reply] = {}
        # Replies to the next awaited RCPT commands, taken from held lines that are in the
        # reply cache, last first.
        self._ready_replies: list[Reply] = []
        self._ready_stash: list[Reply] = []  # set aside while a local error is raised
        # Replies parsed together by _parse_ahead and not yet taken, last first.
        self._parsed: list[Reply] = []
        self._text_cache: dict[str, Reply] = {}  # single-line replies seen by _parse_ahead
        self._parsed_bytes = b""  # the bytes they were parsed from
        self._parsed_ends: list[int] = [0]  # where each reply's bytes end in them
        # The latest RCPT reply taken from the reply cache, as a line with its CRLF.
        self._rcpt_line = b""
        self._rcpt_reply = Reply(250)
        # Whether next_event must take the base class's path (see _needs_detour).
        self._detour = False
        # Which of send()'s fast paths may be taken now: kept up to date by _refresh_ready().
        self._ready = _READY_NONE
        self._refresh_ready()
        # The forward paths of simple RCPT commands written but not yet turned into bytes.
        self._rcpt_paths: list[str] = []
        self._local_error: LocalProtocolError | None = None
        self._ehlo_answered = False  # a successful EHLO/HELO/LHLO reply has been read
        self.max_reply_line_length = max_reply_line_length

    # -- public properties ----------------------------------------------------------------------

    @property
    def state(self) -> ClientState:
        """Where the session is, counting commands sent but not yet answered."""
        if self._quit_sent or self.should_close:
            return ClientState.CLOSED
        if not self._greeted:
            return ClientState.GREETING
        if self._starttls_outstanding:
            return ClientState.STARTTLS
        if self._auth_outstanding:
            return ClientState.AUTH
        if not self._hello_sent:
            return ClientState.HELLO
        return {
            None: ClientState.READY,
            "mail": ClientState.MAIL,
            "rcpt": ClientState.RCPT,
            "data": ClientState.DATA,
            "bdat": ClientState.BDAT,
        }[self._tx]

    @property
    def pipelining(self) -> bool:
        """Whether commands are being pipelined (the server offered it and it is enabled)."""
        return self._pipelining

    @property
    def max_message_size(self) -> int | None:
        """The server's SIZE limit, if it announced one (0 means no fixed limit)."""
        value = self.extensions.get("SIZE")
        if value is None:
            return None
        return int(value) if value.isdigit() else 0

    @property
    def read_timeout(self) -> float | None:
        """The RFC 5321 4.5.3.2 timeout for the reply awaited now."""
        if self._ready_replies or (self._rcpt_paths and not self._awaiting):
            return CLIENT_TIMEOUTS["RCPT"]  # RCPT replies read and not yet returned
        if not self._awaiting:
            return CLIENT_TIMEOUTS["block"] if self._data_open else None
        command = self._awaiting[0]
        if command is _Greeting:
            return CLIENT_TIMEOUTS["greeting"]
        if isinstance(command, MailFrom):
            return CLIENT_TIMEOUTS["MAIL"]
        if isinstance(command, RcptTo):
            return CLIENT_TIMEOUTS["RCPT"]
        if isinstance(command, Data):
            return CLIENT_TIMEOUTS["DATA"]
        if isinstance(command, EndOfData | Bdat):
            return CLIENT_TIMEOUTS["end"]
        return CLIENT_TIMEOUTS["other"]

    def supports(self, extension: str) -> bool:
        """Whether the server's EHLO reply offered ``extension``."""
        return extension.upper() in self.extensions

    # -- sending --------------------------------------------------------------------------------

    def send(self, event: Event) -> None:
        """Queue a command or message content; the bytes leave when the protocol allows.

        :raises LocalProtocolError: the event is not allowed now (RCPT before MAIL, a command in
            the middle of a message, anything while STARTTLS is outstanding, ...) or it is
            malformed; nothing changes.
        """
        ready = self._ready
        if ready >= _READY_RCPT and type(event) is RcptTo:
            # The common case of a long pipelined list, without the general checks below.
            path = event.forward_path
            if not event.params and _simple_mailbox(path) is not None:
                if ready == _READY_DIRECT:
                    # Written at once; the lines are made in one go when they are taken.
                    self._rcpt_paths.append(path)
                    return
                data = f"RCPT TO:<{path}>\r\n".encode()
            else:
                data = serialize_command(event)
            self._queue.append((_CMD, data, event))
            self._release()
            return
        if ready == _READY_IDLE and type(event) in _PLAIN_TYPES:
            # NOOP and friends between transactions: nothing to check but the line itself.
            command: Noop | Help | Verify | Expand = event  # type: ignore[assignment]
            line = _BARE_LINES.get(type(command)) if command.argument == "" else None
            if line is None:
                line = serialize_command(command)
            self._queue.append((_CMD, line, command))
            self._release()
            return
        try:
            self._send_other(event)
        finally:
            self._refresh_ready()

    def _send_other(self, event: Event) -> None:
        if self._quit_sent or self.should_close:
            raise LocalProtocolError("the session is over")
        if self._starttls_outstanding:
            raise LocalProtocolError("wait for the STARTTLS reply and the TLS handshake")
        if isinstance(event, DataChunk):
            self._send_content(event)
        elif isinstance(event, EndOfData):
            self._send_end()
        elif isinstance(event, AuthResponse):
            if not self._auth_challenged or self._auth_mech is not None:
                raise LocalProtocolError("AuthResponse answers a 334 challenge to AUTH")
            data = serialize_command(event)
            self._auth_challenged = False
            self._queue.append((_FOLLOW, data, None))
        elif isinstance(event, Command):
            self._send_command(event)
        else:
            raise LocalProtocolError(f"a client does not send {type(event).__name__}")
        self._release()

    def _refresh_ready(self) -> None:
        """Work out which of send()'s fast paths are open, after anything that may close one.

        Every change to the transaction, QUIT, STARTTLS, AUTH or the connection closing goes
        through here: the general path of :meth:`send`, the replies other than the RCPT and
        NOOP ones, the end of input, closing, and the TLS handshake.
        """
        if (
            self._quit_sent
            or self._should_close
            or self._starttls_outstanding
            or self._auth_outstanding
        ):
            self._ready = _READY_NONE
        elif self._tx is None:
            self._ready = _READY_IDLE
        elif self._tx == "rcpt":
            if not self._pipelining:
                self._ready = _READY_RCPT
            elif self._blocking or self._queue:
                self._ready = _READY_PIPE
            else:
                self._ready = _READY_DIRECT
        else:
            self._ready = _READY_NONE

    def _send_command(self, command: Command) -> None:
        if self._auth_outstanding:
            raise LocalProtocolError("an AUTH exchange is in progress")
        if self._discarding and self._tx == "data":
            # DATA was refused: the message is over without its EndOfData.
            self._tx = None
            self._stuffer = None
            self._discarding = False
        tx = self._tx
        if tx == "data" or (
            tx == "bdat" and (self._bdat_left or not isinstance(command, Bdat | Reset | Quit))
        ):
            raise LocalProtocolError(f"{type(command).__name__} in the middle of a message")
        new_tx = tx
        if isinstance(command, Hello):
            if self.lmtp != (command.command == "LHLO"):
                raise LocalProtocolError("LMTP uses LHLO; SMTP uses EHLO or HELO")
            if tx is not None:
                raise LocalProtocolError("EHLO in the middle of a transaction; send RSET first")
        elif isinstance(command, MailFrom):
            if not self._hello_sent:
                raise LocalProtocolError("MAIL before EHLO/HELO")
            if tx is not None:
                raise LocalProtocolError("MAIL inside a transaction")
            new_tx = "mail"
        elif isinstance(command, RcptTo):
            if tx not in ("mail", "rcpt"):
                raise LocalProtocolError("RCPT without MAIL")
            new_tx = "rcpt"
        elif isinstance(command, Data):
            if tx != "rcpt":
                raise LocalProtocolError("DATA without RCPT")
            new_tx = "data"
        elif isinstance(command, Bdat):
            if tx not in ("rcpt", "bdat"):
                raise LocalProtocolError("BDAT without RCPT")
            if self._ehlo_answered and "CHUNKING" not in self.extensions:
                raise LocalProtocolError("the server did not offer CHUNKING")
            new_tx = None if command.last and command.size == 0 else "bdat"
        elif isinstance(command, Reset):
            new_tx = None
        elif isinstance(command, StartTLSCommand | Auth):
            if tx is not None:
                raise LocalProtocolError(f"{type(command).__name__} inside a transaction")
        elif not isinstance(command, Quit | Noop | Help | Verify | Expand):
            raise LocalProtocolError(f"{type(command).__name__} is not sent with send()")
        data = serialize_command(command)
        # Validated: commit the state change.
        self._tx = new_tx
        if isinstance(command, Hello):
            self._hello_sent = True
        elif isinstance(command, Data):
            self._stuffer = DotStuffer()
            self._discarding = False
        elif isinstance(command, Bdat):
            self._bdat_left = command.size
            self._bdat_last = command.last
            self._discarding = False
        elif isinstance(command, StartTLSCommand):
            self._starttls_outstanding = True
        elif isinstance(command, Auth):
            self._auth_outstanding = True
            self._auth_verified = False
        elif isinstance(command, Quit):
            self._quit_sent = True
        self._queue.append((_CMD, data, command))

    def _send_content(self, chunk: DataChunk) -> None:
        if self._tx == "data":
            stuffer = self._stuffer
            if stuffer is None:  # pragma: no cover - set with the DATA command
                raise LocalProtocolError("no DATA in progress")
            if self._discarding:
                return
            data = stuffer.stuff(chunk.data)
            if data:
                self._queue.append((_DATA, data, None))
        elif self._tx == "bdat":
            size = len(chunk.data)
            if size > self._bdat_left:
                raise LocalProtocolError(
                    f"{size} octets sent but the BDAT chunk has {self._bdat_left} left"
                )
            self._bdat_left -= size
            if size and not self._discarding:
                self._queue.append((_FOLLOW, chunk.data, None))
            if self._bdat_left == 0 and self._bdat_last:
                self._tx = None
        else:
            raise LocalProtocolError("message content is sent after DATA or BDAT")

    def _send_end(self) -> None:
        if self._tx != "data" or self._stuffer is None:
            raise LocalProtocolError("EndOfData ends the content sent after DATA")
        tail = self._stuffer.finish()
        self._stuffer = None
        self._tx = None
        if self._discarding:
            self._discarding = False
            return
        self._queue.append((_DATA, tail, EndOfData()))

    def authenticate(self, mechanism: ClientMechanism) -> None:
        """Send AUTH with a :class:`mailproto.sasl.ClientMechanism` and let it answer challenges.

        The 334 challenges are answered by the mechanism without being returned; the next
        :class:`Reply` returned is the final one (235 on success). The server's final data
        (SCRAM) is verified; a mismatch raises :class:`~mailproto.errors.SASLError`.
        """
        if not isinstance(mechanism, ClientMechanism):
            raise LocalProtocolError("authenticate() takes a mailproto.sasl.ClientMechanism")
        self.send(Auth(mechanism.name.upper(), mechanism.initial_response()))
        self._auth_mech = mechanism

    def _flush_rcpts(self) -> None:
        """Turn the forward paths of RCPT commands written at once into their lines, and
        count their RCPTs among the awaited commands.

        Until then they are only in ``_rcpt_paths``: whatever reads the outgoing bytes or the
        awaited commands calls this first (data_to_send, _release, the reading of replies,
        read_timeout, _shut).
        """
        paths = self._rcpt_paths
        self._awaiting.extend(repeat(_AWAITED_RCPT, len(paths)))
        outgoing = self._outgoing
        # In pieces of moderate size: one huge string, copied and encoded, costs more.
        for start in range(0, len(paths), 2048):
            lines = "RCPT TO:<" + ">\r\nRCPT TO:<".join(paths[start : start + 2048]) + ">\r\n"
            outgoing.append(lines.encode())  # ASCII: the paths are simple mailboxes
        paths.clear()

    def data_to_send(self) -> bytes:
        """The bytes to write to the server now (``b""`` if none)."""
        if self._rcpt_paths:
            self._flush_rcpts()
        return super().data_to_send()

    def _release(self) -> None:
        queue = self._queue
        awaiting = self._awaiting
        while queue:
            gate, data, command = queue[0]
            if gate == _CMD:
                if awaiting and (self._blocking or not self._pipelining):
                    break
            elif gate == _DATA and not self._data_open:
                break
            queue.popleft()
            if type(command) is Bdat and "CHUNKING" not in self.extensions:
                # A server without CHUNKING would read the chunk's octets as commands: never
                # write them. Drop the chunk and report it at the next next_event().
                while queue and queue[0][0] == _FOLLOW:
                    queue.popleft()
                self._discarding = True  # and the rest of this chunk, if it is still to come
                self._local_error = LocalProtocolError(
                    "BDAT was not sent: the server did not offer CHUNKING"
                )
                # The error comes before any reply not yet returned: set those aside.
                self._ready_stash += self._ready_replies
                self._ready_replies = []
                continue
            if self._rcpt_paths:
                self._flush_rcpts()
            self._outgoing.append(data)
            if command is not None:
                cls = type(command)
                awaiting.append(_AWAITED_RCPT if cls is RcptTo else command)
                if cls not in _PIPELINABLE_TYPES:
                    self._blocking += 1
                elif cls is EndOfData:
                    self._data_open = False
        if self._ready >= _READY_PIPE:
            # What blocks the pipeline or waits in the queue decides whether RCPTs go at once.
            self._ready = _READY_PIPE if self._blocking or queue else _READY_DIRECT

    # -- receiving ------------------------------------------------------------------------------

    def _close(self) -> None:
        super()._close()
        self._ready = _READY_NONE

    def _on_eof(self) -> Event:
        self._ready = _READY_NONE  # the base class has just set _should_close
        if self._awaiting and not self._quit_sent:
            raise RemoteProtocolError(
                "the server closed the connection with replies outstanding",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        if self._buffer:
            raise RemoteProtocolError(
                "the server closed the connection in the middle of a reply line",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        return ConnectionClosed()

    def next_event(self) -> Event | Sentinel:
        """Parse and return the next reply (or StartTLS, ConnectionClosed), or NEED_DATA."""
        ready = self._ready_replies
        if ready:
            # The bulk of a long pipeline of RCPT commands: replies already read and known.
            return ready.pop()
        parsed = self._parsed
        if parsed and self._local_error is None:
            # A reply parsed ahead (they come before anything else, the end of input too).
            if self._rcpt_paths:
                self._flush_rcpts()
            reply = parsed.pop()
            awaiting = self._awaiting
            if awaiting and type(awaiting[0]) in _PLAIN_TYPES and reply.code != 421:
                # NOOP and friends: nothing changes but what is awaited.
                awaiting.popleft()
                self._blocking -= 1
                if self._queue:
                    self._release()
                return reply
            answer = self._on_reply(reply)
            if self._queue:
                self._release()
            # None: the reply was answered (an AUTH challenge, HELO after EHLO); go on.
            return answer if answer is not None else self.next_event()
        if self._held or not self._detour or self._local_error is not None:
            return self._next_event()  # the common case, without the base class's detour
        event = super().next_event()
        self._detour = self._needs_detour()
        return event

    def _needs_detour(self) -> bool:
        """Whether next_event must go through the base class (TLS, end of input)."""
        return (
            self._tls_pending is not None
            or self._awaiting_tls
            or self._closed_reported
            or self._eof
        )

    def receive_data(self, data: bytes) -> None:
        """Feed bytes received from the server; ``b""`` means it closed the connection."""
        super().receive_data(data)
        if not data:
            self._detour = True

    def _begin_tls(self) -> None:
        super()._begin_tls()
        self._detour = True
        parsed = self._parsed
        if parsed and self._tls_pending is not None:
            # Replies parsed ahead were sent in plaintext after this one: discarded too.
            ends = self._parsed_ends
            rest = self._parsed_bytes[ends[-len(parsed) - 1] : ends[-1]]
            self._tls_pending = StartTLS(discarded=rest + self._tls_pending.discarded)
            self._parsed = []

    def _repeated_rcpt_replies(self, run: int) -> bool:
        """Take the replies to up to ``run`` RCPTs at once if they repeat the last one's line.

        Servers mostly answer every RCPT with the same line ("250 2.1.5 Ok"): when the bytes
        waiting begin with that line and its CRLF over and over, they are exactly those lines,
        and comparing them with the line repeated checks them all in one go.
        """
        line = self._rcpt_line
        if not line:
            return False
        size = len(line)
        count = min(run, len(self._buffer) // size)
        if count < 2:
            return False
        buffer = self._buffer
        waiting = buffer.peek(size * count)
        repeated = line * count
        while not waiting.startswith(repeated):
            # Another reply among them: try the first half, and so on.
            count //= 2
            if count < 2:
                return False
            repeated = repeated[: size * count]
        buffer.read_exact(size * count)
        awaiting = self._awaiting
        if count == len(awaiting):
            awaiting.clear()
        else:
            deque(starmap(awaiting.popleft, repeat((), count)), maxlen=0)
        reply = self._rcpt_reply
        self._ready_replies = [reply] * count
        if self.lmtp and reply.code < 300:
            self._accepted += count
        return True

    def _learn_rcpt_line(self) -> None:
        """Take the first waiting RCPT reply as the line to look for, if it is a plain one.

        Plain: a known code and a space, or the code alone, then CRLF, within the length
        limit; its reply is what the general path makes of it. Nothing is consumed.
        """
        blob = self._buffer.peek(self.max_reply_line_length + 2)
        end = blob.find(b"\n")
        code = REPLY_CODES.get(blob[:3])
        if (
            end < 0
            or code is None
            or code == 421
            or blob[end - 1 : end] != b"\r"
            or (blob[3:4] != b" " and end != 4)
        ):
            return
        self._rcpt_line = blob[: end + 1]
        self._rcpt_reply = reply_from_lines(code, [blob[: end - 1]])

    def _resolve_held(self) -> None:
        """Turn the held lines that are known single-line replies into ready replies.

        Only at a reply boundary: a held line may continue a multi-line reply.
        """
        held = self._held
        if len(held) > len(self._awaiting):
            return  # a 421 among them closed the session: the rest are read one by one
        cache = self._reply_cache
        # Only as far as the first line not in the cache: the work stays linear however
        # known and unknown lines alternate.
        known = len(list(takewhile(cache.__contains__, reversed(held))))
        if known:
            if known == len(held):
                lines = held
                self._held = []
            else:
                lines = held[-known:]
                del held[-known:]
            replies = list(map(cache.__getitem__, lines))
            self._rcpt_line = lines[0] + b"\r\n"  # the latest, for _repeated_rcpt_replies
            self._rcpt_reply = replies[0]
        else:
            # Replies that differ only in their text (many servers name the recipient):
            # the lines that begin with the first one's code and enhanced status.
            first = held[-1]
            code = REPLY_CODES.get(first[:3])
            status = _FINAL_STATUS.match(first)
            if code is None or code == 421 or status is None or first[4] != first[0]:
                return
            lead = status.group()
            count = len(list(takewhile(methodcaller("startswith", lead), reversed(held))))
            if count < 2:
                return
            lines = held[-count:]
            del held[-count:]
            lines.reverse()
            # Split where each next line's lead was: no line holds an LF.
            texts = (
                b"\n".join(lines)[len(lead) :]
                .decode("utf-8", "surrogateescape")
                .split("\n" + lead.decode("ascii"))
            )
            texts.reverse()
            replies = list(map(Reply, repeat(code), zip(texts), repeat(status.group(1).decode())))
            self._rcpt_line = lines[-1] + b"\r\n"  # should the server repeat itself after all
            self._rcpt_reply = replies[0]
        # Their commands are answered now: the replies wait only to be returned. A RCPT reply
        # releases nothing (RCPT commands are awaited in a run only when pipelining, and the
        # replies change neither what blocks the pipeline nor whether DATA is open).
        deque(starmap(self._awaiting.popleft, repeat((), len(replies))), maxlen=0)
        self._ready_replies = replies  # last first, as the lines were held
        if self.lmtp:
            # Counted now rather than one by one: only the reply to a later command (LMTP's
            # end of message) looks at the count, and MAIL's reply, which resets it, is past.
            self._accepted += sum(reply.code < 300 for reply in replies)

    def _parse_ahead(self) -> bool:
        """Parse the whole replies waiting in the buffer at once, if they are plain ones.

        :func:`parse_plain_replies` says what plain means and stops before the first reply
        that is not (the general path reads it, and reports what is wrong at the right
        moment). Never runs while STARTTLS is queued or awaited, whose reply must leave every
        later byte in the buffer. Reading replies does not depend on the commands they
        answer, so replies to commands still queued may be parsed here; their bytes are kept
        until they are taken, so that a STARTTLS sent meanwhile still reports them as
        discarded. Returns whether any reply was parsed; the replies wait in ``_parsed``.
        """
        buffer = self._buffer
        size = len(buffer)
        awaiting = self._awaiting
        if not size or not awaiting or self._starttls_outstanding:
            return False
        if len(awaiting) > 1 and type(awaiting[1]) is RcptTo:
            # Before a run of pipelined RCPTs, only this reply: theirs are read in bulk.
            limit, window = 1, _WINDOW_ONE
        else:
            limit, window = size, _WINDOW
        blob = buffer.peek(size if size < window else window)
        replies, ends = parse_plain_replies(
            blob, limit, self.max_reply_line_length, self.max_reply_lines, self._text_cache
        )
        pos = ends[-1]
        if not replies:
            return False
        buffer.read_exact(pos)
        replies.reverse()
        self._parsed = replies
        self._parsed_bytes = blob
        self._parsed_ends = ends
        return True

    def _next_event(self) -> Event | Sentinel:
        if self._local_error is not None:
            error, self._local_error = self._local_error, None
            self._ready_replies, self._ready_stash = self._ready_stash, []
            raise error
        if self._rcpt_paths:
            self._flush_rcpts()
        buffer = self._buffer
        while True:
            held = self._held
            parsed = self._parsed
            if parsed:
                event = self._on_reply(parsed.pop())
                if self._queue:
                    self._release()
                if event is not None:
                    return event
                continue
            if held:
                batch = [held.pop()]
            else:
                awaiting = self._awaiting
                lines = self._lines
                try:
                    if not lines and len(awaiting) > 1 and awaiting[0] is _AWAITED_RCPT:
                        # Every awaited RCPT is the same stand-in: count them by identity.
                        head = list(islice(awaiting, _BULK))
                        run = len(head)
                        if head.count(_AWAITED_RCPT) != run:
                            run = len(list(takewhile(_is_rcpt, head)))
                        if run > 1:
                            # A run of pipelined RCPT replies: at most one line per RCPT.
                            if not self._rcpt_line:
                                self._learn_rcpt_line()
                            if self._repeated_rcpt_replies(run):
                                return self._ready_replies.pop()
                            batch = buffer.read_lines(run)
                            if not batch:
                                return NEED_DATA
                            batch.reverse()
                            self._held = batch
                            self._resolve_held()
                            if self._ready_replies:
                                return self._ready_replies.pop()
                            continue
                    if not lines and self._parse_ahead():
                        continue
                    # The lines of one reply, through its last line, at once.
                    batch = buffer.read_lines(
                        self.max_reply_lines - len(lines), through=_NOT_CONTINUED
                    )
                except RemoteProtocolError as exc:
                    exc.fatal = True  # a client cannot answer a broken reply; it is lost
                    raise
                if not batch:
                    return NEED_DATA
            reply = self._assemble(batch)
            if reply is None:
                continue
            event = self._on_reply(reply)
            if self._queue:
                self._release()
            if self._held and not self._lines:
                self._resolve_held()
                if event is None and self._ready_replies:
                    return self._ready_replies.pop()
            if event is not None:
                return event

    def _assemble(self, batch: list[bytes]) -> Reply | None:
        """Add lines of a reply; the :class:`Reply` once its last line is among them.

        ``batch`` never holds a line after one that does not continue a reply (``NNN-``).
        """
        lines = self._lines
        if not lines:
            first = batch[0]
            if len(batch) > 1:
                # A whole multi-line reply at once: a valid first line ("NNN-") and last line
                # ("NNN text"), and quick_reply checks the lines between.
                tail = batch[-1]
                code = REPLY_CODES.get(first[:3])
                if (
                    code is not None
                    and first[3:4] == b"-"
                    and tail[3:4] == b" "
                    and tail[:3] == first[:3]
                ):
                    quick = quick_reply(code, batch)
                    if quick is not None:
                        return quick
            elif len(batch) == 1:
                # Servers repeat the same few replies: a known single-line reply is reused.
                cached = self._reply_cache.get(first)
                if cached is not None:
                    return cached
            code, last = reply_line_code(first)
            if last:
                reply = reply_from_lines(code, batch)
                if len(self._reply_cache) < 64 and code != 421:
                    self._reply_cache[first] = reply
                return reply
            self._code = code
            self._continued = first[:4]
            self._final = first[:3] + b" "
        tail = batch[-1]
        if tail[3:4] != b"-":
            lines += batch
            if tail[:4] == self._final or tail == self._final[:3]:
                self._lines = []
                # The usual case checks its lines as it goes; otherwise check them here.
                quick = quick_reply(self._code, lines)
                if quick is not None:
                    return quick
                self._check_continued(lines[:-1])
                return reply_from_lines(self._code, lines)
            self._check_continued(batch[:-1])
            raise self._stray_line(tail)
        self._check_continued(batch)
        lines += batch
        if len(lines) >= self.max_reply_lines:
            raise RemoteProtocolError(
                f"reply with more than {self.max_reply_lines} lines",
                kind=ErrorKind.TOO_BIG,
                limit=self.max_reply_lines,
                fatal=True,
            )
        return None

    def _check_continued(self, body: list[bytes]) -> None:
        """Raise for the first of these lines that does not continue the reply."""
        continued = self._continued
        if body and (b"\n" + b"\n".join(body)).count(b"\n" + continued) != len(body):
            for line in body:
                if not line.startswith(continued):
                    raise self._stray_line(line)

    def _stray_line(self, line: bytes) -> RemoteProtocolError:
        """The error for a line inside a multi-line reply that does not belong to it."""
        code, _ = reply_line_code(line)  # raises for a line that is no reply line at all
        # A reply line with the same code would have continued or ended the reply.
        return RemoteProtocolError(
            f"reply line with code {code} inside a {self._code} reply",
            kind=ErrorKind.SYNTAX,
            fatal=True,
        )

    def _on_reply(self, reply: Reply) -> Reply | None:
        code = reply.code
        awaiting = self._awaiting
        if not awaiting:
            if code == 421:
                self._shut()
                return reply
            raise RemoteProtocolError(
                f"unexpected reply {code} with no command outstanding",
                kind=ErrorKind.SYNTAX,
                fatal=True,
            )
        command = awaiting[0]
        ok = 200 <= code < 300
        cls = type(command)
        if code != 421:
            # The common cases, with nothing else to update.
            if cls is RcptTo:
                awaiting.popleft()
                if ok:
                    self._accepted += 1
                return reply
            if cls in _PLAIN_TYPES:
                awaiting.popleft()
                self._blocking -= 1
                return reply
        try:
            return self._on_other_reply(reply, command)
        finally:
            self._refresh_ready()

    def _on_other_reply(self, reply: Reply, command: Command | EndOfData | None) -> Reply | None:
        code = reply.code
        ok = 200 <= code < 300
        awaiting = self._awaiting
        if isinstance(command, Auth) and code == 334:
            return self._on_challenge(reply)
        if self.lmtp and (
            isinstance(command, EndOfData) or (isinstance(command, Bdat) and command.last)
        ):
            # LMTP: one reply per accepted recipient (RFC 2033 section 4.2).
            if self._owed == 0:
                self._owed = max(self._accepted, 1)
            self._owed -= 1
            answered = self._owed == 0
        else:
            answered = True
        if answered:
            awaiting.popleft()
            if type(command) not in _PIPELINABLE_TYPES:
                self._blocking -= 1
        if code == 421:
            self._shut()
            return reply
        if command is _Greeting:
            self._greeted = True
            if not ok:
                self._shut()
        elif isinstance(command, Hello):
            if ok:
                self._ehlo_answered = True
                if command.extended:
                    self.extensions = parse_ehlo_keywords(reply)
                    self._pipelining = self.use_pipelining and "PIPELINING" in self.extensions
            elif (
                command.command == "EHLO"
                and self.helo_fallback
                and code in _HELO_FALLBACK_CODES
                and self.ehlo_reply is None
            ):
                self.ehlo_reply = reply
                helo = Hello("HELO", command.domain)
                self._queue.appendleft((_CMD, serialize_command(helo), helo))
                return None
            else:
                self._hello_sent = False
        elif isinstance(command, MailFrom):
            self._accepted = 0
        elif isinstance(command, RcptTo):
            if ok:
                self._accepted += 1
        elif isinstance(command, Data):
            if code == 354:
                self._data_open = True
            else:
                self._drop_content()
        elif isinstance(command, StartTLSCommand):
            if code == 220:
                self.extensions = {}
                self._ehlo_answered = False
                self._pipelining = False
                self._hello_sent = False
                self._begin_tls()
            else:
                self._starttls_outstanding = False
        elif isinstance(command, Auth):
            self._auth_outstanding = False
            self._auth_challenged = False
            mech = self._auth_mech
            self._auth_mech = None
            if ok and mech is not None and not self._auth_verified:
                mech.verify(None)
        elif isinstance(command, Quit):
            self._shut()
        return reply

    def _on_challenge(self, reply: Reply) -> Reply | None:
        mech = self._auth_mech
        if mech is None:
            self._auth_challenged = True
            return reply
        text = reply.lines[0].strip()
        try:
            challenge = base64.b64decode(text, validate=True) if text else b""
        except (binascii.Error, ValueError):
            raise RemoteProtocolError(
                "malformed base64 in a 334 challenge", kind=ErrorKind.AUTHENTICATION
            ) from None
        try:
            if mech.complete:
                mech.verify(challenge)
                self._auth_verified = True
                response = b""
            else:
                response = mech.respond(challenge)
        except SASLError:
            # Cancel the exchange (the server answers 501), then report the failure.
            self._queue.append((_FOLLOW, b"*\r\n", None))
            self._release()
            raise
        self._queue.append((_FOLLOW, serialize_command(AuthResponse(response)), None))
        return None

    def _drop_content(self) -> None:
        """DATA was refused: forget the content queued for it, and what is still to come."""
        queue = self._queue
        while queue and queue[0][0] == _DATA:
            _, _, command = queue.popleft()
            if isinstance(command, EndOfData):
                return
        if self._tx == "data":
            self._discarding = True

    def _shut(self) -> None:
        if self._rcpt_paths:
            self._flush_rcpts()  # written before the end: their bytes still go out
        self._queue.clear()
        self._awaiting.clear()
        self._owed = 0
        self._blocking = 0
        self._close()

    def tls_started(self) -> None:
        """The driver has upgraded the transport; send EHLO again next (RFC 3207)."""
        super().tls_started()
        self._starttls_outstanding = False
        self._detour = self._needs_detour()
        self._refresh_ready()
        self._release()


class LmtpClient(SmtpClient):
    """An LMTP (RFC 2033) client: :class:`SmtpClient` with ``lmtp=True``."""

    def __init__(
        self,
        *,
        pipelining: bool = True,
        max_reply_line_length: int = 8192,
        max_reply_lines: int = 1000,
        max_buffer_size: int = 1 << 20,
    ) -> None:
        super().__init__(
            lmtp=True,
            pipelining=pipelining,
            helo_fallback=False,
            max_reply_line_length=max_reply_line_length,
            max_reply_lines=max_reply_lines,
            max_buffer_size=max_buffer_size,
        )
