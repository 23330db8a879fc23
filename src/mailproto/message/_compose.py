"""Building new messages, and changing header fields of existing ones byte for byte.

:class:`MessageBuilder` collects what a message says (addresses, subject, bodies, attachments)
and :meth:`MessageBuilder.build` writes it: RFC 5322 headers folded at 78, RFC 2047 encoded words
and RFC 2231 parameters only where needed (UTF-8 headers, RFC 6532, when the caller allows
SMTPUTF8), and a transfer encoding chosen per part. The clock and the random source are
parameters, so the same inputs always give the same bytes.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict, Unpack

from ..errors import ErrorKind, LocalProtocolError
from ._address import Address, Group
from ._address_format import format_address_list, format_mailbox
from ._encode import (
    TransferEncoding,
    check_no_line_breaks,
    choose_transfer_encoding,
    encode_param,
    encode_phrase,
    encode_transfer,
    encode_unstructured,
    is_line_clean,
)
from ._fold import fold_header
from ._headers import parse_header_block
from ._mime import parse_content_type

__all__ = [
    "Attachment",
    "ComposedMessage",
    "MessageBuilder",
    "compose",
    "format_date",
    "make_msgid",
    "prepend_header",
    "remove_header",
    "set_header",
]

#: What may be given where an address is expected: an :class:`Address`, a :class:`Group`, or a
#: string ``local@domain`` or ``Display Name <local@domain>``.
AddressLike = Address | Group | str
RandomBytes = Callable[[int], bytes]

_CRLF = b"\r\n"
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")
_BYTES_NEWLINE_RE = re.compile(rb"\r\n|\r|\n")
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_NAME_ADDR_RE = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*", re.DOTALL)
_MSGID_RE = re.compile(r"<?([^<>\s]+)>?")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Header fields the builder writes itself; extra headers may not repeat them.
_MANAGED = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "keywords",
        "mime-version",
    }
)
# A few common types, so that attaching "report.pdf" does not need the type spelled out. The
# stdlib mimetypes module is not used because it reads system files.
_TYPES_BY_SUFFIX = {
    "txt": "text/plain",
    "html": "text/html",
    "htm": "text/html",
    "csv": "text/csv",
    "ics": "text/calendar",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "json": "application/json",
    "xml": "application/xml",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "webp": "image/webp",
    "eml": "message/rfc822",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
}


def _bad(message: str) -> LocalProtocolError:
    return LocalProtocolError(message, kind=ErrorKind.BAD_PARAMETER)


def _to_address(value: AddressLike) -> Address | Group:
    if isinstance(value, Address | Group):
        return value
    check_no_line_breaks(value, "address")
    match = _NAME_ADDR_RE.fullmatch(value)
    if match:
        name, spec = match[1], match[2].strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
    else:
        name, spec = "", value.strip()
    local, at, domain = spec.rpartition("@")
    if not at or not local or not domain:
        raise _bad(f"not an address: {value!r}")
    if len(local) >= 2 and local[0] == local[-1] == '"':
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    return Address(name, local, domain)


def _to_addresses(values: AddressLike | Iterable[AddressLike] | None) -> list[Address | Group]:
    if values is None:
        return []
    if isinstance(values, Address | Group | str):
        return [_to_address(values)]
    return [_to_address(v) for v in values]


def _mailboxes(items: Iterable[Address | Group]) -> Iterable[Address]:
    for item in items:
        if isinstance(item, Group):
            yield from item.members
        else:
            yield item


def _msg_id(value: str, allow_utf8: bool = True) -> str:
    match = _MSGID_RE.fullmatch(value.strip())
    if not match:
        raise _bad(f"not a message id: {value!r}")
    if not allow_utf8 and not value.isascii():
        raise _bad(f"the message id {value!r} needs SMTPUTF8 (allow_utf8=True)")
    return f"<{match[1]}>"


def format_date(moment: datetime) -> str:
    """*moment* as an RFC 5322 ``date-time``: ``Fri, 21 Nov 1997 09:55:06 -0600``.

    :raises LocalProtocolError: *moment* has no time zone.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise _bad("the date needs a time zone (an aware datetime)")
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} "
        f"{sign}{hours:02d}{mins:02d}"
    )


