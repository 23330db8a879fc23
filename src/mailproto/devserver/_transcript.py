"""Recording what each side of a conversation said, for annotated ``C:``/``S:`` transcripts.

:class:`Transcript` collects lines from any number of conversations ("hops") at once, in the
order they happen, plus free-text notes (an MX decision, a delivery). :meth:`Transcript.wrap`
puts a :class:`RecordingConnection` around a sans-I/O connection: every byte the peer sends
(``receive_data``) and every byte we send (``data_to_send``) is recorded before it passes
through unchanged, so the transcript shows exactly what went over the wire.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..connection import Connection, Event, Role, Sentinel

__all__ = ["RecordingConnection", "Transcript", "TranscriptLine"]

Speaker = Literal["C", "S", "#"]


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line of a transcript.

    :param hop: the conversation it belongs to (for example ``"ana -> smtp.a.example"``).
    :param speaker: ``"C"`` (client), ``"S"`` (server) or ``"#"`` (a note).
    :param text: the line without its line ending, undecodable bytes shown as ``\\xNN``.
    """

    hop: str
    speaker: Speaker
    text: str


def _show(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


class Transcript:
    """An ordered, thread-safe record of several conversations.

    :param max_line: longer lines are cut and marked with their full length.
    """

    def __init__(self, *, max_line: int = 200) -> None:
        self._lock = threading.Lock()
        self._lines: list[TranscriptLine] = []
        self._partial: dict[tuple[str, str], bytearray] = {}
        self._max_line = max_line

    @property
    def lines(self) -> list[TranscriptLine]:
        """Every line recorded so far (a copy), including unfinished lines."""
        with self._lock:
            pending = [
                TranscriptLine(hop, speaker, self._cut(bytes(rest)))  # type: ignore[arg-type]
                for (hop, speaker), rest in self._partial.items()
                if rest
            ]
            return [*self._lines, *pending]

    def _cut(self, raw: bytes) -> str:
        if len(raw) > self._max_line:
            return _show(raw[: self._max_line]) + f"... ({len(raw)} octets)"
        return _show(raw)

    def record(self, hop: str, speaker: Literal["C", "S"], data: bytes) -> None:
        """Add bytes that ``speaker`` sent in ``hop``; they are split into CRLF lines."""
        if not data:
            return
        with self._lock:
            partial = self._partial.setdefault((hop, speaker), bytearray())
            partial += data
            start = 0
            while True:
                end = partial.find(b"\n", start)
                if end < 0:
                    break
                line = bytes(partial[start:end]).removesuffix(b"\r")
                self._lines.append(TranscriptLine(hop, speaker, self._cut(line)))
                start = end + 1
            del partial[:start]
            if len(partial) > 4 * self._max_line:
                # A runaway line without an end: keep what was shown, drop the rest.
                self._lines.append(TranscriptLine(hop, speaker, self._cut(bytes(partial))))
                partial.clear()

    def note(self, hop: str, text: str) -> None:
        """Add an annotation to ``hop`` (one line per line of ``text``)."""
        with self._lock:
            for line in text.splitlines() or [""]:
                self._lines.append(TranscriptLine(hop, "#", line))

    def wrap(self, conn: Connection, hop: str) -> RecordingConnection:
        """Return ``conn`` wrapped so that both directions are recorded under ``hop``."""
        return RecordingConnection(conn, self, hop)

    def render(self, *, hops: bool = True, start: int = 0) -> str:
        """The transcript as text: a heading whenever the conversation changes, then its lines.

        Lines are indented and prefixed with ``C:``, ``S:`` or ``#`` for notes.

        :param hops: print the headings.
        :param start: leave out the first ``start`` lines (those shown already).
        """
        out: list[str] = []
        current: str | None = None
        for line in self.lines[start:]:
            if hops and line.hop != current:
                current = line.hop
                out.append(f"[{line.hop}]")
            prefix = "  # " if line.speaker == "#" else f"  {line.speaker}: "
            out.append(prefix + line.text)
        return "\n".join(out) + ("\n" if out else "")

    def __iter__(self) -> Iterator[TranscriptLine]:
        return iter(self.lines)


class RecordingConnection:
    """A connection that records the traffic of the connection it wraps in a :class:`Transcript`.

    It implements :class:`~mailproto.connection.Connection` by passing every call through, and
    passes any other attribute (``accept()``, ``tls_pending``, ...) to the wrapped connection.
    """

    def __init__(self, conn: Connection, transcript: Transcript, hop: str) -> None:
        self.wrapped = conn
        self.transcript = transcript
        self.hop = hop
        client = conn.role is Role.CLIENT
        self._ours: Literal["C", "S"] = "C" if client else "S"
        self._theirs: Literal["C", "S"] = "S" if client else "C"

    @property
    def role(self) -> Role:
        """The wrapped connection's role."""
        return self.wrapped.role

    @property
    def state(self) -> enum.Enum:
        """The wrapped connection's state."""
        return self.wrapped.state

    @property
    def should_close(self) -> bool:
        """Whether the wrapped connection's conversation is over."""
        return self.wrapped.should_close

    @property
    def read_timeout(self) -> float | None:
        """The wrapped connection's read timeout advice."""
        return self.wrapped.read_timeout

    def receive_data(self, data: bytes) -> None:
        """Record the peer's bytes, then pass them on."""
        self.transcript.record(self.hop, self._theirs, data)
        self.wrapped.receive_data(data)

    def next_event(self) -> Event | Sentinel:
        """The wrapped connection's next event."""
        return self.wrapped.next_event()

    def send(self, event: Event) -> None:
        """Queue ``event`` on the wrapped connection."""
        self.wrapped.send(event)

    def data_to_send(self) -> bytes:
        """Take the wrapped connection's outgoing bytes and record them."""
        data = self.wrapped.data_to_send()
        self.transcript.record(self.hop, self._ours, data)
        return data

    def tls_started(self) -> None:
        """Tell the wrapped connection that TLS is up (and note it)."""
        self.transcript.note(self.hop, "TLS handshake done; the rest is encrypted")
        self.wrapped.tls_started()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
