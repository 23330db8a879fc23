"""A small line protocol on top of BaseConnection, to exercise the drivers without a mail protocol.

The client sends ``VERB argument`` lines; the server answers each with ``STATUS text``.
``STARTTLS`` answered with ``OK`` starts TLS; ``QUIT`` answered with anything ends the session.
Commands may be pipelined; replies come in order.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from mailproto._buffer import ReceiveBuffer
from mailproto.connection import NEED_DATA, BaseConnection, Event, Role, Sentinel
from mailproto.errors import ErrorKind, LocalProtocolError, RemoteProtocolError

VERBS = frozenset({"ECHO", "STARTTLS", "QUIT", "WHO", "BOOM", "SLOW", "HANG", "FATAL", "BIG"})


@dataclass(frozen=True, slots=True)
class Command(Event):
    verb: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Reply(Event):
    status: str
    text: str = ""


class State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


def _line(first: str, rest: str) -> bytes:
    return (f"{first} {rest}" if rest else first).encode("utf-8") + b"\r\n"


def _decode(line: bytes) -> tuple[str, str]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError("line is not UTF-8", reply=Reply("ERR", "bad bytes")) from exc
    first, _, rest = text.partition(" ")
    return first, rest


class LineServer(BaseConnection):
    def __init__(self, *, read_timeout: float | None = None, max_line_length: int = 1000) -> None:
        super().__init__(Role.SERVER, ReceiveBuffer(max_line_length=max_line_length))
        self._pending: deque[str] = deque()
        self._state = State.OPEN
        self._read_timeout = read_timeout

    @property
    def state(self) -> State:
        return self._state

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _next_event(self) -> Event | Sentinel:
        try:
            line = self._buffer.read_line()
            if line is None:
                return NEED_DATA
            verb, arg = _decode(line)
        except RemoteProtocolError as err:
            if err.reply is None:
                err.reply = Reply("ERR", "line too long")
            self._pending.append("ERROR")  # the error's reply answers it
            raise
        verb = verb.upper()
        if verb == "FATAL":
            self._pending.append("FATAL")
            raise RemoteProtocolError("fatal", reply=Reply("ERR", "goodbye"), fatal=True)
        if verb not in VERBS:
            self._pending.append("ERROR")
            raise RemoteProtocolError(
                f"unknown command {verb!r}",
                kind=ErrorKind.UNKNOWN_COMMAND,
                reply=Reply("ERR", "unknown command"),
            )
        self._pending.append(verb)
        return Command(verb, arg)

    def send(self, event: Event) -> None:
        if not isinstance(event, Reply):
            raise LocalProtocolError(f"a server sends replies, not {event!r}")
        if not self._pending and event.status != "BYE":
            raise LocalProtocolError("no command to answer")
        verb = self._pending.popleft() if self._pending else "QUIT"  # BYE may come unasked
        self._write(_line(event.status, event.text))
        if verb == "STARTTLS" and event.status == "OK":
            self._begin_tls()
        if verb in ("QUIT", "FATAL"):
            self._state = State.CLOSED
            self._close()


class LineClient(BaseConnection):
    def __init__(self, *, read_timeout: float | None = None) -> None:
        super().__init__(Role.CLIENT, ReceiveBuffer(max_line_length=1 << 20))
        self._pending: deque[str] = deque()
        self._state = State.OPEN
        self._read_timeout = read_timeout

    @property
    def state(self) -> State:
        return self._state

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def send(self, event: Event) -> None:
        if not isinstance(event, Command):
            raise LocalProtocolError(f"a client sends commands, not {event!r}")
        self._write(_line(event.verb, event.arg))
        self._pending.append(event.verb)

    def _next_event(self) -> Event | Sentinel:
        line = self._buffer.read_line()
        if line is None:
            return NEED_DATA
        status, text = _decode(line)
        if not self._pending and status != "BYE":
            raise RemoteProtocolError(f"unsolicited reply {line!r}")
        verb = self._pending.popleft() if self._pending else "QUIT"
        if verb == "STARTTLS" and status == "OK":
            self._begin_tls()
        if verb == "QUIT" or status == "BYE":
            self._state = State.CLOSED
            self._close()
        return Reply(status, text)


def answer(command: Command, tls: bool) -> Reply:
    """What the test servers reply (BOOM, SLOW and HANG are handled by the handlers)."""
    if command.verb == "ECHO":
        return Reply("OK", command.arg)
    if command.verb == "STARTTLS":
        return Reply("OK", "go ahead")
    if command.verb == "QUIT":
        return Reply("BYE", "see you")
    if command.verb == "WHO":
        return Reply("OK", "tls" if tls else "plain")
    if command.verb == "BIG":
        return Reply("OK", "x" * int(command.arg))
    return Reply("OK", command.verb.lower())
