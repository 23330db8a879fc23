"""BaseConnection: the plumbing every protocol connection shares."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mailproto import (
    NEED_DATA,
    BaseConnection,
    Connection,
    ConnectionClosed,
    ErrorKind,
    Event,
    LocalProtocolError,
    RemoteProtocolError,
    Role,
    StartTLS,
)
from mailproto._buffer import ReceiveBuffer
from mailproto.connection import Sentinel


@dataclass(frozen=True, slots=True)
class Line(Event):
    """A line the toy server received or sends."""

    text: bytes


class ToyServer(BaseConnection):
    """Echoes lines; STARTTLS agrees to TLS, QUIT ends the conversation."""

    def __init__(self) -> None:
        super().__init__(Role.SERVER, ReceiveBuffer(max_line_length=100))

    @property
    def state(self) -> Role:  # any enum will do for the toy
        return self.role

    def _next_event(self) -> Event | Sentinel:
        line = self._buffer.read_line()
        if line is None:
            return NEED_DATA
        if line == b"STARTTLS":
            self._write(b"OK begin TLS\r\n")
            self._begin_tls()
            return self.next_event()
        if line == b"QUIT":
            self._write(b"BYE\r\n")
            self._close()
        return Line(line)

    def send(self, event: Event) -> None:
        if not isinstance(event, Line):
            raise LocalProtocolError("the toy only sends lines")
        self._write(event.text + b"\r\n")


def events(conn: BaseConnection) -> list[object]:
    out: list[object] = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            return out
        out.append(event)
        if isinstance(event, ConnectionClosed):
            return out


def test_toy_is_a_connection() -> None:
    assert isinstance(ToyServer(), Connection)


def test_lines_and_output_queue() -> None:
    conn = ToyServer()
    conn.receive_data(b"hello\r\nwor")
    assert events(conn) == [Line(b"hello")]
    conn.send(Line(b"hi"))
    conn.send(Line(b"there"))
    assert conn.data_to_send() == b"hi\r\nthere\r\n"
    assert conn.data_to_send() == b""
    conn.receive_data(b"ld\r\n")
    assert events(conn) == [Line(b"world")]


def test_starttls_discards_pipelined_plaintext() -> None:
    conn = ToyServer()
    conn.receive_data(b"STARTTLS\r\nINJECTED\r\n")
    assert conn.next_event() == StartTLS(discarded=b"INJECTED\r\n")
    assert conn.data_to_send() == b"OK begin TLS\r\n"
    assert conn.next_event() is NEED_DATA
    with pytest.raises(LocalProtocolError) as info:
        conn.receive_data(b"more plaintext")
    assert info.value.kind is ErrorKind.PLAINTEXT_AFTER_STARTTLS
    conn.tls_started()
    assert conn.tls_active
    conn.receive_data(b"secret\r\n")
    assert events(conn) == [Line(b"secret")]


def test_tls_started_without_starttls_is_misuse() -> None:
    with pytest.raises(LocalProtocolError):
        ToyServer().tls_started()


def test_clean_close() -> None:
    conn = ToyServer()
    conn.receive_data(b"QUIT\r\n")
    assert events(conn) == [Line(b"QUIT")]
    assert conn.should_close
    conn.receive_data(b"")
    assert events(conn) == [ConnectionClosed()]
    assert conn.next_event() == ConnectionClosed()


def test_close_mid_line_is_reported() -> None:
    conn = ToyServer()
    conn.receive_data(b"half a li")
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        conn.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF and info.value.fatal
    assert "9 bytes" in str(info.value)
    assert conn.should_close
    assert conn.next_event() == ConnectionClosed()


def test_data_after_eof_is_misuse() -> None:
    conn = ToyServer()
    conn.receive_data(b"")
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"late")


def test_error_repr_names_kind_and_limit() -> None:
    err = RemoteProtocolError("line longer than 5 bytes", kind=ErrorKind.LINE_TOO_LONG, limit=5)
    assert (
        repr(err) == "RemoteProtocolError('line longer than 5 bytes', kind=LINE_TOO_LONG, limit=5)"
    )


def test_between_commands_follows_the_buffer() -> None:
    conn = ToyServer()
    assert conn.between_commands
    conn.receive_data(b"half")
    assert events(conn) == []
    assert not conn.between_commands
    conn.receive_data(b" a line\r\n")
    assert events(conn) == [Line(b"half a line")]
    assert conn.between_commands
    conn._buffer.begin_block()
    assert not conn.between_commands
