"""The header block: split into fields without copying, decode values only when asked.

A header block is scanned with one regular expression over the original bytes; each field keeps
its offsets, and its value is unfolded and decoded (RFC 6532 UTF-8, RFC 2047 encoded words) the
first time it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ._defects import Defect, DefectKind
from ._encoded_words import decode_encoded_words_ex, decode_header_bytes

__all__ = ["Header", "Received", "parse_header_block", "parse_msg_ids", "parse_received"]

# One line of a header block: a field with its continuation lines, or any other line.
_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)\n?|[^\n]*\n?")
# The same, with the pieces as groups so findall gives their lengths: name, "[ \t]*:", value
# (continuation lines and line ending included), or a whole other line.
_FIELDS = re.compile(rb"([!-9;-~]+)([ \t]*:)([^\n]*(?:\n[ \t][^\n]*)*\n?)|([^\n]*\n?)")
_BLANK = re.compile(rb"\n\r?\n")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_BREAK = re.compile(rb"\r\n|\r|\n")
_WSP_RUN = re.compile(r"[ \t\r\n]+")
# Structured fields whose values are phrases (address lists, Keywords): an encoded word in them
# may be delimited by a special as well as by white space (RFC 2047 section 5 (3)).
STRUCTURED_PHRASE_FIELDS = frozenset(
    {
        "from", "sender", "reply-to", "to", "cc", "bcc", "keywords",
        "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc",
        "disposition-notification-to", "return-receipt-to", "errors-to",
        "mail-followup-to", "mail-reply-to", "delivered-to", "x-original-to",
    }
)  # fmt: skip


class Header:
    """One header field, as written, with its value decoded on first use.

    :attr name: the field name as written (``"Subject"``).
    :attr offset: where the field starts in the bytes it was parsed from.
    :attr end: where it ends (after its line ending).
    """

    __slots__ = ("_buf", "_decoded", "_defects", "_vstart", "end", "name", "offset")

    def __init__(self, buf: bytes, name: str, offset: int, vstart: int, end: int) -> None:
        self._buf = buf
        self.name = name
        self.offset = offset
        self._vstart = vstart
        self.end = end
        self._decoded: str | None = None
        self._defects: list[Defect] | None = None

    @classmethod
    def from_bytes(cls, field: bytes) -> Header:
        """Parse one field (``b"Name: value\\r\\n"``, possibly folded) into a :class:`Header`."""
        m = _LINE.match(field)
        if m is None or m.group(1) is None:
            return cls(field, "", 0, 0, len(field))
        return cls(field, m.group(1).decode("latin-1"), 0, m.start(2), len(field))

    def __repr__(self) -> str:
        return f"Header({self.name!r}, {self.raw!r})"

    @property
    def raw(self) -> bytes:
        """The whole field as written, name, colon, value and line ending(s)."""
        return self._buf[self.offset : self.end]

    @property
    def raw_value(self) -> bytes:
        """The bytes after the colon, as written (folded, with the final line ending)."""
        return self._buf[self._vstart : self.end]

    def _flat(self) -> bytes:
        """The value's bytes unfolded and stripped; line breaks not followed by white space (a
        fold that lost its indent) read as one space."""
        data = _FOLD.sub(b"", self._buf[self._vstart : self.end]).strip(b" \t\r\n")
        if b"\r" in data or b"\n" in data:
            data = _BREAK.sub(b" ", data)
        return data

    @property
    def unfolded(self) -> str:
        """The value unfolded and stripped, bytes read as UTF-8 (else windows-1252), not decoded
        further: the input of the structured parsers (addresses, dates, parameters)."""
        text, clean = decode_header_bytes(self._flat())
        if not clean:
            self._add(Defect(DefectKind.NON_ASCII_HEADER, self.offset, f"{self.name}: not UTF-8"))
        return text

    def _add(self, defect: Defect) -> None:
        if self._defects is None:
            self._defects = [defect]
        elif defect not in self._defects:
            self._defects.append(defect)

    def latin1(self) -> str:
        """The value unfolded and stripped, each byte as the code point of the same number (the
        input of the structured parsers in their ``raw`` mode)."""
        return self._flat().decode("latin-1")

    @property
    def value(self) -> str:
        """The value decoded for display: unfolded, RFC 2047 words decoded, runs of line
        breaks inside a folded value kept as the white space that followed them."""
        if self._decoded is None:
            data = self._flat()
            if b"=?" not in data:
                text, clean = decode_header_bytes(data)
                if not clean:
                    self._add(
                        Defect(DefectKind.NON_ASCII_HEADER, self.offset, f"{self.name}: not UTF-8")
                    )
                self._decoded = text
                return text
            decoded, problems = decode_encoded_words_ex(
                data.decode("latin-1"),
                raw=True,
                structured=self.name.lower() in STRUCTURED_PHRASE_FIELDS,
            )
            for p in problems:
                kind = (
                    DefectKind.NON_ASCII_HEADER
                    if p.startswith("8-bit")
                    else DefectKind.INVALID_ENCODED_WORD
                )
                self._add(Defect(kind, self.offset, f"{self.name}: {p}"))
            self._decoded = decoded
        return self._decoded

    @property
    def defects(self) -> list[Defect]:
        """What was wrong with this field's value (decodes it if it was not yet)."""
        self.value  # noqa: B018 - decoding records the defects
        return list(self._defects or ())


