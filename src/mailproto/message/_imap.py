"""IMAP ENVELOPE and BODYSTRUCTURE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2) of a message.

The values are nested tuples an IMAP serializer can write directly: ``None`` is ``NIL``, ``str``
an IMAP string, ``int`` a number and ``tuple`` a parenthesised list. :func:`imap_serialize` writes
them (quoted strings where possible, literals otherwise), for a server that has nothing better.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import TypeAlias

from ._address import Address, Group
from ._message import Message, Part

__all__ = ["Bodies", "ImapValue", "body_structure", "envelope", "imap_serialize", "section_part"]

ImapValue: TypeAlias = "int | str | tuple[ImapValue, ...] | None"


class Bodies(tuple):  # type: ignore[type-arg]
    """The parts of a multipart in a BODYSTRUCTURE: written one after the other without
    separating spaces and without parentheses of their own (``1*body`` in RFC 3501)."""

    __slots__ = ()


_QUOTABLE = re.compile(r"[\x01-\x09\x0b\x0c\x0e-\x7f]*")
_WS = re.compile(r"\s+")


def _nstring(text: str | None) -> str | None:
    if text is None:
        return None
    text = _WS.sub(" ", text).strip()
    return text


def _name(name: str) -> str | None:
    if not name:
        return None
    if name.isascii():
        return name
    # Clients expect RFC 2047 form in an envelope unless UTF8=ACCEPT is enabled.
    return "=?utf-8?b?" + base64.b64encode(name.encode("utf-8")).decode("ascii") + "?="


def _address(addr: Address) -> tuple[ImapValue, ...]:
    return (_name(addr.display_name), None, addr.local_part or None, addr.domain or None)


def _address_field(msg: Message, name: str) -> ImapValue:
    items = msg.address_list(name)
    if not items:
        return None
    out: list[ImapValue] = []
    for item in items:
        if isinstance(item, Group):
            # RFC 3501: a group starts with (NIL NIL "name" NIL) and ends with (NIL NIL NIL NIL).
            out.append((None, None, item.display_name or "", None))
            out.extend(_address(m) for m in item.members)
            out.append((None, None, None, None))
        else:
            out.append(_address(item))
    return tuple(out)


def _raw(part: Part, name: str) -> str | None:
    fields = part.header_fields(name)
    return _nstring(fields[0].unfolded) if fields else None


def envelope(msg: Message) -> tuple[ImapValue, ...]:
    """The ENVELOPE of ``msg``: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
    message-id. Strings are the fields as written (unfolded); Sender and Reply-To default to From,
    as RFC 3501 requires."""
    sender_from = _address_field(msg, "from")
    sender = _address_field(msg, "sender") if "sender" in msg else sender_from
    reply_to = _address_field(msg, "reply-to") if "reply-to" in msg else sender_from
    return (
        _raw(msg, "date"),
        _raw(msg, "subject"),
        sender_from,
        sender or sender_from,
        reply_to or sender_from,
        _address_field(msg, "to"),
        _address_field(msg, "cc"),
        _address_field(msg, "bcc"),
        _raw(msg, "in-reply-to"),
        _raw(msg, "message-id"),
    )


def _params(params: dict[str, str]) -> ImapValue:
    if not params:
        return None
    out: list[ImapValue] = []
    for k, v in params.items():
        out.append(k.upper())
        out.append(v)
    return tuple(out)


def _disposition(part: Part) -> ImapValue:
    disp = part.disposition
    if disp is None:
        return None
    return (disp.upper(), _params(part.disposition_params))


def _language(part: Part) -> ImapValue:
    value = _raw(part, "content-language")
    if not value:
        return None
    langs = [x.strip() for x in value.split(",") if x.strip()]
    if len(langs) == 1:
        return langs[0]
    return tuple(langs)


def body_structure(part: Part, extended: bool = True) -> tuple[ImapValue, ...]:
    """The BODYSTRUCTURE (``extended``) or BODY (not ``extended``) of a message or part.

    Sizes are the encoded body's size in octets; text parts and message/rfc822 parts carry their
    line count; a message/rfc822 part nests the ENVELOPE and structure of the message it holds.
    """
    ctype = part.content_type
    main, _, sub = ctype.partition("/")
    if part.is_multipart:
        children = Bodies(body_structure(p, extended) for p in part.parts)
        out: list[ImapValue] = [children, sub.upper()]
        if extended:
            out.extend(
                [
                    _params(part.params),
                    _disposition(part),
                    _language(part),
                    _raw(part, "content-location"),
                ]
            )
        return tuple(out)
    params = dict(part.params)
    if main == "text" and "charset" not in params:
        params["charset"] = "us-ascii"
    size = part.end - part.body_offset
    cte = part.transfer_encoding or "7bit"
    fields: list[ImapValue] = [
        main.upper(),
        sub.upper(),
        _params(params),
        _raw(part, "content-id"),
        _raw(part, "content-description"),
        cte.upper(),
        size,
    ]
    lines = part._buf.count(b"\n", part.body_offset, part.end)
    inner = part.message
    if inner is not None and ctype in ("message/rfc822", "message/global"):
        fields.extend([envelope(inner), body_structure(inner, extended), lines])
    elif main == "text":
        fields.append(lines)
    if extended:
        fields.extend(
            [
                _raw(part, "content-md5"),
                _disposition(part),
                _language(part),
                _raw(part, "content-location"),
            ]
        )
    return tuple(fields)


def _string(text: str) -> bytes:
    if _QUOTABLE.fullmatch(text) and "\r" not in text and "\n" not in text:
        return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'
    data = text.encode("utf-8")
    return b"{%d}\r\n" % len(data) + data


def imap_serialize(value: ImapValue) -> bytes:
    """Write a value as IMAP syntax: ``NIL``, numbers, quoted strings (literals when a string
    needs them), parenthesised lists."""
    if value is None:
        return b"NIL"
    if isinstance(value, bool):  # pragma: no cover - not produced here
        raise TypeError("booleans are not IMAP values")
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Bodies):
        return b"".join(imap_serialize(v) for v in value)
    return b"(" + b" ".join(imap_serialize(v) for v in value) + b")"


def section_part(msg: Message, numbers: Sequence[int]) -> Part | None:
    """The part an IMAP section number names (``[1, 2]`` for ``BODY[1.2]``), or ``None``.

    As RFC 3501 section 6.4.5 says: the parts of a multipart are numbered from 1; a message that
    is not multipart has only part 1, its body; the numbers after an attached message
    (message/rfc822) count the parts of the message it holds.
    """
    cur: Part = msg
    for n in numbers:
        if not isinstance(cur, Message) and cur.message is not None:
            cur = cur.message
        if cur.is_multipart:
            if not 1 <= n <= len(cur.parts):
                return None
            cur = cur.parts[n - 1]
        elif n != 1:
            return None
    return cur
