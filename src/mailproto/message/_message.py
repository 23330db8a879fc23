"""The message model: :class:`Message` and its tree of :class:`Part` objects.

Parsing reads the header blocks and finds the part boundaries; every part is a set of offsets into
the original bytes. Header values, parameters and bodies are decoded only when asked for, and
:meth:`Message.to_bytes` gives back the original bytes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from ._address import Address, Group
from ._address_parse import flatten, parse_address_list_ex, parse_phrase_list
from ._dates import parse_date
from ._defects import Defect, DefectKind
from ._encoded_words import decode_bytes
from ._headers import Header, Received, parse_header_block, parse_msg_ids, parse_received
from ._mime import decode_transfer, find_boundaries, parse_content_type

if TYPE_CHECKING:
    from ._summary import MessageSummary

__all__ = ["Message", "Part", "Priority"]

#: Parts nested deeper than this are kept as opaque leaves (with a defect).
MAX_DEPTH = 64

_MULTIPART_HINT = re.compile(rb"(?i)multipart|message\s*/\s*(?:rfc822|global)")
_NEWLINES = re.compile(r"\r\n?")
_META_CHARSET = re.compile(rb"(?i)<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})")
_IDENTITY = frozenset({"", "7bit", "8bit", "binary"})


class Priority(enum.IntEnum):
    """A message's priority, on the X-Priority scale (1 is the highest)."""

    HIGHEST = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4
    LOWEST = 5