def parse_header_block(
    buf: bytes, start: int, end: int
) -> tuple[list[Header], int, int, list[Defect]]:
    """Split the header block that starts at ``start``.

    Returns the fields, the end of the header block (where the empty line, or the first line that
    is not part of the header, starts), the start of the body, and the defects found. Lines that
    are not fields but are followed by a field continue the field before them (a fold that lost
    its indent), or are skipped at the start (an mbox ``From`` line, a byte order mark); otherwise,
    or if one looks like a boundary delimiter, the body starts there, as in a MIME part written
    without headers. Each such case is a defect.
    """
    defects: list[Defect] = []
    if buf.startswith(b"\xef\xbb\xbf", start, end):
        defects.append(Defect(DefectKind.MALFORMED_HEADER_LINE, start, "byte order mark"))
        start += 3
    if buf.startswith(b"\n", start, end) or buf.startswith(b"\r\n", start, end):
        return [], start, buf.find(b"\n", start, end) + 1, defects
    m = _BLANK.search(buf, start, end)
    if m is None:
        hend = body = end
    else:
        hend = m.start() + 1
        body = m.end()
    headers: list[Header] = []
    junk = -1  # where the current run of lines that are not fields starts
    pos = start
    for name, sep, value, other in _FIELDS.findall(buf, start, hend):
        if not name:
            if not other:
                continue  # the empty match at the end
            if other.startswith(b"--"):
                # What looks like a boundary delimiter: the body starts here.
                if junk < 0:
                    junk = pos
                break
            if junk < 0:
                junk = pos
            pos += len(other)
            continue
        if junk >= 0:
            # Lines that are not fields, followed by a field.
            if headers and buf[junk : junk + 1] not in (b" ", b"\t"):
                # A fold that lost its leading white space: they continue the previous field.
                headers[-1].end = pos
                kind, detail = DefectKind.MALFORMED_HEADER_LINE, "continuation without indent"
            elif headers:  # pragma: no cover - an indented line always continues a field
                kind, detail = DefectKind.MALFORMED_HEADER_LINE, "line in the header is not a field"
            elif buf[junk : junk + 1] in (b" ", b"\t"):
                kind, detail = DefectKind.FIRST_LINE_IS_CONTINUATION, "continuation of nothing"
            elif buf.startswith(b"From ", junk, pos):
                kind, detail = DefectKind.MALFORMED_HEADER_LINE, "mbox From_ line"
            else:
                kind, detail = DefectKind.MALFORMED_HEADER_LINE, "line in the header is not a field"
            defects.append(Defect(kind, junk, detail))
            junk = -1
        vstart = pos + len(name) + len(sep)
        end_ = vstart + len(value)
        headers.append(Header(buf, name.decode("latin-1"), pos, vstart, end_))
        pos = end_
    if junk >= 0:
        # The body starts here, without the empty line that should separate it.
        defects.append(
            Defect(
                DefectKind.MISSING_HEADER_BODY_SEPARATOR,
                junk,
                "a line that is not a field ends the header block",
            )
        )
        return headers, junk, junk, defects
    return headers, hend, body, defects


def collapse_ws(text: str) -> str:
    """Runs of white space to one space, stripped."""
    return _WSP_RUN.sub(" ", text).strip()


_IDS = re.compile(r"<([^<>]*)>")
_RECEIVED_WORDS = re.compile(r"(?i)(?<![\w.-])(from|by|via|with|id|for)\s+")
_RECEIVED_TOKEN = re.compile(r'\s*(<[^<>]*>|"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s;()]+)')
_COMMENT_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")


def parse_msg_ids(text: str) -> list[str]:
    """The message ids in a Message-ID, In-Reply-To or References value, without the angle
    brackets; words outside angle brackets count as ids only when there are no bracketed ones."""
    ids = [x.strip() for x in _IDS.findall(text) if x.strip()]
    if ids:
        return ["".join(_COMMENT_RE.sub("", x).split()) for x in ids]
    return [w for w in _COMMENT_RE.sub(" ", text).replace(",", " ").split() if "@" in w]


@dataclass(frozen=True, slots=True)
class Received:
    """One Received trace field (RFC 5321 section 4.4), split into its clauses.

    Each clause is the word after its keyword as written (``from_`` is ``"mail.example.com"`` for
    ``from mail.example.com (mail.example.com [192.0.2.1])``), or ``None``; ``comments`` keeps the
    parenthesised remarks in order and ``raw`` the whole unfolded value.
    """

    from_: str | None
    by: str | None
    via: str | None
    with_: str | None
    id: str | None
    for_: str | None
    date: datetime | None
    comments: tuple[str, ...]
    raw: str


def parse_received(text: str) -> Received:
    """Split a Received value into its clauses and date; never raises."""
    from ._dates import parse_date

    head, sep, tail = text.rpartition(";")
    if not sep:
        head, tail = text, ""
    date = parse_date(tail) if tail.strip() else None
    comments = tuple(c[1:-1].strip() for c in _COMMENT_RE.findall(head))
    bare = _COMMENT_RE.sub(" ", head)
    clauses: dict[str, str] = {}
    for m in _RECEIVED_WORDS.finditer(bare):
        key = m.group(1).lower()
        tok = _RECEIVED_TOKEN.match(bare, m.end())
        if key not in clauses and tok is not None:
            clauses[key] = tok.group(1)
    return Received(
        from_=clauses.get("from"),
        by=clauses.get("by"),
        via=clauses.get("via"),
        with_=clauses.get("with"),
        id=clauses.get("id"),
        for_=clauses.get("for"),
        date=date,
        comments=comments,
        raw=text,
    )
