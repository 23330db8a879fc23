"""Run RFC transcripts (``S:``/``C:`` lines) against our client or server, byte for byte."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailproto import NEED_DATA, Event, StartTLS
from mailproto.smtp import Reply, SmtpClient, SmtpServer


@dataclass
class Step:
    side: str  # "C", "S" or "TLS"
    data: bytes


def transcript(text: str) -> list[Step]:
    """Parse ``S: line`` / ``C: line`` / ``TLS`` lines; consecutive lines of a side merge."""
    steps: list[Step] = []
    for raw in text.strip("\n").split("\n"):
        if raw.strip() == "TLS":
            steps.append(Step("TLS", b""))
            continue
        side, _, line = raw.partition(":")
        line = line[1:]  # the space after the colon
        assert side in ("S", "C"), raw
        data = line.encode("utf-8") + b"\r\n"
        if steps and steps[-1].side == side:
            steps[-1].data += data
        else:
            steps.append(Step(side, data))
    return steps


def replies_of(data: bytes) -> list[Reply]:
    """Split server lines into Reply events, independently of the library's parser."""
    replies: list[Reply] = []
    lines: list[str] = []
    for line in data.decode().split("\r\n")[:-1]:
        lines.append(line[4:])
        if line[3:4] != "-":
            replies.append(Reply(int(line[:3]), tuple(lines)))
            lines = []
    return replies


def drain(conn: SmtpClient | SmtpServer) -> list[Event]:
    """Every event available now."""
    out: list[Event] = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            return out
        assert isinstance(event, Event)
        out.append(event)


def pieces(data: bytes, chunk: int | None) -> Iterable[bytes]:
    if chunk is None:
        return [data]
    return [data[i : i + chunk] for i in range(0, len(data), chunk)]


def run_server(
    server: SmtpServer,
    steps: list[Step],
    *,
    chunk: int | None = None,
    replies: list[Reply] | None = None,
    answer: Callable[[Event], Reply | None] | None = None,
) -> list[Event]:
    """Feed all client lines (segment by segment around TLS) and answer each event that needs a
    reply with the transcript's next reply (or ``answer(event)``); the server's output must be
    exactly the transcript's server lines. Returns the events."""
    queue = (
        list(replies)
        if replies is not None
        else [r for s in steps if s.side == "S" for r in replies_of(s.data)]
    )
    expected = b"".join(s.data for s in steps if s.side == "S")
    events: list[Event] = []
    out = bytearray()

    def serve() -> None:
        while True:
            event = server.next_event()
            if event is NEED_DATA:
                return
            assert isinstance(event, Event)
            events.append(event)
            while server.awaiting_reply:  # LMTP answers a message once per recipient
                reply = answer(event) if answer is not None else None
                server.send(reply if reply is not None else queue.pop(0))
            if isinstance(event, StartTLS):
                return

    serve()
    for step in steps:
        if step.side == "C":
            for piece in pieces(step.data, chunk):
                server.receive_data(piece)
                serve()
        elif step.side == "TLS":
            serve()
            out += server.data_to_send()
            server.tls_started()
            serve()
    serve()
    out += server.data_to_send()
    assert bytes(out) == expected
    assert not queue, f"replies left over: {queue}"
    return events


def run_client(
    client: SmtpClient,
    steps: list[Step],
    commands: Iterable[Event],
    *,
    chunk: int | None = None,
    after_tls: Iterable[Event] = (),
) -> list[Event]:
    """Send every command up front, then feed the server lines in order; before each server
    line the client must have written exactly the client lines that precede it."""
    for command in commands:
        client.send(command)
    events: list[Event] = []
    expected = bytearray()
    for step in steps:
        if step.side == "C":
            expected += step.data
        elif step.side == "S":
            assert client.data_to_send() == bytes(expected)
            expected.clear()
            for piece in pieces(step.data, chunk):
                client.receive_data(piece)
                events.extend(drain(client))
        else:
            assert isinstance(events[-1], StartTLS) or isinstance(events[-2], StartTLS)
            client.tls_started()
            for command in after_tls:
                client.send(command)
    assert client.data_to_send() == bytes(expected)
    return events