def make_msgid(random_bytes: RandomBytes, domain: str) -> str:
    """A new unique ``<id@domain>`` from 120 random bits (for Message-ID and Content-ID)."""
    check_no_line_breaks(domain, "domain")
    token = base64.b32encode(random_bytes(15)).decode("ascii").lower()
    return f"<{token}@{domain}>"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message, or an inline image that HTML refers to by ``cid:``.

    :param data: the content; a ``str`` is sent as UTF-8 text with a ``charset`` parameter.
        A ``str``, and ``message/*`` content, gets CRLF line endings.
    :param content_type: ``type/subtype``, optionally with parameters
        (``text/csv; header=present``); guessed from a few common file name suffixes when
        ``None``, ``application/octet-stream`` otherwise.
    :param filename: the file name shown to the recipient (RFC 2231 encoded when not ASCII).
    :param inline: ``Content-Disposition: inline`` rather than ``attachment``.
    :param content_id: the Content-ID, without angle brackets (``logo@example.com``); an HTML body
        refers to it as ``cid:logo@example.com``.
    """

    data: bytes | str
    content_type: str | None = None
    filename: str | None = None
    inline: bool = False
    content_id: str | None = None

    def resolved_type(self) -> str:
        """The content type to send, after guessing from the file name."""
        if self.content_type:
            return self.content_type.strip()
        if self.filename and "." in self.filename:
            suffix = self.filename.rsplit(".", 1)[1].lower()
            if suffix in _TYPES_BY_SUFFIX:
                return _TYPES_BY_SUFFIX[suffix]
        return "text/plain" if isinstance(self.data, str) else "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    """A message as built: its bytes, and what the SMTP envelope needs.

    :param data: the message, CRLF line endings, without Bcc.
    :param envelope_sender: the reverse-path: the Sender, or else the (first) From address.
    :param envelope_recipients: every To, Cc and Bcc address, once each, in that order.
    :param message_id: the Message-ID written, with angle brackets.
    :param needs_smtputf8: the message or the envelope holds UTF-8 (only with ``allow_utf8``).
    :param needs_8bitmime: a part is sent ``8bit`` (only with ``allow_8bit``).
    """

    data: bytes
    envelope_sender: str
    envelope_recipients: tuple[str, ...]
    message_id: str
    needs_smtputf8: bool = False
    needs_8bitmime: bool = False

    def to_bytes(self) -> bytes:
        """The message bytes, ready for SMTP DATA (before dot-stuffing)."""
        return self.data


# --------------------------------------------------------------------------------------------
# The part tree


@dataclass(slots=True)
class _Leaf:
    headers: list[tuple[str, str, bool]]
    body: bytes
    encoding: TransferEncoding


@dataclass(slots=True)
class _Multi:
    subtype: str
    children: list[_Leaf | _Multi] = field(default_factory=list)
    params: str = ""


def _normalize_text(text: str) -> bytes:
    if not text:
        return b""
    text = _NEWLINE_RE.sub("\r\n", text)
    if not text.endswith("\r\n"):
        text += "\r\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _bad(f"text cannot be encoded as UTF-8: {exc}") from exc


def _text_leaf(text: str, subtype: str, allow_8bit: bool) -> _Leaf:
    data = _normalize_text(text)
    charset = "us-ascii" if data.isascii() else "utf-8"
    encoding = choose_transfer_encoding(data, text=True, allow_8bit=allow_8bit)
    return _Leaf(
        [
            ("Content-Type", f"text/{subtype}; charset={charset}", True),
            ("Content-Transfer-Encoding", encoding, False),
        ],
        encode_transfer(data, encoding),
        encoding,
    )


def _params(pairs: Iterable[tuple[str, str]], allow_utf8: bool) -> str:
    pieces: list[str] = []
    for name, value in pairs:
        pieces.extend(encode_param(name, value, allow_utf8=allow_utf8))
    return "".join("; " + p for p in pieces)


def _attachment_leaf(att: Attachment, allow_utf8: bool, allow_8bit: bool) -> _Leaf:
    ctype, given, problems = parse_content_type(att.resolved_type())
    maintype, slash, subtype = ctype.partition("/")
    if problems or not (slash and _TOKEN_RE.fullmatch(maintype) and _TOKEN_RE.fullmatch(subtype)):
        raise _bad(f"bad content type {att.content_type!r}: give it as type/subtype[; a=b]")
    type_params: list[tuple[str, str]] = []
    if isinstance(att.data, str):
        data = _normalize_text(att.data)
        type_params.append(("charset", "us-ascii" if data.isascii() else "utf-8"))
    else:
        data = att.data
    if att.filename is not None:
        type_params.append(("name", att.filename))
    set_here = {name for name, _ in type_params}
    type_params.extend((k, v) for k, v in given.items() if k not in set_here)
    if maintype == "message":
        # RFC 2046 5.2.1: message/rfc822 is 7bit or 8bit; base64 only when neither is possible.
        # Its lines are made CRLF, as they would be on the wire.
        data = _BYTES_NEWLINE_RE.sub(b"\r\n", data)
        encoding = choose_transfer_encoding(data, text=False)
        if encoding == "base64" and allow_8bit and is_line_clean(data):
            encoding = "8bit"
    else:
        encoding = choose_transfer_encoding(data, text=maintype == "text", allow_8bit=allow_8bit)
    headers = [
        ("Content-Type", ctype + _params(type_params, allow_utf8), True),
        ("Content-Transfer-Encoding", encoding, False),
    ]
    disposition = "inline" if att.inline else "attachment"
    if att.filename is not None:
        disposition += _params([("filename", att.filename)], allow_utf8)
    headers.append(("Content-Disposition", disposition, True))
    if att.content_id is not None:
        headers.append(("Content-ID", _msg_id(att.content_id, allow_utf8), False))
    return _Leaf(headers, encode_transfer(data, encoding), encoding)


def _render(part: _Leaf | _Multi, random_bytes: RandomBytes) -> tuple[list[bytes], bytes]:
    """The folded MIME header lines of *part* and its body."""
    if isinstance(part, _Leaf):
        lines = [fold_header(n, v, structured=s) for n, v, s in part.headers]
        return lines, part.body
    rendered = []
    for child in part.children:
        head, body = _render(child, random_bytes)
        rendered.append(b"".join(head) + _CRLF + body)
    boundary = _boundary(rendered, random_bytes)
    delimiter = b"--" + boundary
    body = b"".join(delimiter + _CRLF + child + _CRLF for child in rendered) + delimiter + b"--\r\n"
    # The CRLF after each child belongs to the delimiter that follows (RFC 2046 5.1.1).
    header = fold_header(
        "Content-Type",
        f'multipart/{part.subtype}{part.params}; boundary="{boundary.decode()}"',
        structured=True,
    )
    return [header], body


def _boundary(contents: Sequence[bytes], random_bytes: RandomBytes) -> bytes:
    # "=_" cannot occur in base64 or in quoted-printable text, so only 7bit/8bit content could
    # hold the boundary; it is checked all the same.
    for _ in range(100):
        boundary = b"=_" + random_bytes(12).hex().encode("ascii")
        marker = b"--" + boundary
        if not any(marker in c for c in contents):
            return boundary
    raise LocalProtocolError(
        "the random source keeps giving boundaries that occur in the content",
        kind=ErrorKind.BAD_PARAMETER,
    )


def _headers_ascii(part: _Leaf | _Multi) -> bool:
    if isinstance(part, _Leaf):
        return all(value.isascii() for _, value, _ in part.headers)
    return all(_headers_ascii(c) for c in part.children)


def _has_8bit(part: _Leaf | _Multi) -> bool:
    if isinstance(part, _Leaf):
        return part.encoding == "8bit"
    return any(_has_8bit(c) for c in part.children)


# --------------------------------------------------------------------------------------------
# The builder


class MessageBuilder:
    """What a new message says; :meth:`build` writes it.

    Every argument is also an attribute that may be changed before building (the lists are
    plain lists). Addresses may be :class:`Address` or :class:`Group` values or strings
    (``"a@example.com"``, ``"Ann <a@example.com>"``).

    >>> from datetime import datetime, timezone
    >>> builder = MessageBuilder(from_="ann@example.com", to=["bob@example.org"],
    ...                          subject="Lunch?", text="At noon?")
    >>> msg = builder.build(now=datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc),
    ...                     random_bytes=lambda n: bytes(n))
    >>> msg.envelope_recipients
    ('bob@example.org',)
    """

    def __init__(
        self,
        *,
        from_: AddressLike | Iterable[AddressLike] | None = None,
        to: AddressLike | Iterable[AddressLike] | None = None,
        cc: AddressLike | Iterable[AddressLike] | None = None,
        bcc: AddressLike | Iterable[AddressLike] | None = None,
        reply_to: AddressLike | Iterable[AddressLike] | None = None,
        sender: AddressLike | None = None,
        subject: str | None = None,
        text: str | None = None,
        html: str | None = None,
        date: datetime | None = None,
        message_id: str | None = None,
        in_reply_to: Iterable[str] = (),
        references: Iterable[str] = (),
        keywords: Iterable[str] = (),
        headers: Iterable[tuple[str, str]] = (),
        attachments: Iterable[Attachment] = (),
    ) -> None:
        self.from_: list[Address | Group] = _to_addresses(from_)
        self.to: list[Address | Group] = _to_addresses(to)
        self.cc: list[Address | Group] = _to_addresses(cc)
        self.bcc: list[Address | Group] = _to_addresses(bcc)
        self.reply_to: list[Address | Group] = _to_addresses(reply_to)
        self.sender: Address | Group | None = None if sender is None else _to_address(sender)
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.message_id = message_id
        self.in_reply_to: list[str] = list(in_reply_to)
        self.references: list[str] = list(references)
        self.keywords: list[str] = list(keywords)
        self.headers: list[tuple[str, str]] = []
        for name, value in headers:
            self.add_header(name, value)
        self.attachments: list[Attachment] = list(attachments)

    def add_header(self, name: str, value: str) -> None:
        """Add an extra header field (``X-Mailer``, ``List-Unsubscribe``, ...), written as
        unstructured text after the standard fields.

        :raises LocalProtocolError: a bad field name, or one the builder writes itself.
        """
        if not re.fullmatch(r"[\x21-\x39\x3b-\x7e]+", name):
            raise _bad(f"bad header field name {name!r}")
        lowered = name.lower()
        if lowered in _MANAGED or lowered.startswith("content-"):
            raise _bad(f"{name} is written by the builder; set it through its attribute")
        check_no_line_breaks(value)
        self.headers.append((name, value))

    def attach(
        self,
        data: bytes | str,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
        content_id: str | None = None,
    ) -> Attachment:
        """Attach a file; see :class:`Attachment`. Returns the attachment added."""
        att = Attachment(data, content_type, filename, inline, content_id)
        self.attachments.append(att)
        return att

    def add_inline_image(
        self,
        data: bytes,
        *,
        content_type: str,
        content_id: str,
        filename: str | None = None,
    ) -> Attachment:
        """Add an image the HTML body shows as ``<img src="cid:CONTENT_ID">``.

        It goes with the HTML into a ``multipart/related`` part. *content_id* must be unique
        world-wide (RFC 2045); :func:`make_msgid` makes one (strip its angle brackets).
        """
        return self.attach(
            data, filename=filename, content_type=content_type, inline=True, content_id=content_id
        )

    # ----------------------------------------------------------------------------------------

    def _body(self, allow_utf8: bool, allow_8bit: bool) -> _Leaf | _Multi:
        related = [
            a for a in self.attachments if a.inline and a.content_id and self.html is not None
        ]
        others = [a for a in self.attachments if not any(a is r for r in related)]
        text = None if self.text is None else _text_leaf(self.text, "plain", allow_8bit)
        html: _Leaf | _Multi | None = None
        if self.html is not None:
            html = _text_leaf(self.html, "html", allow_8bit)
            if related:
                # RFC 2387 3.1: the type parameter names the root part's type.
                html = _Multi(
                    "related",
                    [html, *(_attachment_leaf(a, allow_utf8, allow_8bit) for a in related)],
                    '; type="text/html"',
                )
        body: _Leaf | _Multi | None
        if text is not None and html is not None:
            body = _Multi("alternative", [text, html])
        else:
            body = text if text is not None else html
        if not others:
            return body if body is not None else _text_leaf("", "plain", allow_8bit)
        mixed = _Multi("mixed", [] if body is None else [body])
        mixed.children.extend(_attachment_leaf(a, allow_utf8, allow_8bit) for a in others)
        return mixed

    def build(
        self,
        *,
        now: datetime,
        random_bytes: RandomBytes = os.urandom,
        allow_utf8: bool = False,
        allow_8bit: bool = False,
        message_id_domain: str | None = None,
    ) -> ComposedMessage:
        """Write the message.

        :param now: the time for the Date field (unless :attr:`date` is set); must be aware.
        :param random_bytes: the random source for the Message-ID (unless :attr:`message_id` is
            set) and the MIME boundaries.
        :param allow_utf8: the transport offers SMTPUTF8: headers and addresses may be UTF-8
            (RFC 6532) instead of encoded words and IDNA A-labels.
        :param allow_8bit: the transport offers 8BITMIME: text may be sent ``8bit``.
        :param message_id_domain: the right-hand side of the Message-ID; by default the domain
            of the first From address.
        :raises LocalProtocolError: the message cannot be written as asked (no From; several
            From addresses without a Sender; a non-ASCII address without *allow_utf8*; a line
            break in a header value; a line that cannot be folded under 998 octets).
        """
        if not self.from_:
            raise _bad("a message needs a From address")
        if any(isinstance(a, Group) for a in self.from_):
            raise _bad("From is a list of mailboxes; a group is not allowed there")
        from_boxes = list(_mailboxes(self.from_))
        if len(from_boxes) != 1 and self.sender is None:
            raise _bad("a message with several From addresses needs a Sender (RFC 5322 3.6.2)")
        if isinstance(self.sender, Group):
            raise _bad("the Sender must be a single mailbox")
        headers: list[tuple[str, str, bool]] = []

        def addresses(name: str, items: list[Address | Group]) -> None:
            if items:
                headers.append((name, format_address_list(items, allow_utf8=allow_utf8), True))

        headers.append(("Date", format_date(self.date or now), False))
        addresses("From", self.from_)
        # RFC 5322 3.6.2: no Sender when it would only repeat the single From address.
        if self.sender is not None and (
            len(from_boxes) != 1
            or format_mailbox(self.sender, allow_utf8=True)
            != format_mailbox(from_boxes[0], allow_utf8=True)
        ):
            addresses("Sender", [self.sender])
        addresses("Reply-To", self.reply_to)
        addresses("To", self.to)
        addresses("Cc", self.cc)
        if self.subject is not None:
            headers.append(
                (
                    "Subject",
                    encode_unstructured(self.subject, allow_utf8=allow_utf8, offset=9),
                    False,
                )
            )
        if self.message_id is not None:
            message_id = _msg_id(self.message_id, allow_utf8)
        else:
            domain = message_id_domain
            if domain is None:
                first = from_boxes[0] if from_boxes else None
                domain = first.domain if first is not None and first.domain else "localhost"
                domain = format_mailbox(Address("", "x", domain), allow_utf8=allow_utf8)[2:]
            message_id = make_msgid(random_bytes, domain)
        headers.append(("Message-ID", message_id, False))
        if self.in_reply_to:
            ids = " ".join(_msg_id(i, allow_utf8) for i in self.in_reply_to)
            headers.append(("In-Reply-To", ids, True))
        if self.references:
            ids = " ".join(_msg_id(i, allow_utf8) for i in self.references)
            headers.append(("References", ids, True))
        if self.keywords:
            words = [encode_phrase(k, allow_utf8=allow_utf8) for k in self.keywords]
            # White space after an encoded word, even before the comma: valid (CFWS may precede
            # it), and readers that take Keywords for unstructured text (the stdlib does) want it.
            value = "".join(
                w + ("" if i == len(words) - 1 else " , " if w.endswith("?=") else ", ")
                for i, w in enumerate(words)
            )
            headers.append(("Keywords", value, True))
        for name, value in self.headers:
            value = encode_unstructured(value, allow_utf8=allow_utf8, offset=len(name) + 2)
            headers.append((name, value, False))
        headers.append(("MIME-Version", "1.0", False))

        part = self._body(allow_utf8, allow_8bit)
        mime_head, body = _render(part, random_bytes)
        head = b"".join(fold_header(n, v, structured=s) for n, v, s in headers)
        data = head + b"".join(mime_head) + _CRLF + body
        if body and not body.endswith(_CRLF):
            data += _CRLF

        sender_box = self.sender if self.sender is not None else from_boxes[0]
        envelope_sender = format_mailbox(sender_box, allow_utf8=allow_utf8)
        recipients: dict[str, None] = {}
        for box in _mailboxes([*self.to, *self.cc, *self.bcc]):
            recipients.setdefault(format_mailbox(box, allow_utf8=allow_utf8), None)
        needs_utf8 = not (
            head.isascii()
            and all(line.isascii() for line in mime_head)
            and _headers_ascii(part)
            and envelope_sender.isascii()
            and all(r.isascii() for r in recipients)
        )
        return ComposedMessage(
            data=data,
            envelope_sender=envelope_sender,
            envelope_recipients=tuple(recipients),
            message_id=message_id,
            needs_smtputf8=needs_utf8,
            needs_8bitmime=_has_8bit(part),
        )


class MessageFields(TypedDict, total=False):
    """The keyword arguments of :func:`compose`: the fields of :class:`MessageBuilder`."""

    from_: AddressLike | Iterable[AddressLike] | None
    to: AddressLike | Iterable[AddressLike] | None
    cc: AddressLike | Iterable[AddressLike] | None
    bcc: AddressLike | Iterable[AddressLike] | None
    reply_to: AddressLike | Iterable[AddressLike] | None
    sender: AddressLike | None
    subject: str | None
    text: str | None
    html: str | None
    date: datetime | None
    message_id: str | None
    in_reply_to: Iterable[str]
    references: Iterable[str]
    keywords: Iterable[str]
    headers: Iterable[tuple[str, str]]
    attachments: Iterable[Attachment]


def compose(
    *,
    now: datetime,
    random_bytes: RandomBytes = os.urandom,
    allow_utf8: bool = False,
    allow_8bit: bool = False,
    message_id_domain: str | None = None,
    **fields: Unpack[MessageFields],
) -> ComposedMessage:
    """Build a message in one call: ``compose(from_=..., to=..., subject=..., text=..., now=...)``.

    The fields are those of :class:`MessageBuilder`; the other arguments those of
    :meth:`MessageBuilder.build`.
    """
    builder = MessageBuilder(**fields)
    return builder.build(
        now=now,
        random_bytes=random_bytes,
        allow_utf8=allow_utf8,
        allow_8bit=allow_8bit,
        message_id_domain=message_id_domain,
    )


# --------------------------------------------------------------------------------------------
# Changing header fields of an existing message, byte for byte


def _header_fields(raw: bytes) -> tuple[list[tuple[str, int, int]], int, bytes]:
    """The fields of the header block of *raw*, as the parser sees them, as (lower-cased name,
    start, end) offsets; the offset where the header block ends; and the line ending used."""
    first_nl = raw.find(b"\n")
    newline = b"\r\n" if first_nl > 0 and raw[first_nl - 1] == 0x0D else b"\n"
    if first_nl < 0:
        newline = _CRLF
    headers, end, _, _ = parse_header_block(raw, 0, len(raw))
    return [(h.name.lower(), h.offset, h.end) for h in headers], end, newline


def _field_bytes(name: str, value: str, newline: bytes, allow_utf8: bool, encode: bool) -> bytes:
    if encode:
        value = encode_unstructured(value, allow_utf8=allow_utf8, offset=len(name) + 2)
    elif not allow_utf8 and not value.isascii():
        raise _bad(f"{name}: a non-ASCII value needs encode=True or allow_utf8=True")
    folded = fold_header(name, value, structured=not encode)
    return folded if newline == _CRLF else folded.replace(_CRLF, newline)


def prepend_header(
    raw: bytes, name: str, value: str, *, allow_utf8: bool = False, encode: bool = True
) -> bytes:
    """*raw* with a new header field at the top (a ``Received`` trace field, ...).

    Only the new field's bytes are added, with the message's own line ending. The value is
    folded at 78; with *encode* it is first written as unstructured text (encoded words where
    needed), without it it is written as given (already in its header form: an address list from
    :func:`format_address_list`, a Received field), folding preferably after ``,`` or ``;``.

    :raises LocalProtocolError: the value cannot be written (see :func:`fold_header`).
    """
    _, _, newline = _header_fields(raw)
    return _field_bytes(name, value, newline, allow_utf8, encode) + raw


def set_header(
    raw: bytes, name: str, value: str, *, allow_utf8: bool = False, encode: bool = True
) -> bytes:
    """*raw* with the field *name* set to *value* (written as by :func:`prepend_header`).

    The first field of that name, as :class:`~mailproto.message.Message` sees the header block,
    is replaced where it stands and any others are removed; without one the field is added at
    the end of the header block. Every other byte stays as it was.
    """
    fields, end, newline = _header_fields(raw)
    key = name.lower()
    new = _field_bytes(name, value, newline, allow_utf8, encode)
    matching = [(s, e) for n, s, e in fields if n == key]
    if not matching:
        if end == len(raw) and raw and not raw.endswith(b"\n"):
            return raw + newline + new
        return raw[:end] + new + raw[end:]
    out = [raw[: matching[0][0]], new]
    prev = matching[0][1]
    for start, stop in matching[1:]:
        out.append(raw[prev:start])
        prev = stop
    out.append(raw[prev:])
    return b"".join(out)


def remove_header(raw: bytes, name: str) -> bytes:
    """*raw* without any field named *name* (with its continuation lines); nothing else changes."""
    fields, _, _ = _header_fields(raw)
    key = name.lower()
    out: list[bytes] = []
    prev = 0
    for n, start, stop in fields:
        if n == key:
            out.append(raw[prev:start])
            prev = stop
    out.append(raw[prev:])
    return b"".join(out)
