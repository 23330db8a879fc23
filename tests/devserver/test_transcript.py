"""The transcript recorder."""

from __future__ import annotations

import enum
import threading

from mailproto.connection import NEED_DATA, Event, Role, Sentinel
from mailproto.devserver import RecordingConnection, Transcript, TranscriptLine


class _State(enum.Enum):
    IDLE = "idle"


class EchoConnection:
    """A minimal connection: it queues back each line it receives."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.state = _State.IDLE
        self.should_close = False
        self.read_timeout = None
        self.out = b""
        self.tls = False
        self.extra = "passed through"

    def receive_data(self, data: bytes) -> None:
        self.out += data.upper()

    def next_event(self) -> Event | Sentinel:
        return NEED_DATA

    def send(self, event: Event) -> None:
        pass

    def data_to_send(self) -> bytes:
        out, self.out = self.out, b""
        return out

    def tls_started(self) -> None:
        self.tls = True


def test_server_side_records_both_directions() -> None:
    transcript = Transcript()
    conn = transcript.wrap(EchoConnection(Role.SERVER), "mua -> mx")
    assert isinstance(conn, RecordingConnection)
    conn.receive_data(b"ehlo a\r\nno")
    assert conn.data_to_send() == b"EHLO A\r\nNO"
    conn.receive_data(b"op\r\n")
    conn.data_to_send()
    transcript.note("mua -> mx", "delivered\nto bea")
    assert transcript.lines == [
        TranscriptLine("mua -> mx", "C", "ehlo a"),
        TranscriptLine("mua -> mx", "S", "EHLO A"),
        TranscriptLine("mua -> mx", "C", "noop"),
        TranscriptLine("mua -> mx", "S", "NOOP"),
        TranscriptLine("mua -> mx", "#", "delivered"),
        TranscriptLine("mua -> mx", "#", "to bea"),
    ]
    assert conn.extra == "passed through"
    assert conn.role is Role.SERVER
    assert conn.state is _State.IDLE
    assert conn.should_close is False
    assert conn.read_timeout is None
    assert conn.next_event() is NEED_DATA


def test_client_side_labels_and_render() -> None:
    transcript = Transcript()
    conn = transcript.wrap(EchoConnection(Role.CLIENT), "relay")
    conn.receive_data(b"220 hi\r\n")
    conn.data_to_send()
    other = transcript.wrap(EchoConnection(Role.CLIENT), "pop")
    other.receive_data(b"+ok\r\n")
    conn.tls_started()
    assert conn.wrapped.tls  # type: ignore[attr-defined]
    assert transcript.render() == (
        "[relay]\n  S: 220 hi\n  C: 220 HI\n[pop]\n  S: +ok\n"
        "[relay]\n  # TLS handshake done; the rest is encrypted\n"
    )
    assert transcript.render(hops=False).startswith("  S: 220 hi\n")
    assert Transcript().render() == ""


def test_unfinished_and_long_lines() -> None:
    transcript = Transcript(max_line=10)
    transcript.record("h", "C", b"\xff\xfeabc")
    assert transcript.lines == [TranscriptLine("h", "C", "\\xff\\xfeabc")]
    transcript.record("h", "C", b"\r\n" + b"x" * 25 + b"\r\n")
    assert transcript.lines[1] == TranscriptLine("h", "C", "xxxxxxxxxx... (25 octets)")
    transcript.record("h", "S", b"y" * 100)
    assert transcript.lines[-1].text.endswith("(100 octets)")
    assert len(list(transcript)) == 3


def test_threads_record_whole_lines() -> None:
    transcript = Transcript()

    def talk(hop: str) -> None:
        for i in range(200):
            transcript.record(hop, "C", b"line %d\r\n" % i)

    threads = [threading.Thread(target=talk, args=(f"h{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    for n in range(4):
        mine = [line.text for line in transcript.lines if line.hop == f"h{n}"]
        assert mine == [f"line {i}" for i in range(200)]
