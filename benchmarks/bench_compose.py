"""Writing messages: mailproto's MessageBuilder against the stdlib's EmailMessage.

Both build the same messages (a short text note; text + HTML with a non-ASCII subject and
display names; a message with a 1 MB attachment) and serialise them to bytes.
"""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.headerregistry import Address as StdAddress
from email.message import EmailMessage
from pathlib import Path

from benchmarks._harness import Comparison
from mailproto.message import Address, MessageBuilder

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
TEXT = "Hello,\n\nthe minutes of today's meeting are below.\n\n" + "A line of minutes.\n" * 40
HTML = "<html><body>" + "<p>A paragraph of minutes, with <b>bold</b> text.</p>\n" * 40 + "</body>"


def _random(n: int) -> bytes:
    return bytes(range(n))


def _ours(subject: str, html: bool, attachment: bytes | None) -> Callable[[], bytes]:
    def build() -> bytes:
        builder = MessageBuilder(
            from_=Address("Zoë Martin", "zoe", "example.com"),
            to=[Address("Bob", "bob", "example.org"), Address("Chloé", "chloe", "example.net")],
            subject=subject,
            text=TEXT,
            html=HTML if html else None,
        )
        if attachment is not None:
            builder.attach(attachment, filename="Bericht März.pdf")
        return builder.build(now=NOW, random_bytes=_random).to_bytes()

    return build


def _stdlib(subject: str, html: bool, attachment: bytes | None) -> Callable[[], bytes]:
    def build() -> bytes:
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = StdAddress("Zoë Martin", "zoe", "example.com")
        msg["To"] = [
            StdAddress("Bob", "bob", "example.org"),
            StdAddress("Chloé", "chloe", "example.net"),
        ]
        msg["Subject"] = subject
        msg["Date"] = email.utils.format_datetime(NOW)
        msg["Message-ID"] = "<0001020304050607080910111213@example.com>"
        msg.set_content(TEXT)
        if html:
            msg.add_alternative(HTML, subtype="html")
        if attachment is not None:
            msg.add_attachment(
                attachment, maintype="application", subtype="pdf", filename="Bericht März.pdf"
            )
        return msg.as_bytes()

    return build


def comparisons(corpus: Path | None, quick: bool) -> Iterable[Comparison]:
    cases = [
        ("short text note", "Minutes", False, None),
        ("text + HTML, non-ASCII headers", "Protokoll für März", True, None),
        ("text + 1 MB attachment", "Report", False, bytes(range(256)) * 4096),
    ]
    for label, subject, html, attachment in cases:
        yield Comparison(
            name=f"compose: {label}",
            ours=_ours(subject, html, attachment),
            work=1,
            unit="msgs",
            peer=_stdlib(subject, html, attachment),
            peer_name="email.message.EmailMessage",
        )
