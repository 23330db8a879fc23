"""The receive buffer shared by every protocol: lines, counted literals and dot-stuffed blocks.

One :class:`ReceiveBuffer` sits under each connection. It answers three questions, always by
scanning with ``bytes.find``/``count``/``replace`` rather than Python loops over bytes:

* :meth:`ReceiveBuffer.read_line`: the next CRLF-terminated line, with a length limit. An over-long
  line raises :class:`~mailproto.errors.RemoteProtocolError` once, then the buffer throws the rest
  of that line away as it arrives (never holding it) so a server can answer and carry on.
* :meth:`ReceiveBuffer.read_exact` / :meth:`ReceiveBuffer.read_some`: counted data such as IMAP
  ``{n}`` literals and SMTP ``BDAT`` chunks, whole or streamed.
* :meth:`ReceiveBuffer.read_block`: a dot-stuffed block (SMTP ``DATA``, POP3 multi-line
  responses) delivered as a stream of unstuffed chunks and then :data:`BLOCK_END`. Only
  ``CRLF.CRLF`` ends a block; bare CR and bare LF inside it follow a :class:`BareLineEndings`
  policy, rejected by default, which closes the SMTP-smuggling class of bugs.

Every search remembers how far it got, so the cost is linear in the bytes received however they
are chunked; consumed bytes are compacted away in amortised O(1).
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterator
from itertools import compress, islice, takewhile
from operator import methodcaller
from typing import Final

from .errors import ErrorKind, RemoteProtocolError

__all__ = [
    "BLOCK_END",
    "BareLineEndings",
    "BlockEnd",
    "ReceiveBuffer",
]

_CRLF: Final = b"\r\n"
_TERMINATOR: Final = b"\r\n.\r\n"
_LINE_DOT: Final = b"\r\n."  # how a terminator and a stuffed line both begin
_EMPTY_BLOCK: Final = b".\r\n"
_ANY_EOL = re.compile(rb"\r\n|\r|\n")
# The regular expression engine finds these about twice as fast as bytes.find: it skips to each
# CR with a fast scan, where find's general search stumbles over every "." that ends a line.
# A line that begins with a dot, and with it the terminator when that is what the line is.
_LINE_DOT_SEARCH: Final = re.compile(rb"\r\n\.(?:\r\n)?").search
_TERMINATOR_SEARCH: Final = re.compile(rb"\r\n\.\r\n").search
#: The most stuffed lines read_block notes one by one before unstuffing in one pass instead.
_FEW_DOTS: Final = 8

#: Compact the bytearray once this many consumed bytes sit in front of the unread ones.
_COMPACT_AT: Final = 1 << 16
#: Bounds of the window read_line splits ahead in one pass (it adapts between them, and drops
#: to a single line when lines alternate with blocks or counted reads).
_AHEAD_MIN: Final = 1 << 10
_AHEAD_MAX: Final = 1 << 16


#: Below this many bytes, slicing the bytearray and then copying the slice (two copies) is
#: cheaper than setting up and releasing a memoryview (one copy); measured crossover ~16 KiB.
_VIEW_AT: Final = 1 << 14


def _copy_out(data: bytearray, start: int, end: int) -> bytes:
    """``data[start:end]`` as bytes, the cheaper way for its size."""
    if end - start < _VIEW_AT:
        return bytes(data[start:end])
    with memoryview(data) as view:  # released here, so the bytearray may be resized after
        return bytes(view[start:end])


def _copy_out_dropping(data: bytearray, start: int, drops: list[int], end: int) -> bytes:
    """``data[start:end]`` as bytes without the byte at each offset in ``drops`` (ascending:
    the stuffed dots), the cheaper way for its size."""
    if not drops:
        return _copy_out(data, start, end)
    spans = zip([start, *(drop + 1 for drop in drops)], [*drops, end], strict=True)
    if end - start < _VIEW_AT:
        return b"".join([data[a:b] for a, b in spans])
    with memoryview(data) as view:
        return b"".join([view[a:b] for a, b in spans])


def _scan_block(data: bytearray, resume: int, dots_known: bool) -> tuple[int, list[int] | None]:
    """Look for a block's terminator from ``resume``: the offset of the CRLF before its dot, or
    -1 where the data runs out (or a dot line's end has not arrived yet).

    Until a stuffed line turns up, one search for what begins both it and the terminator finds
    the terminator and proves the data holds no stuffed line. A few stuffed lines are noted as
    they are passed, so that unstuffing can slice them out; after more than a few, or when
    ``dots_known`` says some were met before, only the terminator is sought and the dots are
    not given (``None``): unstuffing then takes one more pass.
    """
    if not dots_known:
        stuffed: list[int] = []
        while (match := _LINE_DOT_SEARCH(data, resume)) is not None:
            hit, resume = match.span()
            if resume - hit == 5:
                return hit, stuffed  # CRLF "." CRLF: the terminator
            if resume + 2 > len(data) and _CRLF.startswith(data[resume:]):
                return -1, stuffed  # too little data to tell; searched again with more
            if len(stuffed) == _FEW_DOTS:
                break
            stuffed.append(resume - 1)
        else:
            return -1, stuffed
    match = _TERMINATOR_SEARCH(data, resume)
    return (-1 if match is None else match.start()), None


def _has_bare_line_ending(chunk: bytes) -> bool:
    """Whether a CR or LF in ``chunk`` is not part of a CRLF pair."""
    crlf = chunk.count(_CRLF)
    return chunk.count(b"\n") != crlf or chunk.count(b"\r") != crlf


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line[-1:] == b"\r" else line


class BareLineEndings(enum.Enum):
    """What a dot-stuffed block does with a CR or LF that is not part of a CRLF pair.

    Whatever the policy, only ``CRLF.CRLF`` ends a block: ``LF.LF`` and friends are data.
    """

    #: Deliver the block, then raise RemoteProtocolError (kind BARE_LINE_ENDING) at its end,
    #: so a server rejects the whole message and stays in sync with the client.
    REJECT = "reject"
    #: Pass the bytes through unchanged.
    ACCEPT = "accept"
    #: Rewrite each bare CR or LF as CRLF.
    NORMALIZE = "normalize"


class BlockEnd(enum.Enum):
    """The marker :meth:`ReceiveBuffer.read_block` returns after the last chunk of a block."""

    BLOCK_END = "BLOCK_END"

    def __repr__(self) -> str:
        return self.value


#: Returned by :meth:`ReceiveBuffer.read_block` once the terminating ``.`` line was read.
BLOCK_END: Final = BlockEnd.BLOCK_END


# Enum members the hot paths use, as module names (see "Speed" in docs/design.rst).
_ACCEPT: Final = BareLineEndings.ACCEPT
_REJECT: Final = BareLineEndings.REJECT
_NORMALIZE: Final = BareLineEndings.NORMALIZE


class _Block:
    """Where a dot-stuffed block being read has got to."""

    __slots__ = (
        "at_line_start",
        "bare",
        "dots",
        "finished",
        "line_length",
        "long_line",
        "max_line_length",
        "max_size",
        "min_chunk",
        "policy",
        "scanned",
        "size",
    )

    def __init__(
        self,
        policy: BareLineEndings,
        max_size: int | None,
        max_line_length: int | None,
        min_chunk: int,
    ) -> None:
        self.policy = policy
        self.max_size = max_size
        self.max_line_length = max_line_length
        self.min_chunk = min_chunk
        self.at_line_start = True
        self.bare = False
        self.dots = False  # a stuffed line was seen in the part searched and not yet delivered
        self.long_line = False
        self.finished = False
        self.scanned = 0  # offset (from the buffer's read position) already searched
        self.size = 0  # unstuffed bytes seen so far
        self.line_length = 0  # length of the unfinished line at the end of the last chunk


class ReceiveBuffer:
    """Bytes received from the peer and not yet consumed.

    :param max_line_length: the longest line :meth:`read_line` accepts, not counting CRLF.
    :param max_buffer_size: the most unconsumed bytes :meth:`feed` lets pile up. A driver only
        reads more when the connection says ``NEED_DATA``, so this is a safety net.
    :param lf_ends_line: whether a bare LF ends a line in :meth:`read_line` (a preceding CR is
        stripped either way). Real clients send bare LF often enough that servers accept it.
    """

    def __init__(
        self,
        *,
        max_line_length: int = 8192,
        max_buffer_size: int = 1 << 20,
        lf_ends_line: bool = True,
    ) -> None:
        if max_line_length < 1 or max_buffer_size < max_line_length:
            raise ValueError("need 1 <= max_line_length <= max_buffer_size")
        self.max_line_length = max_line_length
        self.max_buffer_size = max_buffer_size
        self.lf_ends_line = lf_ends_line
        self._data = bytearray()
        self._start = 0  # read position in _data
        self._line_scanned = 0  # offset from _start already searched for a line end
        # Complete lines split ahead of the read position, last first (see _split_ahead).
        self._ahead: list[bytes] = []
        self._ahead_ending = 2
        self._ahead_window = _AHEAD_MIN  # 0: split one line only
        self._lines_in_a_row = 0  # lines read one by one since another kind of read
        self._skipping = False  # discarding the rest of an over-long line
        self._block: _Block | None = None

    def __len__(self) -> int:
        return len(self._data) - self._start

    def __bool__(self) -> bool:
        return len(self._data) > self._start

    def __repr__(self) -> str:
        return f"<ReceiveBuffer {len(self)} bytes>"

    # -- input ----------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append received bytes.

        Raises RemoteProtocolError (kind BUFFER_FULL, fatal) if more than ``max_buffer_size``
        bytes would be left unconsumed.
        """
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return
            self._skipping = False
            data = data[newline + 1 :]
        if len(self._data) - self._start + len(data) > self.max_buffer_size:
            raise RemoteProtocolError(
                f"more than {self.max_buffer_size} unconsumed bytes received",
                kind=ErrorKind.BUFFER_FULL,
                limit=self.max_buffer_size,
                fatal=True,
            )
        self._data += data

    def clear(self) -> bytes:
        """Discard and return everything buffered (used when TLS starts)."""
        rest = _copy_out(self._data, self._start, len(self._data))
        self._data.clear()
        self._start = 0
        self._line_scanned = 0
        self._skipping = False
        self._block = None
        self._drop_ahead()
        return rest

    def _consume(self, end: int) -> None:
        """Advance the read position to ``end`` (an index into ``_data``)."""
        self._start = end
        self._line_scanned = 0
        if end >= _COMPACT_AT and end * 2 >= len(self._data):
            del self._data[:end]
            self._start = 0

    # -- lines ----------------------------------------------------------------------------------

    def read_line(self, max_length: int | None = None) -> bytes | None:
        """Return the next line without its line ending, or ``None`` if it is not complete.

        :param max_length: overrides ``max_line_length`` for this line.
        :raises RemoteProtocolError: kind LINE_TOO_LONG (not fatal) if the line is longer than
            the limit; the line is dropped, and so is the rest of it when it arrives.
        """
        limit = self.max_line_length if max_length is None else max_length
        if not self._ahead:
            if not self._ahead_window:
                return self._read_one_line(limit)
            if not self._split_ahead(limit):
                return None
        ahead = self._ahead
        line = ahead.pop()
        ending = self._ahead_ending
        self._consume(self._start + len(line) + ending)
        if ending == 1 and line[-1:] == b"\r":
            line = line[:-1]
        if not ahead and self._ahead_window < _AHEAD_MAX:
            self._widen_window()  # every line split ahead was used: split more next time
        if len(line) > limit:
            raise self._line_too_long(limit)
        return line

    def _read_one_line(self, limit: int) -> bytes | None:
        """read_line while lines come one at a time: one search, nothing split ahead."""
        data = self._data
        start = self._start
        if self.lf_ends_line:
            end = data.find(b"\n", start + self._line_scanned)
            after = end + 1
        else:
            end = data.find(_CRLF, start + max(self._line_scanned - 1, 0))
            after = end + 2
        if end < 0:
            self._split_ahead(limit)  # notes how far it searched, or raises for a long line
            return None
        line = bytes(data[start:end])
        if after - end == 1 and line[-1:] == b"\r":
            line = line[:-1]
        self._consume(after)
        self._widen_window()
        if len(line) > limit:
            raise self._line_too_long(limit)
        return line

    def read_lines(
        self,
        max_count: int,
        prefix: bytes = b"",
        max_length: int | None = None,
        through: re.Pattern[bytes] | None = None,
    ) -> list[bytes]:
        """Return up to ``max_count`` complete lines at once, as :meth:`read_line` would.

        The result is exactly what calling :meth:`read_line` repeatedly would give, stopping
        early instead of returning ``None`` or raising: at the first incomplete line, after
        ``max_count`` lines, before the first line that does not start with ``prefix`` (such a
        line is left unread), after the first line that ``through`` matches at its start (that
        line included: the end of a multi-line response), and before an over-long line unless
        it comes first (then it raises as :meth:`read_line` does). ``[]`` means no line was
        read. This is for taking a burst of pipelined replies, or the lines of a multi-line
        reply, in one call.
        """
        limit = self.max_line_length if max_length is None else max_length
        if prefix and prefix.endswith(b"\r"):
            raise ValueError("the prefix must not end with CR")
        if max_count < 1:
            return []
        ahead = self._ahead
        if not ahead:
            if not self._split_ahead(limit):
                return []
            ahead = self._ahead
        available = len(ahead)
        ending = self._ahead_ending
        count = available if available < max_count else max_count
        # The lines are stored last first; these scans run in C and stop at the first hit.
        if prefix:
            count = len(list(takewhile(methodcaller("startswith", prefix), self._upcoming(count))))
        if through is not None:
            upcoming = islice(reversed(ahead), count) if ending == 2 else self._upcoming(count)
            hit = next(compress(itertools.count(1), map(through.match, upcoming)), 0)
            if hit:
                count = hit
        first = available - count
        if first == available:
            return []
        lines = ahead[first:]
        lines.reverse()
        if max(map(len, lines)) > limit:  # raw lengths, so never below the real ones
            for index, line in enumerate(lines):
                if len(line) - (ending == 1 and line[-1:] == b"\r") > limit:
                    if not index:
                        self.read_line(limit)  # consumes it and raises, like read_line
                    del lines[index:]
                    break
        count = len(lines)
        del ahead[available - count :]
        end = self._start + sum(map(len, lines)) + ending * count
        self._start = end  # as _consume does
        self._line_scanned = 0
        if end >= _COMPACT_AT and end * 2 >= len(self._data):
            del self._data[:end]
            self._start = 0
        if ending == 1:
            lines = [line[:-1] if line[-1:] == b"\r" else line for line in lines]
        if not ahead and self._ahead_window < _AHEAD_MAX:
            self._widen_window()
        return lines

    def _upcoming(self, count: int) -> Iterator[bytes]:
        """The next ``count`` lines split ahead, in order, as read_line would return them."""
        upcoming = islice(reversed(self._ahead), count)
        return map(_strip_cr, upcoming) if self._ahead_ending == 1 else upcoming

    def _split_ahead(self, limit: int) -> bool:
        """Split the complete lines in a window of unread bytes at once.

        Returns ``False`` (having remembered how far it searched) if no line is complete yet.
        One ``bytes.split`` over a burst of pipelined commands or replies costs far less per
        line than a search per line. The lines stay unconsumed until read, so ``clear()`` and
        the other readers see exactly the bytes that were not read as lines; those readers drop
        the lines split ahead, and the window shrinks when that wastes work (a protocol that
        alternates lines and literals) and grows while every line gets used. When every LF in
        the window follows a CR, the split is on CRLF, so that no line needs its CR taken off.
        """
        data = self._data
        start = self._start
        separator = b"\n" if self.lf_ends_line else _CRLF
        scanned = self._line_scanned if self.lf_ends_line else max(self._line_scanned - 1, 0)
        end = data.find(separator, start + scanned)
        if end < 0:
            pending = len(data) - start
            # The line body may be one byte shorter than what is pending (a CR without its LF).
            if pending > limit + 1:
                self._consume(len(data))
                self._skipping = True
                raise self._line_too_long(limit)
            self._line_scanned = pending
            return False
        window_end = min(len(data), max(end + len(separator), start + self._ahead_window))
        window = _copy_out(data, start, window_end)
        ending = 2
        if self.lf_ends_line:
            parts = window.split(_CRLF)
            if window.count(b"\n") != len(parts) - 1:  # a bare LF: split on LF after all
                parts = window.split(separator)
                ending = 1
        else:
            parts = window.split(separator)
        parts.pop()  # the unfinished line at the window's end, or b"" after a line ending
        parts.reverse()
        self._ahead = parts
        self._ahead_ending = ending  # bytes after each line: 1 (LF, maybe after a CR) or 2
        return True

    def _widen_window(self) -> None:
        window = self._ahead_window
        if window:
            self._ahead_window = window * 2
        else:
            # One line at a time until two lines are read in a row: a protocol that reads
            # one line and then a block (a POP3 RETR answer) wastes any split ahead.
            self._lines_in_a_row += 1
            if self._lines_in_a_row > 1:
                self._ahead_window = _AHEAD_MIN

    def _drop_ahead(self) -> None:
        """Another kind of read follows: forget the lines split ahead, and split less next
        time if some were wasted (down to a single line)."""
        self._lines_in_a_row = 0
        if self._ahead:
            self._ahead = []
            window = self._ahead_window
            self._ahead_window = window // 4 if window > _AHEAD_MIN else 0

    @staticmethod
    def _line_too_long(limit: int) -> RemoteProtocolError:
        return RemoteProtocolError(
            f"line longer than {limit} bytes", kind=ErrorKind.LINE_TOO_LONG, limit=limit
        )

    # -- counted data ---------------------------------------------------------------------------

    def read_exact(self, count: int) -> bytes | None:
        """Return exactly ``count`` bytes, or ``None`` until that many have arrived."""
        if len(self) < count:
            return None
        self._drop_ahead()
        start = self._start
        chunk = _copy_out(self._data, start, start + count)
        self._consume(start + count)
        return chunk

    def peek(self, count: int) -> bytes:
        """Return up to ``count`` unread bytes without consuming them (for sniffing a header)."""
        start = self._start
        return _copy_out(self._data, start, start + count)

    def read_some(self, count: int) -> bytes:
        """Return up to ``count`` bytes that have arrived (``b""`` if none): for streaming."""
        self._drop_ahead()
        start = self._start
        chunk = _copy_out(self._data, start, start + count)
        if chunk:
            self._consume(start + len(chunk))
        return chunk

    # -- dot-stuffed blocks ---------------------------------------------------------------------

    @property
    def in_block(self) -> bool:
        """``True`` between :meth:`begin_block` and the :data:`BLOCK_END` (or error) ending it."""
        return self._block is not None

    def begin_block(
        self,
        *,
        bare_line_endings: BareLineEndings = BareLineEndings.REJECT,
        max_size: int | None = None,
        max_line_length: int | None = None,
        min_chunk: int = 1 << 14,
    ) -> None:
        """Start reading a dot-stuffed block at the current position.

        :param bare_line_endings: the policy for CR or LF outside a CRLF pair.
        :param max_size: the most unstuffed bytes the block may hold. Past it, chunks stop
            being delivered, the block is read to its end, and the end raises RemoteProtocolError
            (kind TOO_BIG) instead of returning :data:`BLOCK_END`.
        :param max_line_length: the longest line (without CRLF) allowed inside the block;
            a longer one is reported at the end, like a bare line ending (kind LINE_TOO_LONG).
        :param min_chunk: hold back data until this many bytes can be delivered in one chunk
            (or the block ends), so a peer trickling bytes does not cause a flood of tiny chunks.
        """
        self._drop_ahead()
        self._block = _Block(bare_line_endings, max_size, max_line_length, min_chunk)

    def read_whole_block(
        self,
        *,
        bare_line_endings: BareLineEndings = BareLineEndings.REJECT,
        max_size: int | None = None,
    ) -> bytes | None:
        """Read a whole dot-stuffed block at once, if it has all arrived and breaks no rule.

        Returns the unstuffed block (what :meth:`read_block` would give, joined) and leaves the
        buffer after its terminating line. Returns ``None``, having consumed nothing, when the
        terminator has not arrived yet or the block would end in an error (a bare line ending
        under the REJECT policy, more than ``max_size`` bytes): then read it with
        :meth:`begin_block` and :meth:`read_block`, which stream it and report the error. For a
        protocol whose blocks are mostly small (POP3 RETR answers), this saves the streaming
        machinery on every one; the price is one extra search of the bytes already buffered
        when it returns ``None``.
        """
        self._lines_in_a_row = 0
        if self._ahead:
            self._drop_ahead()
        data = self._data
        start = self._start
        leading_dot = data[start : start + 1] == b"."
        if leading_dot and data[start : start + 3] == _EMPTY_BLOCK:
            self._consume(start + 3)
            return b""
        hit, stuffed = _scan_block(data, start, False)
        if hit < 0 or stuffed is None:
            return None  # not all here yet, or many stuffed lines: read_block's way
        if leading_dot:
            stuffed.insert(0, start)
        chunk = _copy_out_dropping(data, start, stuffed, hit + 2)
        if max_size is not None and len(chunk) > max_size:
            return None
        if bare_line_endings is not _ACCEPT and _has_bare_line_ending(chunk):
            if bare_line_endings is _REJECT:
                return None
            chunk = _ANY_EOL.sub(_CRLF, chunk)
            if max_size is not None and len(chunk) > max_size:
                return None
        self._consume(hit + 5)
        return chunk

    def read_block(self) -> bytes | BlockEnd | None:
        """Return the next unstuffed chunk of the block, :data:`BLOCK_END`, or ``None``.

        Chunks are never empty. After the last chunk comes :data:`BLOCK_END`, or a
        RemoteProtocolError if the block broke a rule (bare line ending under the REJECT policy,
        ``max_size``, ``max_line_length``); either way the block is over and the buffer is
        positioned after its terminating line.
        """
        block = self._block
        if block is None:
            raise RuntimeError("read_block() called outside a block")
        while True:
            if block.finished:
                return self._end_block(block)
            data = self._data
            start = self._start
            available = len(data) - start
            if block.at_line_start and (available < 3 or data[start] == 0x2E):
                head = data[start : start + 3]
                if head == _EMPTY_BLOCK:
                    self._consume(start + 3)
                    return self._end_block(block)
                if _EMPTY_BLOCK.startswith(head):
                    return None  # too little data to tell a terminator from a stuffed line
            found, stuffed = _scan_block(data, start + max(block.scanned - 4, 0), block.dots)
            if stuffed is None or stuffed:
                block.dots = True
            if found >= 0:
                cut = found + 2
                after = found + 5
                block.finished = True
            else:
                block.scanned = available
                if available - 4 < block.min_chunk:
                    return None
                # Keep the last four bytes, which may begin a terminator, and never split a
                # CRLF pair, so that unstuffing sees every CRLF "." sequence whole.
                cut = len(data) - 4
                if data[cut - 1] == 0x0D:
                    cut -= 1
                if cut <= start:
                    return None
                after = cut
                stuffed = None
            dots = block.dots
            block.scanned = 0
            block.dots = False
            if stuffed is not None:
                # The whole rest of the block, with its stuffed dots known: slice them out.
                if block.at_line_start and data[start] == 0x2E:
                    stuffed.insert(0, start)
                chunk = _copy_out_dropping(data, start, stuffed, cut)
                self._consume(after)
                chunk = self._checked(block, chunk, ends_line=True)
            else:
                raw = _copy_out(data, start, cut)
                self._consume(after)
                chunk = self._unstuff(block, raw, dots)
            if chunk:
                return chunk

    def _end_block(self, block: _Block) -> BlockEnd:
        self._block = None
        self._raise_block_problems(block)
        return BLOCK_END

    def _unstuff(self, block: _Block, raw: bytes, dots: bool) -> bytes:
        chunk = raw[1:] if block.at_line_start and raw[:1] == b"." else raw
        if dots:
            # split and join: one search pass; replace() would count the matches first.
            chunk = _CRLF.join(chunk.split(_LINE_DOT))
        # Decide from the raw bytes: normalising a bare LF must not make a line start.
        return self._checked(block, chunk, ends_line=raw.endswith(_CRLF))

    def _checked(self, block: _Block, chunk: bytes, *, ends_line: bool) -> bytes:
        """Apply the block's policy and limits to an unstuffed chunk; ``b""`` past max_size."""
        block.at_line_start = ends_line
        if block.policy is not _ACCEPT and _has_bare_line_ending(chunk):
            if block.policy is _NORMALIZE:
                chunk = _ANY_EOL.sub(_CRLF, chunk)
            else:
                block.bare = True
        if block.max_line_length is not None and not block.long_line:
            self._check_line_lengths(block, chunk)
        block.size += len(chunk)
        if block.max_size is not None and block.size > block.max_size:
            return b""
        return chunk

    @staticmethod
    def _check_line_lengths(block: _Block, chunk: bytes) -> None:
        """Note a line longer than the block's limit; the unfinished last line carries over.

        ``bytes.split`` does the scanning (a regex would step through every byte in Python's
        engine at a fraction of the speed).
        """
        limit = (block.max_line_length or 0) + 1  # lengths here include the CR of the CRLF
        if b"\n" not in chunk:
            block.line_length += len(chunk)
            block.long_line = block.line_length > limit
            return
        lines = chunk.split(b"\n")
        if block.line_length + len(lines[0]) > limit or (
            len(chunk) > limit and max(map(len, lines)) > limit
        ):
            block.long_line = True
        block.line_length = len(lines[-1])

    @staticmethod
    def _raise_block_problems(block: _Block) -> None:
        if block.max_size is not None and block.size > block.max_size:
            raise RemoteProtocolError(
                f"block larger than {block.max_size} bytes",
                kind=ErrorKind.TOO_BIG,
                limit=block.max_size,
            )
        if block.bare:
            raise RemoteProtocolError(
                "bare CR or LF in a dot-stuffed block; lines must end with CRLF",
                kind=ErrorKind.BARE_LINE_ENDING,
            )
        if block.long_line:
            raise RemoteProtocolError(
                f"line longer than {block.max_line_length} bytes in a dot-stuffed block",
                kind=ErrorKind.LINE_TOO_LONG,
                limit=block.max_line_length,
            )