class Part:
    """One MIME entity: its header fields and its body, as offsets into the message's bytes.

    A multipart has :attr:`parts` (and a :attr:`preamble` and :attr:`epilogue`); a
    ``message/rfc822`` part has the embedded :class:`Message` as its only element of
    :attr:`parts`; any other part is a leaf whose body :meth:`decoded` and :meth:`text` return.
    """

    __slots__ = (
        "_buf",
        "_ctype",
        "_default_type",
        "_defects",
        "_disposition",
        "_epilogue",
        "_headers",
        "_index",
        "_params",
        "_parts",
        "_preamble",
        "body_offset",
        "end",
        "header_end",
        "offset",
    )

    def __init__(
        self,
        buf: bytes,
        start: int,
        end: int,
        default_type: str = "text/plain",
        depth: int = 0,
    ) -> None:
        self._buf = buf
        self.offset = start
        self.end = end
        self._default_type = default_type
        self._ctype: str | None = None
        self._params: dict[str, str] | None = None
        self._disposition: tuple[str | None, dict[str, str]] | None = None
        self._parts: list[Part] = []
        self._preamble = self._epilogue = (0, 0)
        headers, hend, body, defects = parse_header_block(buf, start, end)
        self._headers = headers
        self.header_end = hend
        self.body_offset = body
        self._defects = defects
        index: dict[str, list[Header]] = {}
        for h in headers:
            key = h.name.lower()
            lst = index.get(key)
            if lst is None:
                index[key] = [h]
            else:
                lst.append(h)
        self._index = index
        ct = index.get("content-type")
        if ct is not None:
            if _MULTIPART_HINT.search(buf, ct[0]._vstart, ct[0].end):
                self._split(depth)
        elif default_type == "message/rfc822":
            self._split(depth)

    # -- structure -----------------------------------------------------------------------------

    def _split(self, depth: int) -> None:
        ctype = self.content_type
        buf = self._buf
        if depth >= MAX_DEPTH:
            self._defects.append(
                Defect(DefectKind.NESTING_TOO_DEEP, self.offset, f"deeper than {MAX_DEPTH}")
            )
            return
        if ctype.startswith("multipart/"):
            boundary = self.params.get("boundary")
            if not boundary:
                self._defects.append(
                    Defect(DefectKind.MISSING_BOUNDARY_PARAMETER, self.offset, ctype)
                )
                return
            bbytes = boundary.encode("utf-8", "surrogateescape")
            ranges, pre_end, epi_start, closed = find_boundaries(
                buf, bbytes, self.body_offset, self.end
            )
            if not ranges and bbytes.rstrip() and bbytes != bbytes.rstrip():
                bbytes = bbytes.rstrip()
                ranges, pre_end, epi_start, closed = find_boundaries(
                    buf, bbytes, self.body_offset, self.end
                )
            self._preamble = (self.body_offset, pre_end)
            self._epilogue = (epi_start, self.end)
            if not ranges:
                self._defects.append(
                    Defect(DefectKind.BOUNDARY_NOT_FOUND, self.body_offset, repr(boundary))
                )
                return
            if not closed:
                self._defects.append(
                    Defect(DefectKind.MISSING_CLOSE_DELIMITER, ranges[-1][1], repr(boundary))
                )
            child_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
            self._parts = [Part(buf, s, e, child_default, depth + 1) for s, e in ranges]
        elif ctype in ("message/rfc822", "message/global"):
            cte = self.transfer_encoding
            if cte in _IDENTITY:
                self._parts = [Message(buf, self.body_offset, self.end, depth + 1)]
            else:
                inner = self.decoded()
                self._parts = [Message(inner, 0, len(inner), depth + 1)]

    @property
    def parts(self) -> list[Part]:
        """The children: the parts of a multipart, the embedded message of a message/rfc822
        part, or ``[]`` for a leaf."""
        return self._parts

    @property
    def is_multipart(self) -> bool:
        """Whether this part is a multipart with children."""
        return bool(self._parts) and not isinstance(self._parts[0], Message)

    @property
    def message(self) -> Message | None:
        """The embedded message of a message/rfc822 part, else ``None``."""
        if self._parts and isinstance(self._parts[0], Message):
            return self._parts[0]
        return None

    @property
    def preamble(self) -> bytes:
        """The bytes of a multipart before its first delimiter (``b""`` if none)."""
        return self._buf[self._preamble[0] : self._preamble[1]]

    @property
    def epilogue(self) -> bytes:
        """The bytes of a multipart after its close delimiter line (``b""`` if none)."""
        return self._buf[self._epilogue[0] : self._epilogue[1]]

    def walk(self) -> Iterator[Part]:
        """This part and every part below it, depth first, in order (embedded messages too)."""
        yield self
        for p in self._parts:
            yield from p.walk()

    # -- bytes ---------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The part's bytes exactly as they were parsed (header, empty line and body)."""
        if self.offset == 0 and self.end == len(self._buf):
            return self._buf
        return self._buf[self.offset : self.end]

    @property
    def size(self) -> int:
        """The part's size in bytes, headers included."""
        return self.end - self.offset

    @property
    def raw_header(self) -> bytes:
        """The header block as written, with the empty line that ends it (IMAP's
        ``BODY[n.MIME]``)."""
        return self._buf[self.offset : self.body_offset]

    @property
    def raw_body(self) -> memoryview:
        """The body as written (still transfer-encoded), a view of the original bytes."""
        return memoryview(self._buf)[self.body_offset : self.end]

    # -- headers -------------------------------------------------------------------------------

    @property
    def headers(self) -> list[Header]:
        """Every header field, in order, repeated names kept."""
        return list(self._headers)

    def header(self, name: str) -> str | None:
        """The decoded value of the first field called ``name`` (any case), or ``None``."""
        lst = self._index.get(name.lower())
        return lst[0].value if lst else None

    def header_all(self, name: str) -> list[str]:
        """The decoded values of every field called ``name``, in order."""
        return [h.value for h in self._index.get(name.lower(), ())]

    def header_fields(self, name: str) -> list[Header]:
        """The :class:`Header` objects of every field called ``name``, in order."""
        return list(self._index.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def _unfolded(self, name: str) -> str | None:
        lst = self._index.get(name)
        return lst[0].unfolded if lst else None

    # -- MIME ----------------------------------------------------------------------------------

    def _parse_ctype(self) -> None:
        text = self._unfolded("content-type")
        ctype, params = self._default_type, dict[str, str]()
        if text is not None:
            value, params, problems = parse_content_type(text)
            main, slash, sub = value.partition("/")
            if slash and main and sub:
                ctype = value
            else:
                problems.append(f"invalid media type {value!r}")
            for p in problems:
                self._defects.append(
                    Defect(
                        DefectKind.INVALID_CONTENT_TYPE, self._index["content-type"][0].offset, p
                    )
                )
        self._ctype = ctype
        self._params = params

    @property
    def content_type(self) -> str:
        """The media type, lower case (``"text/plain"`` by default, ``"message/rfc822"`` in a
        multipart/digest; an invalid Content-Type counts as missing, as RFC 2045 says)."""
        if self._ctype is None:
            self._parse_ctype()
        return self._ctype  # type: ignore[return-value]

    @property
    def maintype(self) -> str:
        """The part of :attr:`content_type` before the slash."""
        return self.content_type.partition("/")[0]

    @property
    def subtype(self) -> str:
        """The part of :attr:`content_type` after the slash."""
        return self.content_type.partition("/")[2]

    @property
    def params(self) -> dict[str, str]:
        """The Content-Type parameters (names lower case; RFC 2231 and encoded words decoded)."""
        if self._params is None:
            self._parse_ctype()
        return self._params  # type: ignore[return-value]

    @property
    def charset(self) -> str | None:
        """The declared charset, lower case, or ``None``."""
        cs = self.params.get("charset")
        return cs.strip().lower() if cs else None

    def _parse_disposition(self) -> tuple[str | None, dict[str, str]]:
        if self._disposition is None:
            text = self._unfolded("content-disposition")
            if text is None:
                self._disposition = (None, {})
            else:
                value, params, problems = parse_content_type(text)
                for p in problems:
                    self._defects.append(
                        Defect(
                            DefectKind.INVALID_PARAMETER,
                            self._index["content-disposition"][0].offset,
                            p,
                        )
                    )
                self._disposition = (value or None, params)
        return self._disposition

    @property
    def disposition(self) -> str | None:
        """``"inline"``, ``"attachment"`` (or another value, lower case), or ``None``."""
        return self._parse_disposition()[0]

    @property
    def disposition_params(self) -> dict[str, str]:
        """The Content-Disposition parameters."""
        return self._parse_disposition()[1]

    @property
    def filename(self) -> str | None:
        """The file name: Content-Disposition ``filename``, else Content-Type ``name``."""
        name = self._parse_disposition()[1].get("filename") or self.params.get("name")
        return name or None

    @property
    def content_id(self) -> str | None:
        """The Content-ID without angle brackets, or ``None``."""
        text = self._unfolded("content-id")
        if text is None:
            return None
        ids = parse_msg_ids(text)
        return ids[0] if ids else (text.strip("<> \t") or None)

    @property
    def transfer_encoding(self) -> str:
        """The Content-Transfer-Encoding, lower case (``""`` if none)."""
        text = self._unfolded("content-transfer-encoding")
        if not text:
            return ""
        return text.split("(", 1)[0].strip().strip('"').lower()

    def decoded(self) -> bytes:
        """The body with its transfer encoding undone (base64 with junk and bad padding and
        quoted-printable included); an unknown encoding returns the body as it is."""
        data, problem = decode_transfer(
            self._buf, self.body_offset, self.end, self.transfer_encoding
        )
        if problem is not None:
            kind = {
                "base64": DefectKind.INVALID_BASE64,
                "quoted-printable": DefectKind.INVALID_QUOTED_PRINTABLE,
            }.get(self.transfer_encoding, DefectKind.UNKNOWN_TRANSFER_ENCODING)
            defect = Defect(kind, self.body_offset, problem)
            if defect not in self._defects:
                self._defects.append(defect)
        return data

    def text(self, *, unflow: bool = False) -> str:
        """The body as text, in the declared charset (for HTML without one, the charset its
        ``<meta>`` names; else UTF-8, else windows-1252), with line endings made ``"\\n"``;
        undecodable bytes become U+FFFD. Never raises.

        :param unflow: for ``format=flowed`` text (RFC 3676), join the lines the sender's client
            wrapped, as a reader shows them (quoted lines keep their ``>`` prefixes).
        """
        data = self.decoded()
        charset = self.charset
        if charset is None and self.content_type == "text/html":
            meta = _META_CHARSET.search(data, 0, 4096)
            if meta is not None:
                charset = meta.group(1).decode("ascii")
        text, clean = decode_bytes(data, charset)
        if not clean:
            defect = Defect(
                DefectKind.UNDECODABLE_TEXT, self.body_offset, f"charset {self.charset!r}"
            )
            if defect not in self._defects:
                self._defects.append(defect)
        if "\r" in text:
            text = _NEWLINES.sub("\n", text)
        if unflow and self.params.get("format", "").lower() == "flowed":
            text = unflow_text(text, self.params.get("delsp", "").lower() == "yes")
        return text

    @property
    def is_attachment(self) -> bool:
        """Whether the part is marked as an attachment (disposition or a file name)."""
        disp = self.disposition
        return disp == "attachment" or (disp != "inline" and self.filename is not None)

    def _own_defects(self) -> list[Defect]:
        out = list(self._defects)
        for h in self._headers:
            out.extend(h.defects)
        return out

    @property
    def defects(self) -> list[Defect]:
        """The problems found in this part's own header block and body (not its children's);
        header values are decoded to find theirs."""
        return self._own_defects()


def unflow_text(text: str, delsp: bool = False) -> str:
    """Undo RFC 3676 ``format=flowed`` wrapping: a line ending in a space continues on the next
    line of the same quote depth; space-stuffing is removed; ``delsp`` deletes that space."""
    out: list[str] = []
    pending: str | None = None  # a flowed paragraph still open
    pending_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if pending is not None and depth != pending_depth:
            out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
            pending = None
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        joined = content if pending is None else pending + content
        if flowed:
            pending, pending_depth = joined, depth
        else:
            out.append(">" * depth + (" " if depth and joined else "") + joined)
            pending = None
    if pending is not None:
        out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
    return "\n".join(out)


def _find_body(part: Part, want: str) -> Part | None:
    ctype = part.content_type
    if part._parts:
        if isinstance(part._parts[0], Message):
            return None
        children = part._parts
        if ctype == "multipart/alternative":
            # The last alternative is the preferred one; choose the last that fits.
            children = list(reversed(children))
        elif ctype == "multipart/related":
            start = part.params.get("start")
            if start:
                sid = start.strip("<> ")
                children = sorted(children, key=lambda c: c.content_id != sid)
            else:
                children = children[:1]
        for child in children:
            found = _find_body(child, want)
            if found is not None:
                return found
        return None
    if ctype == want and part.disposition != "attachment":
        return part
    return None


class Message(Part):
    """A parsed message. Build one with :meth:`Message.parse`; it never raises on input.

    >>> msg = Message.parse(b"From: a@example.com\\r\\nSubject: Hi\\r\\n\\r\\nHello\\r\\n")
    >>> msg.subject, msg.addresses("from")[0].domain, msg.text_body.text()
    ('Hi', 'example.com', 'Hello\\n')
    """

    __slots__ = ()

    def __init__(self, buf: bytes, start: int = 0, end: int | None = None, depth: int = 0) -> None:
        super().__init__(buf, start, len(buf) if end is None else end, "text/plain", depth)

    @classmethod
    def parse(cls, raw: bytes | bytearray | memoryview) -> Message:
        """Parse a whole message. Lossless: ``Message.parse(raw).to_bytes() == raw``."""
        buf = raw if isinstance(raw, bytes) else bytes(raw)
        return cls(buf)

    def __repr__(self) -> str:
        return f"<Message {self.content_type} {self.size} bytes>"

    # -- structured header fields -------------------------------------------------------------

    def address_list(self, name: str) -> list[Address | Group]:
        """The addresses in the (first) field called ``name``, groups kept as :class:`Group`.

        A repeated field (two Cc lines, which RFC 5322 forbids) is read as its first occurrence,
        as other readers do.
        """
        lst = self._index.get(name.lower())
        if not lst:
            return []
        h = lst[0]
        out, problems = parse_address_list_ex(h.latin1(), raw=True)
        if problems:
            for p in problems:
                d = Defect(DefectKind.INVALID_ADDRESS, h.offset, f"{h.name}: {p}")
                if d not in self._defects:
                    self._defects.append(d)
        return out

    def addresses(self, name: str) -> list[Address]:
        """The mailboxes in the field called ``name``, with groups flattened."""
        return flatten(self.address_list(name))

    @property
    def date(self) -> datetime | None:
        """The Date field as an aware datetime, or ``None`` if missing or unreadable."""
        lst = self._index.get("date")
        if not lst:
            return None
        value = parse_date(lst[0].unfolded)
        if value is None:
            d = Defect(DefectKind.INVALID_DATE, lst[0].offset, lst[0].unfolded[:80])
            if d not in self._defects:
                self._defects.append(d)
        return value

    @property
    def subject(self) -> str | None:
        """The decoded Subject, or ``None``."""
        return self.header("subject")

    @property
    def message_id(self) -> str | None:
        """The Message-ID without angle brackets, or ``None``."""
        text = self._unfolded("message-id")
        if text is None:
            return None
        ids = parse_msg_ids(text)
        return ids[0] if ids else (text.strip() or None)

    @property
    def in_reply_to(self) -> list[str]:
        """The ids in In-Reply-To, without angle brackets."""
        text = self._unfolded("in-reply-to")
        return parse_msg_ids(text) if text else []

    @property
    def references(self) -> list[str]:
        """The ids in References, without angle brackets, oldest first."""
        out: list[str] = []
        for h in self._index.get("references", ()):
            out.extend(parse_msg_ids(h.unfolded))
        return out

    @property
    def received(self) -> list[Received]:
        """The Received fields, newest (topmost) first, each split into its clauses."""
        return [parse_received(h.unfolded) for h in self._index.get("received", ())]

    @property
    def keywords(self) -> list[str]:
        """The comma-separated phrases of every Keywords field, decoded (RFC 5322 3.6.5): a
        comma inside a quoted string or a comment does not separate, quotes are removed."""
        out: list[str] = []
        for h in self._index.get("keywords", ()):
            out.extend(parse_phrase_list(h.latin1(), raw=True))
        return out

    @property
    def priority(self) -> Priority | None:
        """The priority from X-Priority, else Importance, else Priority; ``None`` if unset."""
        xp = self.header("x-priority")
        if xp:
            m = re.match(r"\s*(\d)", xp)
            if m is not None and 1 <= int(m.group(1)) <= 5:
                return Priority(int(m.group(1)))
            word = xp.strip().lower()
            if word.startswith("high") or word == "urgent":
                return Priority.HIGHEST
            if word.startswith("low"):
                return Priority.LOWEST
            if word.startswith("normal"):
                return Priority.NORMAL
        for name, table in (
            ("importance", {"high": Priority.HIGHEST, "normal": Priority.NORMAL,
                            "low": Priority.LOWEST}),
            ("priority", {"urgent": Priority.HIGHEST, "normal": Priority.NORMAL,
                          "non-urgent": Priority.LOWEST}),
        ):  # fmt: skip
            v = self.header(name)
            if v is not None:
                p = table.get(v.strip().lower())
                if p is not None:
                    return p
        return None

    # -- bodies --------------------------------------------------------------------------------

    @property
    def text_body(self) -> Part | None:
        """The text/plain part a reader would show (not inside an attached message), or
        ``None``."""
        return _find_body(self, "text/plain")

    @property
    def html_body(self) -> Part | None:
        """The text/html part a reader would show, or ``None``."""
        return _find_body(self, "text/html")

    @property
    def attachments(self) -> list[Part]:
        """The leaves (and attached messages, as one part each) that are not the text or HTML
        body, in order; parts inside attached messages are not listed."""
        bodies = {id(self.text_body), id(self.html_body)}
        out: list[Part] = []

        def visit(part: Part) -> None:
            if part.is_multipart:
                for child in part._parts:
                    visit(child)
            elif id(part) not in bodies:
                out.append(part)

        visit(self)
        return out

    @property
    def defects(self) -> list[Defect]:
        """Every problem found in the message and all its parts, in order of position.

        Header values of every part are decoded to find theirs; body problems are included for
        bodies that were decoded.
        """
        out: list[Defect] = []
        for part in self.walk():
            out.extend(part._own_defects())
        out.sort(key=lambda d: d.offset)
        return out

    def summary(self, preview_chars: int = 200) -> MessageSummary:
        """The facts a mail client's list view shows (see :class:`MessageSummary`)."""
        from ._summary import summarize

        return summarize(self, preview_chars)
