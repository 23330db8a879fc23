"""POP3 downloads through our client and server state machines against stdlib ``poplib``.

Ours: a :class:`POP3Client` sends ``RETR``, a :class:`POP3Server` parses it and dot-stuffs the
message the application hands it, and the client unstuffs the answer it is fed in 64 KiB reads,
as a driver would; both sides' work is timed. The peer: ``poplib.POP3.retr`` reading the same
server answer from an in-memory socket (its side only, the server's bytes prepared in advance),
which is the whole of what a poplib user pays.

* One large message: the application streams it to the server in 64 KiB
  :class:`MessageData` pieces, as it would from a file.
* Many small messages: the client pipelines the RETR commands, as :class:`MailboxDownload`
  does when the server offers PIPELINING (ours does; poplib cannot pipeline), and the
  application answers each with :meth:`POP3Server.send_message`. A second line shows the same
  download one RETR at a time, waiting for each answer, as poplib works.

Fairness: the comparison leans against us, as our figure includes the server's work and
poplib's does not. Our server runs with ``crlf_messages=True``, as an application whose store
holds CRLF messages would: it then skips checking the line endings (corpus messages, stored with
LF, are converted to CRLF first, as such a store would have done on delivery). The line "server
checking line endings" shows the default, which rewrites bare CR and LF. Our client hands out
the message in chunks without joining them, and poplib hands out a list of lines without joining
them either.
"""

from __future__ import annotations

import io
import poplib
import re
from collections.abc import Iterator
from pathlib import Path

from mailproto import NEED_DATA
from mailproto._dotstuff import dot_stuff
from mailproto.pop3 import (
    Capa,
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
            # As a store that promises CRLF (crlf_messages=True) holds them: complete lines.
            message = re.sub(rb"\r?\n", b"\r\n", path.read_bytes())
            if max(map(len, message.split(b"\n"))) > 2000:
                continue  # poplib refuses lines over 2048 bytes ("line too long")
            found.append(message if message.endswith(b"\r\n") else message + b"\r\n")
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
        # CAPA first, as MailboxDownload does: the client learns that it may pipeline.
        for command in (Capa(), User("u"), Pass(Secret("p"))):
            self.client.send(command)
        while self.client.outstanding:
            self._exchange()

    def _exchange(self) -> int:
        """Carry the client's commands to the server and its answers back, as a driver would:
        the server's output reaches the client in reads of about ``READ`` bytes as it is
        produced (never the whole download at once). Returns the message bytes received."""
        client, server = self.client, self.server
        data = client.data_to_send()
        if data:  # b"" would tell the server that the client closed the connection
            server.receive_data(data)
        messages = self.messages
        pending: list[bytes] = []
        size = received = 0
        while True:
            event = server.next_event()
            if event is NEED_DATA:
                break
            if type(event) is RetrieveMessage:
                data = messages[event.msg - 1]
                if len(data) <= READ:
                    server.send_message(data)
                else:  # streamed from the store, as a large message would be
                    server.send(MessageStart())
                    pending.append(server.data_to_send())
                    received += self._to_client(b"".join(pending))
                    pending.clear()
                    size = 0
                    for start in range(0, len(data), READ):
                        server.send(MessageData(data[start : start + READ]))
                        received += self._to_client(server.data_to_send())
                    server.send(MessageEnd())
            elif isinstance(event, OpenMaildrop):
                sizes = tuple(len(m) for m in messages)
                server.send(Maildrop(sizes, tuple(str(n) for n in range(len(sizes)))))
            out = server.data_to_send()
            pending.append(out)
            size += len(out)
            if size >= READ:
                received += self._to_client(b"".join(pending))
                pending.clear()
                size = 0
        pending.append(server.data_to_send())  # what it answered by itself (CAPA, USER...)
        return received + self._to_client(b"".join(pending))

    def _to_client(self, out: bytes) -> int:
        client = self.client
        received = 0
        for start in range(0, len(out), READ):
            client.receive_data(out[start : start + READ] if len(out) > READ else out)
            while True:
                event = client.next_event()
                if event is NEED_DATA:
                    break
                if type(event) is MessageData:
                    received += len(event.data)
        return received

    def retrieve(self, msg: int) -> int:
        """RETR one message and wait for it; return the bytes received."""
        self.client.send(Retr(msg))
        return self._exchange()

    def retrieve_all(self) -> int:
        """RETR every message, pipelined; return the bytes received."""
        send = self.client.send
        for msg in range(1, len(self.messages) + 1):
            send(Retr(msg))
        return self._exchange()


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
        return small_session.retrieve_all()

    def ours_small_one_by_one() -> int:
        return sum(small_session.retrieve(n) for n in range(1, len(small) + 1))

    def poplib_small() -> int:
        pop = _poplib_over(answers)
        return sum(len(pop.retr(n)[1]) for n in range(1, len(small) + 1))

    assert ours_small() == total == ours_small_one_by_one()
    lines = _poplib_over(answers).retr(1)[1]
    assert b"".join(line + b"\r\n" for line in lines) == small[0]  # both get the same bytes
    yield Comparison(
        f"pop3: RETR of {count:,} small messages",
        ours_small,
        count,
        unit="msgs",
        peer=poplib_small,
        peer_name="poplib",
        target=3.0,
    )
    yield Comparison(
        f"pop3: {count:,} small messages, one RETR at a time",
        ours_small_one_by_one,
        count,
        unit="msgs",
        peer=poplib_small,
        peer_name="poplib",
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
