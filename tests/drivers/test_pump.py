"""The sans-I/O pump on its own: the exact actions it asks a driver to carry out."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.connection import ConnectionClosed, StartTLS
from mailproto.drivers._pump import (
    LINGER_TIMEOUT,
    READ_SIZE,
    Close,
    Pump,
    Read,
    ShutdownWrite,
    Step,
    UpgradeTLS,
    Write,
)
from mailproto.errors import RemoteProtocolError

from ._lineproto import Command, LineClient, LineServer, Reply, answer


def drive(step: Step, script: list[tuple[Any, Any]]) -> Any:
    """Check each action against ``script`` (expected action, result to give) and return."""
    result: Any = None
    error: BaseException | None = None
    for expected, outcome in script:
        action = step.throw(error) if error is not None else step.send(result)
        assert action == expected
        if isinstance(outcome, BaseException):
            result, error = None, outcome
        else:
            result, error = outcome, None
    with pytest.raises(StopIteration) as stop:
        step.throw(error) if error is not None else step.send(result)
    return stop.value.value


def test_send_writes_and_next_event_reads() -> None:
    pump = Pump(LineClient(), idle_timeout=5.0)
    drive(pump.send((Command("ECHO", "a"), Command("ECHO", "b"))), [
        (Write(b"ECHO a\r\nECHO b\r\n", 5.0), None),
    ])  # fmt: skip
    event = drive(pump.next_event(), [
        (Read(READ_SIZE, 5.0, True), b"OK a\r\nOK"),
    ])  # fmt: skip
    assert event == Reply("OK", "a")
    # The rest of a half-received line is not an idle read.
    event = drive(pump.next_event(), [(Read(READ_SIZE, 5.0, False), b" b\r\n")])
    assert event == Reply("OK", "b")


def test_connection_advice_overrides_idle_timeout() -> None:
    pump = Pump(LineClient(read_timeout=0.5), idle_timeout=None)
    assert pump.read_timeout == 0.5
    pump = Pump(LineClient(), idle_timeout=None)
    assert pump.read_timeout is None
    event = drive(pump.next_event(), [(Read(READ_SIZE, None, True), b""), (Close(), None)])
    assert event == ConnectionClosed()
    assert pump.closed  # at EOF: no half-close and no lingering, just close


def test_client_upgrades_before_returning_the_agreeing_reply() -> None:
    pump = Pump(LineClient(), idle_timeout=5.0)
    drive(pump.send((Command("STARTTLS"),)), [(Write(b"STARTTLS\r\n", 5.0), None)])
    event = drive(pump.next_event(), [
        (Read(READ_SIZE, 5.0, True), b"OK go ahead\r\nsmuggled"),
        (UpgradeTLS(False, 5.0), b""),
    ])  # fmt: skip
    assert event == Reply("OK", "go ahead")
    assert pump.tls
    assert pump.last_starttls == StartTLS(discarded=b"smuggled")


def test_server_upgrades_after_flushing_its_reply() -> None:
    conn = LineServer()
    pump = Pump(conn, idle_timeout=5.0)
    event = drive(pump.next_event(), [
        (Read(READ_SIZE, 5.0, True), b"STARTTLS\r\nECHO injected\r\n"),
    ])  # fmt: skip
    assert event == Command("STARTTLS")
    drive(pump.send((Reply("OK", "go ahead"),)), [
        (Write(b"OK go ahead\r\n", 5.0), None),
        (UpgradeTLS(True, 5.0), b"more plaintext"),
    ])  # fmt: skip
    assert pump.last_starttls == StartTLS(discarded=b"ECHO injected\r\nmore plaintext")
    assert conn.tls_active


def test_final_reply_closes_with_half_close_and_linger() -> None:
    pump = Pump(LineServer(), idle_timeout=5.0)
    drive(pump.next_event(), [(Read(READ_SIZE, 5.0, True), b"QUIT\r\n")])
    drive(pump.send((Reply("BYE", "see you"),)), [
        (Write(b"BYE see you\r\n", 5.0), None),
        (ShutdownWrite(), True),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), b"late pipelined bytes"),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), b""),
        (Close(), None),
    ])  # fmt: skip
    assert pump.closed
    assert drive(pump.next_event(), []) == ConnectionClosed()
    with pytest.raises(ConnectionError):
        drive(pump.send((Reply("OK"),)), [])


def test_close_survives_transport_errors() -> None:
    pump = Pump(LineClient(), idle_timeout=1.0)
    drive(pump.close(), [
        (ShutdownWrite(), True),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), TimeoutError()),
        (Close(), None),
    ])  # fmt: skip
    pump = Pump(LineClient(), idle_timeout=1.0, tls=True)
    drive(pump.close(), [(ShutdownWrite(), False), (Close(), None)])


def test_recover_answers_and_closes_on_fatal_errors() -> None:
    pump = Pump(LineServer(), idle_timeout=1.0)
    with pytest.raises(RemoteProtocolError) as info:
        drive(pump.next_event(), [(Read(READ_SIZE, 1.0, True), b"NOPE\r\nFATAL\r\n")])
    assert drive(pump.recover(info.value), [(Write(b"ERR unknown command\r\n", 1.0), None)])
    with pytest.raises(RemoteProtocolError) as info:
        drive(pump.next_event(), [])
    assert info.value.fatal
    going_on = drive(pump.recover(info.value), [
        (Write(b"ERR goodbye\r\n", 1.0), None),
        (ShutdownWrite(), True),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), b""),
        (Close(), None),
    ])  # fmt: skip
    assert going_on is False


def test_importing_the_drivers_does_not_need_trio() -> None:
    code = (
        "import sys, mailproto.drivers, mailproto.drivers.asyncio, mailproto.drivers.threaded;"
        "print('trio' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_next_event_nowait_takes_buffered_events_and_defers_the_rest() -> None:
    pump = Pump(LineClient(), idle_timeout=1.0)
    drive(pump.send((Command("ECHO", "a"), Command("ECHO", "b"), Command("QUIT"))), [
        (Write(b"ECHO a\r\nECHO b\r\nQUIT\r\n", 1.0), None),
    ])  # fmt: skip
    assert pump.next_event_nowait() is None  # nothing received yet
    event = drive(pump.next_event(), [
        (Read(READ_SIZE, 1.0, True), b"OK a\r\nOK b\r\nBYE see you\r\n"),
    ])  # fmt: skip
    assert event == Reply("OK", "a")
    assert pump.next_event_nowait() == Reply("OK", "b")
    # The last reply ends the conversation: it needs a close, so next_event must return it.
    assert pump.next_event_nowait() is None
    assert not pump.closed
    event = drive(pump.next_event(), [
        (ShutdownWrite(), True),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), b""),
        (Close(), None),
    ])  # fmt: skip
    assert event == Reply("BYE", "see you")
    assert pump.next_event_nowait() is None
    assert drive(pump.next_event(), []) == ConnectionClosed()


@settings(max_examples=60)
@given(
    args=st.lists(st.text(alphabet="abc xyz", max_size=12), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
    nowait=st.booleans(),
)
def test_any_chunking_gives_the_same_replies(
    args: list[str], cuts: list[int], nowait: bool
) -> None:
    """However the input is cut into reads, a server writes the same bytes and ends the same."""
    data = b"".join(b"ECHO " + a.encode() + b"\r\n" for a in args) + b"QUIT\r\n"
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[i:j] for i, j in itertools.pairwise(bounds)]
    pump = Pump(LineServer(), idle_timeout=1.0)
    written: list[bytes] = []

    def execute(step: Step) -> Any:
        result: Any = None
        while True:
            try:
                action = step.send(result)
            except StopIteration as stop:
                return stop.value
            if isinstance(action, Read):
                result = chunks.pop(0) if chunks else b""
            elif isinstance(action, Write):
                written.append(action.data)
                result = None
            elif isinstance(action, ShutdownWrite):
                result = True
            else:
                result = None

    events = []
    while True:
        event = (pump.next_event_nowait() if nowait else None) or execute(pump.next_event())
        if event == ConnectionClosed():
            break
        events.append(event)
        execute(pump.send((answer(event, tls=False),)))
    assert events == [*(Command("ECHO", a) for a in args), Command("QUIT")]
    expected = b"".join((b"OK " + a.encode() if a else b"OK") + b"\r\n" for a in args)
    assert b"".join(written) == expected + b"BYE see you\r\n"
    assert pump.closed


def test_a_read_inside_message_content_is_not_idle() -> None:
    # A server shutting down may cut idle reads; one waiting for the rest of DATA is not idle,
    # even when the last bytes received ended a line.
    from mailproto import NEED_DATA
    from mailproto.smtp import SmtpServer

    server = SmtpServer()
    server.receive_data(b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n")
    server.receive_data(b"DATA\r\n")
    while server.next_event() is not NEED_DATA:
        server.accept()
    assert server.data_to_send().endswith(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    assert not server.between_commands
    pump = Pump(server, idle_timeout=5.0)
    step = pump.next_event()
    assert step.send(None) == Read(READ_SIZE, server.read_timeout, False)


def test_a_read_between_commands_is_idle() -> None:
    from mailproto.smtp import SmtpServer

    server = SmtpServer()
    assert server.between_commands
    server.receive_data(b"EHLO c.exa")
    assert not server.between_commands


def test_send_nowait_hands_over_the_write_or_defers_to_after_send() -> None:
    server = LineServer()
    pump = Pump(server, idle_timeout=2.0)
    server.receive_data(b"ECHO a\r\nSTARTTLS\r\nQUIT\r\n")
    # A plain reply: the one write, for the driver to carry out itself.
    assert pump.next_event_nowait() == Command("ECHO", "a")
    assert pump.send_nowait((Reply("OK", "a"),)) == Write(b"OK a\r\n", 2.0)
    # A reply that starts TLS: after_send writes it, then upgrades.
    assert pump.next_event_nowait() == Command("STARTTLS", "")
    assert pump.send_nowait((Reply("OK", "go ahead"),)) is None
    drive(pump.after_send(), [
        (Write(b"OK go ahead\r\n", 2.0), None),
        (UpgradeTLS(True, 2.0), b""),
    ])  # fmt: skip
    assert pump.tls and pump.last_starttls == StartTLS(b"QUIT\r\n")
    # A reply that ends the session: after_send writes it and closes.
    server.receive_data(b"QUIT\r\n")
    assert pump.next_event_nowait() == Command("QUIT", "")
    assert pump.send_nowait((Reply("BYE", "see you"),)) is None
    drive(pump.after_send(), [
        (Write(b"BYE see you\r\n", 2.0), None),
        (ShutdownWrite(), True),
        (Read(READ_SIZE, LINGER_TIMEOUT, True), b""),
        (Close(), None),
    ])  # fmt: skip
    with pytest.raises(ConnectionError):
        pump.send_nowait((Reply("OK", "late"),))
