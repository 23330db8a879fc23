"""Addresses and whole messages (RFC 5322, MIME) as hypothesis strategies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from hypothesis import strategies as st

from ..message import Address, Attachment, compose
from ._smtp import _dot_string, _utf8_local, domains

__all__ = ["addresses", "email_messages"]

# Header text: any character with a UTF-8 form except controls and line separators.
_NOT_IN_HEADERS: list[Literal["Cs", "Cc", "Zl", "Zp"]] = ["Cs", "Cc", "Zl", "Zp"]
_NO_SURROGATES: list[Literal["Cs"]] = ["Cs"]
_header_text = st.text(st.characters(exclude_categories=_NOT_IN_HEADERS), max_size=40).map(
    str.strip
)
_body_text = st.text(st.characters(exclude_categories=_NO_SURROGATES), max_size=400)
_content_types = st.sampled_from(
    ["application/octet-stream", "application/pdf", "image/png", "text/plain", "text/csv"]
)


def addresses(*, utf8: bool = False) -> st.SearchStrategy[Address]:
    """Mailboxes with display names of any script (empty too) and ASCII or, with ``utf8``,
    UTF-8 local parts."""
    local = st.one_of(_dot_string, _utf8_local) if utf8 else _dot_string
    return st.builds(Address, _header_text, local, domains())


@st.composite
def _attachments(draw: st.DrawFn) -> Attachment:
    data = draw(st.binary(max_size=600))
    filename = draw(st.one_of(st.none(), _header_text.filter(bool)))
    content_type = draw(_content_types)
    return Attachment(data, content_type, filename)


@st.composite
def email_messages(draw: st.DrawFn, *, utf8: bool = False) -> bytes:
    """Complete messages as bytes: From, To, Cc, a subject, a date with any offset, a text
    body, sometimes an HTML alternative and attachments; non-ASCII text in every field.

    Headers use encoded words unless ``utf8`` allows RFC 6532 UTF-8 headers. Every message is
    valid (it parses without defects); the randomness for boundaries and the Message-ID comes
    from the drawn seed, so a failing example reproduces.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    minutes = draw(st.integers(-12 * 60, 14 * 60))
    when = draw(
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1))
    ).replace(tzinfo=UTC)
    now = when.astimezone(timezone(timedelta(minutes=minutes)))
    html = draw(st.one_of(st.none(), _body_text.map(lambda t: f"<p>{t}</p>")))
    message = compose(
        now=now,
        random_bytes=random.Random(seed).randbytes,
        allow_utf8=utf8,
        from_=draw(addresses(utf8=utf8)),
        to=draw(st.lists(addresses(utf8=utf8), min_size=1, max_size=3)),
        cc=draw(st.lists(addresses(utf8=utf8), max_size=2)),
        subject=draw(_header_text),
        text=draw(_body_text),
        html=html,
        attachments=draw(st.lists(_attachments(), max_size=2)),
    )
    return message.to_bytes()
