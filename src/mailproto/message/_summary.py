"""A message summary for a list view: who, what, when, how big, and the first words."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ._address import Address

if TYPE_CHECKING:
    from ._message import Message, Priority

__all__ = ["MessageSummary", "summarize"]

_TAGS = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>")
_QUOTE_LINES = re.compile(r"(?m)^[ \t]*>.*$")
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What a mail client shows for a message in a list.

    :param from_: the first From mailbox, or ``None``.
    :param to: the To mailboxes (groups flattened).
    :param cc: the Cc mailboxes.
    :param subject: the decoded subject (``""`` if none).
    :param date: the Date, or ``None``.
    :param size: the message size in bytes.
    :param has_attachments: whether any part counts as an attachment.
    :param priority: the priority, or ``None`` when not set.
    :param preview: the first words of the text (HTML tags and quoted lines dropped, white
        space collapsed), at most ``preview_chars`` characters.
    """

    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    date: datetime | None
    size: int
    has_attachments: bool
    priority: Priority | None
    preview: str


def _preview(msg: Message, limit: int) -> str:
    part = msg.text_body
    if part is not None:
        text = _QUOTE_LINES.sub(" ", part.text(unflow=True)[: limit * 20])
    else:
        hpart = msg.html_body
        if hpart is None:
            return ""
        text = html.unescape(_TAGS.sub(" ", hpart.text()[: limit * 50]))
    text = _WS.sub(" ", text).strip()
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "\u2026"
    return text


def summarize(msg: Message, preview_chars: int = 200) -> MessageSummary:
    """Build the :class:`MessageSummary` of ``msg``."""
    senders = msg.addresses("from")
    return MessageSummary(
        from_=senders[0] if senders else None,
        to=tuple(msg.addresses("to")),
        cc=tuple(msg.addresses("cc")),
        subject=msg.subject or "",
        date=msg.date,
        size=msg.size,
        has_attachments=any(p.is_attachment or p.message is not None for p in msg.attachments),
        priority=msg.priority,
        preview=_preview(msg, preview_chars),
    )
