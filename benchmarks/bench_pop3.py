"""POP3 downloads through our client and server state machines against stdlib ``poplib``.

Ours: a :class:`POP3Client` sends ``RETR``, a :class:`POP3Server` parses it, streams the message
through its dot-stuffer in 64 KiB pieces, and the client unstuffs the answer it is fed in 64 KiB
reads, as a driver would; both sides' work is timed. The peer: ``poplib.POP3.retr`` reading the
same server answer from an in-memory socket (its side only, the server's bytes prepared in
advance), which is the whole of what a poplib user pays.

Fairness: the comparison leans against us, as our figure includes the server's work and
poplib's does not. Our server runs with ``crlf_messages=True``, as an application whose store
holds CRLF messages (these are) would: it then skips checking the line endings. The line "server
checking line endings" shows the default, which rewrites bare CR and LF. Our client hands out
the message in chunks without joining them, and poplib hands out a list of lines without joining
them either.
"""

from __future__ import annotations

import io
import poplib
from collections.abc import Iterator
from pathlib import Path

from mailproto import NEED_DATA
from mailproto._dotstuff import dot_stuff
from mailproto.pop3 import (
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    OpenMaildrop,
    Pass,
    POP3Client,
    POP3Server,
    Retr,
    RetrieveMessage,
    User,
)
from mailproto.sasl import PasswordAuthenticator, Secret

from ._harness import Comparison

READ = 1 << 16


def _message(size: int, seed: int = 0) -> bytes:
    header = (
        b"From: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\n"
        b"Subject: message %d\r\nMessage-ID: <%d@example.org>\r\n\r\n" % (seed, seed)
    )
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    body = line * max(1, (size - len(header)) // len(line))
    return header + body.replace(b"\r\nLorem", b"\r\n.Lorem", 3)


def _corpus_messages(corpus: Path | None, count: int) -> list[bytes] | None:
    if corpus is None or not (corpus / "messages").is_dir():
        return None
    found = []
    for path in sorted((corpus / "messages").rglob("*")):
        if path.is_file() and path.stat().st_size < 200_000:
            found.append(path.read_bytes())
            if len(found) == count:
                return found
    return None


class _Session:
    """A logged-in client/server pair over in-memory bytes."""

    def __init__(self, messages: list[bytes], *, crlf_messages: bool = True) -> None:
        self.messages = messages
        self.client = POP3Client()
        self.server = POP3Server(
            authenticator=PasswordAuthenticator({"u": "p"}), crlf_messages=crlf_messages
        )
        self.client.receive_data(self.server.data_to_send())
        self.client.next_event()
        self.client.send(User("u"))
        self.client.send(Pass(Secret("p")))
        for _ in range(2):
            self._to_server()
            self._drain_client()

    def _to_server(self) -> None:
        server = self.server
        server.receive_data(self.client.data_to_send())
        while True:
            event = server.next_event()
            if event is NEED_DATA:
                return
            if isinstance(event, OpenMaildrop):
                sizes = tuple(len(m) for m in self.messages)
                server.send(Maildrop(sizes, tuple(str(n) for n in range(len(sizes)))))
            elif isinstance(event, RetrieveMessage):
                data = self.messages[event.msg - 1]
                server.send(MessageStart())
                for start in range(0, len(data), READ):
                    server.send(MessageData(data[start : start + READ]))
                server.send(MessageEnd())

    def _drain_client(self) -> int:
        client = self.client
        out = self.server.data_to_send()
        received = 0
        for start in range(0, len(out), READ):
            client.receive_data(out[start : start + READ])
            while True:
                event = client.next_event()
                if event is NEED_DATA:
                    break
                if type(event) is MessageData:
                    received += len(event.data)
        return received

    def retrieve(self, msg: int) -> int:
        self.client.send(Retr(msg))
        self._to_server()
        return self._drain_client()


class _FakeSocket:
    def sendall(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def _poplib_over(answer: bytes) -> poplib.POP3:
    """A poplib client whose socket reads ``answer`` from memory."""
    pop = poplib.POP3.__new__(poplib.POP3)
    pop.host, pop.port = "localhost", 110
    # Private attributes __init__ would set (it is skipped: it would connect).
    setattr(pop, "_tls_established", False)  # noqa: B010
    setattr(pop, "_debugging", 0)  # noqa: B010
    pop.sock = _FakeSocket()  # type: ignore[assignment]
    pop.file = io.BufferedReader(io.BytesIO(answer))
    pop.welcome = b"+OK"
    return pop


def _client_only(answers: list[bytes]) -> int:
    """Our client alone downloading pre-made answers, one RETR at a time, as poplib does."""
    client = POP3Client(pipelining=False)
    client.receive_data(b"+OK\r\n")
    client.next_event()
    client._state = client._state.TRANSACTION  # logged in, as the poplib side is
    received = 0
    for n, answer in enumerate(answers, 1):
        client.send(Retr(n))
        client.data_to_send()
        for start in range(0, len(answer), READ):
            client.receive_data(answer[start : start + READ])
            while True:
                event = client.next_event()
                if event is NEED_DATA:
                    break
                if type(event) is MessageData:
                    received += len(event.data)
    return received


def _retr_answer(message: bytes) -> bytes:
    return b"+OK %d octets\r\n" % len(message) + dot_stuff(message)


def comparisons(corpus: Path | None, quick: bool) -> Iterator[Comparison]:
    big = _message((2 if quick else 10) * 1_000_000)
    session = _Session([big])
    big_answer = _retr_answer(big)

    def ours_big() -> int:
        return session.retrieve(1)

    def poplib_big() -> int:
        return len(_poplib_over(big_answer).retr(1)[1])

    assert ours_big() == len(big)
    yield Comparison(
        "pop3: RETR of a 10 MB message" if not quick else "pop3: RETR of a 2 MB message",
        ours_big,
        len(big),
        peer=poplib_big,
        peer_name="poplib",
        target=3.0,
    )

    checked = _Session([big], crlf_messages=False)
    yield Comparison(
        "pop3: same, server checking line endings",
        lambda: checked.retrieve(1),
        len(big),
        peer=poplib_big,
        peer_name="poplib",
    )

    yield Comparison(
        "pop3: same, our client alone" if not quick else "pop3: 2 MB, our client alone",
        lambda: _client_only([big_answer]),
        len(big),
        peer=poplib_big,
        peer_name="poplib",
    )

    count = 200 if quick else 1000
    small = _corpus_messages(corpus, count) or [_message(3000, n) for n in range(count)]
    small_session = _Session(small)
    answers = b"".join(_retr_answer(m) for m in small)
    total = sum(len(m) for m in small)

    def ours_small() -> int:
        return sum(small_session.retrieve(n) for n in range(1, len(small) + 1))

    def poplib_small() -> int:
        pop = _poplib_over(answers)
        return sum(len(pop.retr(n)[1]) for n in range(1, len(small) + 1))

    assert ours_small() == total
    yield Comparison(
        f"pop3: RETR of {count:,} small messages",
        ours_small,
        count,
        unit="msgs",
        peer=poplib_small,
        peer_name="poplib",
        target=3.0,
    )
    small_answers = [_retr_answer(m) for m in small]
    yield Comparison(
        f"pop3: {count:,} small messages, our client alone",
        lambda: _client_only(small_answers),
        count,
        unit="msgs",
        peer=poplib_small,
        peer_name="poplib",
    )
