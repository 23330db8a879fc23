"""Dot-stuffing for the sending side of SMTP DATA and POP3 multi-line responses.

The receiving side lives in :mod:`mailproto._buffer`. :class:`DotStuffer` turns message bytes,
given in any chunks, into a dot-stuffed block: every line that begins with ``.`` gets one more,
line endings become CRLF (so that no receiver can see a premature end of data), and
:meth:`DotStuffer.finish` adds the final CRLF if needed and the terminating ``.`` line.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["DotStuffer", "dot_stuff", "dot_stuff_parts"]

_ANY_EOL: Final = re.compile(rb"\r\n|\r|\n")
# A line that begins with a dot. The regular expression engine finds these about twice as fast
# as bytes.find or bytes.replace (it skips from one LF to the next with a fast scan, where their
# general search stumbles over every dot that ends a line), so it both proves that a message has
# none (most have none) and splits it where it has some.
_LINE_DOT: Final = re.compile(rb"\n\.")
_LINE_DOT_SEARCH: Final = _LINE_DOT.search
_LINE_DOT_SPLIT: Final = _LINE_DOT.split
_CRLF_DOT_SPLIT: Final = re.compile(rb"\r\n\.").split


class DotStuffer:
    """Incremental dot-stuffing encoder.

    :param normalize_line_endings: rewrite bare CR and bare LF as CRLF (the default, and what
        RFC 5321 requires of message data). With ``False`` the bytes pass unchanged apart from the
        stuffing, which then works as with ``assume_crlf``: a dot after every LF, bare or not, so
        that no reader, however lenient about line endings, can see the block end early.
    :param assume_crlf: the caller promises the data already uses CRLF line endings, so they are
        not checked (the check is most of the cost on large CRLF messages). The bytes pass
        unchanged apart from the stuffing, and a dot is stuffed after *every* LF, bare or not:
        for data that keeps the promise the output is exactly that of the default, and data that
        breaks it can still never end the block early, not even for a reader that takes a bare
        LF as a line ending. Overrides ``normalize_line_endings``.
    """

    __slots__ = ("_assume_crlf", "_at_crlf", "_at_line_start", "_pending_cr")

    def __init__(self, *, normalize_line_endings: bool = True, assume_crlf: bool = False) -> None:
        self._assume_crlf = assume_crlf or not normalize_line_endings
        self._at_line_start = True  # after an LF, bare or not: a dot here gets stuffed
        self._at_crlf = True  # after a CRLF (or at the start): the terminator may follow
        self._pending_cr = False

    def stuff(self, chunk: bytes) -> bytes:
        """Return the stuffed form of the next piece of the message (possibly ``b""``)."""
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            # The LF that completes this CRLF may be in the next chunk.
            chunk = chunk[:-1]
            self._pending_cr = True
        if not chunk:
            return b""
        if self._assume_crlf:
            if _LINE_DOT_SEARCH(chunk) is not None:
                chunk = b"\n..".join(_LINE_DOT_SPLIT(chunk))
        else:
            if b"\r" not in chunk:
                # Every LF is bare (Unix line endings): one replace, no counting.
                chunk = chunk.replace(b"\n", b"\r\n")
            else:
                # Single-byte counts first: they are cheap, and unequal counts settle it.
                lf = chunk.count(b"\n")
                if lf != chunk.count(b"\r") or lf != chunk.count(b"\r\n"):
                    chunk = _ANY_EOL.sub(b"\r\n", chunk)
            # Every line ending is CRLF now, so a dot after an LF begins a line.
            if _LINE_DOT_SEARCH(chunk) is not None:
                chunk = b"\r\n..".join(_CRLF_DOT_SPLIT(chunk))
        if self._at_line_start and chunk[:1] == b".":
            chunk = b"." + chunk
        self._at_line_start = chunk.endswith(b"\n")
        # A CR is never left at the end of a chunk (it waits for the next one), so this sees
        # every CRLF whole.
        self._at_crlf = chunk.endswith(b"\r\n")
        return chunk

    def finish(self) -> bytes:
        """Return what ends the block: a CRLF if the data did not end with one, then ``.CRLF``."""
        # A CR held back gets its LF; data that does not end with CRLF gets one (after a bare
        # LF too, which only a lenient reader takes for a line end), so every reader sees it.
        ended = self._at_crlf and not self._pending_cr
        tail = b".\r\n" if ended else b"\r\n.\r\n"
        self._pending_cr = False
        self._at_line_start = self._at_crlf = True
        return tail


def dot_stuff(
    message: bytes, *, normalize_line_endings: bool = True, assume_crlf: bool = False
) -> bytes:
    """Return ``message`` as a complete dot-stuffed block, terminator included."""
    body, end = dot_stuff_parts(
        message, normalize_line_endings=normalize_line_endings, assume_crlf=assume_crlf
    )
    return body + end


def dot_stuff_parts(
    message: bytes, *, normalize_line_endings: bool = True, assume_crlf: bool = False
) -> tuple[bytes, bytes]:
    """:func:`dot_stuff` as the stuffed message and what ends it, to be written one after the
    other without joining them (which would copy the message once more)."""
    if assume_crlf or not normalize_line_endings:
        # What DotStuffer does with these options, for a whole message in one call.
        if _LINE_DOT_SEARCH(message) is not None:
            message = b"\n..".join(_LINE_DOT_SPLIT(message))
        if message[:1] == b".":
            message = b"." + message
        if not message or message.endswith(b"\r\n"):
            return message, b".\r\n"
        return message, (b"\n.\r\n" if message.endswith(b"\r") else b"\r\n.\r\n")
    stuffer = DotStuffer(normalize_line_endings=normalize_line_endings, assume_crlf=assume_crlf)
    return stuffer.stuff(message), stuffer.finish()
