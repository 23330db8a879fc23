"""Replying to and forwarding a parsed message.

:func:`reply` and :func:`forward` return a :class:`~mailproto.message.MessageBuilder` filled in
from the original (recipients, subject, In-Reply-To and References, quoted text), which the caller
may change further before building it.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable

from ..errors import LocalProtocolError
from ._address import Address, Group
from ._address_format import format_addr_spec, format_address, format_mailbox
from ._compose import AddressLike, MessageBuilder, _to_address, _to_addresses, format_date
from ._message import Message

__all__ = [
    "base_subject",
    "forward",
    "forward_subject",
    "quote_text",
    "reply",
    "reply_subject",
    "trim_references",
]

# Reply and forward prefixes mail programs write, in many languages: "Re:", "RE:", "Aw:" (de),
# "Sv:" (nordic), "Antw:" (nl), "Vs:" (fi), "Réf:", "Rif:" (it), "Odp:" (pl), "Res:" (pt),
# "Fwd:", "Fw:", "Wg:" (de), "Tr:" (fr), "Rv:"/"Enc:" (es/pt), "Doorst:" (nl), "Vb:" (nl),
# "Pd:" (pl), "Fs:" (se), with an optional count ("Re[2]:", "Re(2):") and a half- or full-width
# colon; and the Chinese and Japanese forms.
_PREFIX_RE = re.compile(
    r"\s*(?:(?:re|aw|sv|antw|vs|r[ée]f|rif|odp|res|fwd?|wg|tr|rv|enc|doorst|vb|pd|fs)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]"
    r"|(?:回复|回覆|答复|答覆|转发|轉寄|転送|返信)\s*[:\uff1a])\s*",
    re.IGNORECASE,
)
# An id as it can be written back between angle brackets: printable ASCII, no brackets.
_ID_RE = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+")
_TAG_RE = re.compile(r"\s*(\[[^\[\]]{1,60}\])\s*")


def base_subject(subject: str) -> str:
    """*subject* without its reply and forward prefixes, however many and in whatever language.

    A mailing-list tag found among the prefixes (``[list] Re: x``) is kept in front.

    >>> base_subject("Re: AW: Fwd: RE: Meeting")
    'Meeting'
    >>> base_subject("[dev] Re: [dev] Re: patch")
    '[dev] patch'
    """
    rest = subject
    tags: list[str] = []
    while True:
        m = _PREFIX_RE.match(rest)
        if m is not None:
            rest = rest[m.end() :]
            continue
        t = _TAG_RE.match(rest)
        if t is not None and _PREFIX_RE.match(rest, t.end()) is not None:
            if t[1] not in tags:
                tags.append(t[1])
            rest = rest[t.end() :]
            continue
        break
    rest = rest.strip()
    if tags and rest.startswith(tuple(tags)):
        return rest
    return " ".join([*tags, rest]).strip()


def reply_subject(subject: str | None) -> str:
    """The base subject after one ``Re:`` prefix, never ``Re: Re: ...``."""
    return ("Re: " + base_subject(subject or "")).rstrip()


def forward_subject(subject: str | None) -> str:
    """The base subject after one ``Fwd:`` prefix."""
    return ("Fwd: " + base_subject(subject or "")).rstrip()


def trim_references(ids: list[str], limit: int = 20) -> list[str]:
    """At most *limit* ids, without repeats: the first (the thread's root) and the newest.

    Trimming this way keeps threading working in readers while a long thread's References
    field stays small (RFC 5322 3.6.4 lets a writer shorten it).
    """
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i, None)
    unique = list(seen)
    if len(unique) <= limit:
        return unique
    return [unique[0], *unique[len(unique) - (limit - 1) :]] if limit > 1 else unique[-1:]


def quote_text(text: str) -> str:
    """*text* with every line prefixed by ``>`` and a space (``>`` alone for empty lines)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "".join(("> " + line if line else ">") + "\n" for line in lines)


def _key(address: Address) -> str:
    return format_addr_spec(address.local_part, address.domain.lower()).lower()


def _clean(items: Iterable[Address]) -> list[Address]:
    """Addresses read from a message, made fit to write again: display names on one line, and
    addresses that cannot be written at all (no domain, a broken one) left out."""
    out: list[Address] = []
    for a in items:
        try:
            format_mailbox(a, allow_utf8=True)
        except LocalProtocolError:
            continue
        name = " ".join(a.display_name.split())
        out.append(a if name == a.display_name else Address(name, a.local_part, a.domain))
    return out


def _flat(items: Iterable[Address | Group]) -> list[Address]:
    out: list[Address] = []
    for item in items:
        out.extend(item.members if isinstance(item, Group) else [item])
    return out


def _who(address: Address | None) -> str:
    if address is None:
        return "someone"
    return address.display_name or format_addr_spec(address.local_part, address.domain)


def _html_quote(original: Message, header: str) -> str:
    """The original's HTML body (else its text, escaped) in a cited blockquote."""
    esc = html_lib.escape
    if original.html_body is not None:
        inner = original.html_body.text()
    elif original.text_body is not None:
        inner = f"<pre>{esc(original.text_body.text())}</pre>"
    else:
        return ""
    return f'<p>{esc(header)}</p><blockquote type="cite">{inner}</blockquote>'


def _attribution(original: Message) -> str:
    sender = next(iter(_clean(original.addresses("from"))), None)
    when = original.date
    who = _who(sender)
    return f"On {format_date(when)}, {who} wrote:" if when is not None else f"{who} wrote:"


def reply(
    original: Message,
    *,
    from_: AddressLike,
    text: str | None = None,
    html: str | None = None,
    reply_all: bool = False,
    me: Iterable[AddressLike] = (),
    quote: bool = True,
    attribution: str | None = None,
    max_references: int = 20,
) -> MessageBuilder:
    """A reply to *original*, ready to be built (or changed first).

    The reply goes to the original's Reply-To if it has one, else to its From (and to its To
    when the original is one of ours, From one of *me*). With *reply_all*, the original's To and
    Cc are added, without the user's own addresses (*from_* and *me*) and without repeats (a
    Mail-Followup-To field, when present, is used instead, as mailing lists ask); addresses of the
    original that cannot be written again (without a domain, or with a broken one) are left
    out. The subject gets one ``Re:``; In-Reply-To is the original's Message-ID and References
    the original's References (or its single In-Reply-To) followed by that id, trimmed to
    *max_references*.

    :param text: the reply's own text; with *quote* the original's text body follows it, after
        an *attribution* line (by default ``On <date>, <name> wrote:``), each line quoted with
        ``>`` and a space.
    :param html: an HTML body for the reply; with *quote* the original's HTML body (else its
        text, escaped) follows in a ``<blockquote type="cite">`` after the attribution.
    """
    sender = _to_address(from_)
    mine = {_key(a) for a in _flat([sender, *_to_addresses(list(me))])}

    def others(items: Iterable[Address], taken: set[str]) -> list[Address]:
        out: list[Address] = []
        for a in items:
            k = _key(a)
            if k not in mine and k not in taken:
                taken.add(k)
                out.append(a)
        return out

    orig_from = _clean(original.addresses("from"))
    reply_to = _clean(original.addresses("reply-to"))
    if reply_to:
        targets = reply_to
    elif orig_from and all(_key(a) in mine for a in orig_from):
        targets = _clean(original.addresses("to"))  # our own message: reply to its recipients
    else:
        targets = orig_from
    taken: set[str] = set()
    cc: list[Address] = []
    followup = _clean(original.addresses("mail-followup-to")) if reply_all else []
    if followup:
        to = others(followup, taken)
    elif reply_all:
        to = others([*targets, *_clean(original.addresses("to"))], taken)
        cc = others(_clean(original.addresses("cc")), taken)
    else:
        # The reply's target is kept even if it is one of ours (a note to self).
        to = []
        for a in targets:
            if _key(a) not in taken:
                taken.add(_key(a))
                to.append(a)
    if not to and not cc:
        to = list(targets or orig_from)

    body = text
    header = attribution if attribution is not None else _attribution(original)
    if quote:
        part = original.text_body
        if part is not None:
            quoted = quote_text(part.text())
            body = (text + "\n\n" if text else "") + header + "\n" + quoted
        if html is not None:
            html += _html_quote(original, header)
    references: list[str] = []
    msg_id = original.message_id
    if msg_id is not None and not _ID_RE.fullmatch(msg_id):
        msg_id = None  # not something a msg-id field can hold again
    if msg_id:
        prior = original.references
        if not prior and len(original.in_reply_to) == 1:
            prior = original.in_reply_to
        prior = [i for i in prior if _ID_RE.fullmatch(i)]
        references = trim_references([*prior, msg_id], max_references)
    return MessageBuilder(
        from_=sender,
        to=to,
        cc=cc,
        subject=reply_subject(original.subject),
        text=body,
        html=html,
        in_reply_to=[msg_id] if msg_id else [],
        references=references,
    )


def _forward_block(original: Message) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject")):
        if name in ("from",):
            value = ", ".join(
                format_address(a, allow_utf8=True) for a in _clean(original.addresses(name))
            )
        elif name == "date":
            value = format_date(original.date) if original.date is not None else ""
        else:
            value = original.subject or ""
        if value:
            rows.append((label, value))
    for label, name in (("To", "to"), ("Cc", "cc")):
        addresses = _clean(original.addresses(name))
        if addresses:
            rows.append((label, ", ".join(format_address(a, allow_utf8=True) for a in addresses)))
    return rows


_FORWARD_LINE = "---------- Forwarded message ----------"
_CTYPE_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")


def forward(
    original: Message,
    *,
    from_: AddressLike,
    to: AddressLike | Iterable[AddressLike] | None = None,
    cc: AddressLike | Iterable[AddressLike] | None = None,
    text: str | None = None,
    as_attachment: bool = False,
    include_attachments: bool = True,
) -> MessageBuilder:
    """A forward of *original*, ready to be built (or changed first). The subject gets one
    ``Fwd:``.

    Inline (the default), the original's text (and HTML, when it has an HTML body) follows the
    caller's *text* under a ``Forwarded message`` block naming its From, Date, Subject, To and
    Cc, and its attachments are attached again (*include_attachments*). With *as_attachment*,
    the original is attached whole, byte for byte but for CRLF line endings, as
    ``message/rfc822``.
    """
    builder = MessageBuilder(
        from_=from_, to=to, cc=cc, subject=forward_subject(original.subject), text=text
    )
    if as_attachment:
        raw = re.sub(rb"\r\n|\r|\n", b"\r\n", original.to_bytes())
        name = base_subject(original.subject or "") or "message"
        builder.text = text or None
        builder.attach(raw, content_type="message/rfc822", filename=f"{name}.eml")
        return builder
    rows = _forward_block(original)
    intro = (text + "\n\n" if text else "") + _FORWARD_LINE + "\n"
    intro += "".join(f"{label}: {value}\n" for label, value in rows) + "\n"
    text_part = original.text_body
    html_part = original.html_body
    builder.text = intro + (text_part.text() if text_part is not None else "")
    if html_part is not None:
        esc = html_lib.escape
        head = (f"<p>{esc(text).replace(chr(10), '<br>')}</p>" if text else "") + (
            f"<p>{_FORWARD_LINE}<br>"
            + "".join(f"{esc(label)}: {esc(value)}<br>" for label, value in rows)
            + "</p>"
        )
        builder.html = head + html_part.text()
    if include_attachments:
        for part in original.attachments:
            ctype = part.content_type
            # A type that cannot be written again, or a multipart the reader found no parts in,
            # travels as plain data.
            if not _CTYPE_RE.fullmatch(ctype) or ctype.startswith("multipart/"):
                ctype = "application/octet-stream"
            elif part.charset and _CTYPE_RE.fullmatch("x/" + part.charset):
                ctype += f"; charset={part.charset}"  # text keeps its charset
            builder.attach(
                part.decoded(),
                filename=part.filename,
                content_type=ctype,
                inline=part.disposition == "inline" and part.content_id is not None,
                content_id=part.content_id,
            )
    return builder
