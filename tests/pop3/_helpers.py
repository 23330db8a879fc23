"""Drive POP3 connections in memory for the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mailproto import NEED_DATA, ConnectionClosed, RemoteProtocolError
from mailproto.connection import Event
from mailproto.pop3 import (
    Err,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    OpenMaildrop,
    POP3Client,
    POP3Server,
    RetrieveMessage,
    Update,
)


class Mailbox:
    """A tiny maildrop application for a POP3Server."""

    def __init__(
        self,
        messages: Sequence[bytes],
        uids: Sequence[str] | None = None,
        *,
        signoff: str = "POP3 server signing off",
        chunk: int = 1 << 16,
    ) -> None:
        self.messages = list(messages)
        self.uids = list(uids) if uids is not None else [f"uid{n}" for n in range(len(messages))]
        self.signoff = signoff
        self.chunk = chunk
        self.deleted: list[int] = []
        self.opened: list[OpenMaildrop] = []
        self.errors: list[RemoteProtocolError] = []
        self.events: list[Event] = []

    def sizes(self) -> tuple[int, ...]:
        return tuple(len(m) for m in self.messages)

    def answer(self, server: POP3Server, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, OpenMaildrop):
            self.opened.append(event)
            server.send(Maildrop(self.sizes(), tuple(self.uids)))
        elif isinstance(event, RetrieveMessage):
            data = self.messages[event.msg - 1]
            server.send(MessageStart())
            for start in range(0, len(data), self.chunk):
                server.send(MessageData(data[start : start + self.chunk]))
            server.send(MessageEnd())
        elif isinstance(event, Update):
            self.deleted.extend(event.deleted)
            server.send(Ok(self.signoff))


def pump_server(
    server: POP3Server,
    data: bytes,
    answer: Callable[[POP3Server, Event], None],
    errors: list[RemoteProtocolError] | None = None,
) -> bytes:
    """Feed ``data``, answer every event, send every error's reply; return what the server wrote."""
    server.receive_data(data)
    while True:
        try:
            event = server.next_event()
        except RemoteProtocolError as error:
            if errors is not None:
                errors.append(error)
            assert isinstance(error.reply, Err)
            server.send(error.reply)
            continue
        if event is NEED_DATA:
            break
        answer(server, event)
        if server.should_close:
            break
    return server.data_to_send()


def client_events(client: POP3Client, data: bytes) -> list[Event]:
    """Feed ``data`` to the client and return every event up to NEED_DATA."""
    client.receive_data(data)
    events: list[Event] = []
    while True:
        event = client.next_event()
        if event is NEED_DATA:
            return events
        assert isinstance(event, Event)
        events.append(event)
        if isinstance(event, ConnectionClosed):
            return events


def merge_data(events: list[Event]) -> list[Event]:
    """Join consecutive MessageData events, so tests do not depend on chunking."""
    merged: list[Event] = []
    for event in events:
        if isinstance(event, MessageData) and merged and isinstance(merged[-1], MessageData):
            merged[-1] = MessageData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def run_pair(
    client: POP3Client,
    server: POP3Server,
    answer: Callable[[POP3Server, Event], None],
    on_event: Callable[[Event], None] | None = None,
) -> list[Event]:
    """Move bytes between the two until neither has anything to say; return the client's events."""
    events: list[Event] = []
    to_client = server.data_to_send()
    while True:
        if to_client:
            new = client_events(client, to_client)
            events.extend(new)
            if on_event is not None:
                for event in new:
                    on_event(event)
        to_server = client.data_to_send()
        if not to_server and not to_client:
            return events
        to_client = pump_server(server, to_server, answer) if to_server else b""
