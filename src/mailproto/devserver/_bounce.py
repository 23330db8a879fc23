"""The bounce the relay sends back to a sender: a delivery status notification (RFC 3464).

A ``multipart/report; report-type=delivery-status`` message with three parts: a short text for
people, the ``message/delivery-status`` part with one block per failed recipient, and the
original message's header (``text/rfc822-headers``), as RFC 3461 suggests when the sender did
not ask for the whole message back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime

from ..smtp import Reply

__all__ = ["build_bounce"]


def _header_block(original: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = original.find(sep)
        if end >= 0:
            return original[: end + len(sep) // 2]
    return original


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


def build_bounce(
    *,
    reporting_host: str,
    sender: str,
    failures: Sequence[tuple[str, Reply, str]],
    original: bytes,
    arrival: datetime,
    now: datetime,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The bytes of a bounce for ``failures`` (``(recipient, last reply, remote host)``).

    The bounce comes from ``MAILER-DAEMON@reporting_host`` and is sent with the null reverse
    path, so it can never cause another bounce.
    """
    boundary = f"=_bounce_{random_bytes(12).hex()}"
    token = random_bytes(8).hex()
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting_host}>",
        f"To: <{sender}>",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{token}.bounce@{reporting_host}>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated delivery status notification.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at {reporting_host}.",
        "",
        "Your message could not be delivered to the following recipients:",
        "",
    ]
    for recipient, reply, host in failures:
        where = f" (said {host})" if host else ""
        lines.append(f"  <{_ascii(recipient)}>{where}: {reply.code} {_ascii(reply.text)}")
    lines += [
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting_host}",
        f"Arrival-Date: {format_datetime(arrival)}",
    ]
    for recipient, reply, host in failures:
        status = reply.enhanced_status or ("5.0.0" if reply.is_permanent else "4.0.0")
        lines += [
            "",
            f"Final-Recipient: rfc822; {_ascii(recipient)}",
            "Action: failed",
            f"Status: {status}",
        ]
        if host:
            lines.append(f"Remote-MTA: dns; {_ascii(host)}")
            lines.append(f"Diagnostic-Code: smtp; {reply.code} {_ascii(reply.text)}")
    lines += [
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
    ]
    head = "\r\n".join(lines).encode("ascii") + b"\r\n"
    headers = _header_block(original).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not headers.endswith(b"\r\n"):
        headers += b"\r\n"
    return head + headers + f"\r\n--{boundary}--\r\n".encode("ascii")
