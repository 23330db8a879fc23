"""Bounces and delay notices: delivery status notifications (RFC 3464, RFC 3461, RFC 6533).

:func:`build_dsn` writes a ``multipart/report; report-type=delivery-status`` message with three
parts: a human-readable explanation, the ``message/delivery-status`` fields, and the original
message, whole or its header block only, as the sender's ``RET`` asked (RFC 3461 section 4.3).
It returns ``None`` where no notification may be sent: for a null reverse-path (a bounce must
never cause another bounce) and when no recipient's ``NOTIFY`` asks for this kind of report.

The original is read with :meth:`mailproto.message.Message.parse` (for its header block and
Message-ID); header fields are written with the message model's folding and encoded-word
writers. The ``multipart/report`` structure itself is assembled here, because the message
builder writes ``multipart/mixed`` and has no way to name another multipart subtype.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..errors import ErrorKind, LocalProtocolError
from ..message import Message
from ..message._compose import format_date, make_msgid
from ..message._encode import choose_transfer_encoding, encode_transfer, encode_unstructured
from ..message._fold import fold_header

__all__ = [
    "DEFAULT_NOTIFY",
    "Action",
    "DeliveryReport",
    "Notify",
    "RecipientStatus",
    "Ret",
    "build_dsn",
]

_CRLF = b"\r\n"
_STATUS_RE = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_REPLY_RE = re.compile(r"[2-5][0-9][0-9][ -]")
_LINE_END_RE = re.compile(rb"\r?\n")
_MSGID_RE = re.compile(r"[!-;=?-~]{1,900}@[!-;=?-~]{1,900}")
_BREAKS_RE = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_NOTIFY_WORDS = frozenset({"SUCCESS", "FAILURE", "DELAY"})
#: Larger originals are returned as headers only, even with RET=FULL.
DEFAULT_MAX_FULL_SIZE = 10 * 1024 * 1024


class Action(enum.Enum):
    """What happened to a recipient (RFC 3464 section 2.3.3)."""

    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"
    EXPANDED = "expanded"


class Notify(enum.Flag):
    """The RFC 3461 ``NOTIFY`` parameter of a recipient."""

    NEVER = 0
    SUCCESS = 1
    FAILURE = 2
    DELAY = 4

    @classmethod
    def parse(cls, value: str) -> Notify:
        """Read a ``NOTIFY=`` value: ``NEVER`` or a comma-separated list of ``SUCCESS``,
        ``FAILURE`` and ``DELAY`` (any case).

        :raises ValueError: the value is not one of those forms.
        """
        words = [w.strip().upper() for w in value.split(",")]
        if words == ["NEVER"]:
            return cls.NEVER
        if not words or not set(words) <= _NOTIFY_WORDS or len(set(words)) != len(words):
            raise ValueError(f"{value!r} is not a NOTIFY value")
        result = cls.NEVER
        for word in words:
            result |= cls[word]
        return result


#: RFC 3461 section 4.1: without a NOTIFY parameter, report failures and delays.
DEFAULT_NOTIFY = Notify.FAILURE | Notify.DELAY

_ASKED_BY = {
    Action.FAILED: Notify.FAILURE,
    Action.DELAYED: Notify.DELAY,
    Action.DELIVERED: Notify.SUCCESS,
    Action.RELAYED: Notify.SUCCESS,
    Action.EXPANDED: Notify.SUCCESS,
}


class Ret(enum.Enum):
    """The RFC 3461 ``RET`` parameter: return the full message or its headers."""

    FULL = "FULL"
    HDRS = "HDRS"


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """What happened to one recipient.

    :param recipient: the address delivery was attempted to (``Final-Recipient``).
    :param action: what happened.
    :param status: the RFC 3463 status code: ``5.x.x`` or ``4.x.x`` for ``failed`` (a
        ``4.x.x`` failure is a temporary error that lasted too long), ``4.x.x`` for
        ``delayed``, ``2.x.x`` otherwise.
    :param original_recipient: the ``ORCPT`` parameter, decoded from xtext, as
        ``type;address`` (``rfc822;bea@b.example``); ``rfc822;`` is added when no type is given.
    :param remote_mta: the host that gave the final answer, if any.
    :param diagnostic: the server's reply (``550 5.1.1 no such user``) or a sentence; the lines
        of a multi-line reply are joined with spaces.
    :param last_attempt: when the last attempt was made.
    :param will_retry_until: for ``delayed``: when the MTA will give up.
    :param notify: the recipient's ``NOTIFY`` parameter.
    """

    recipient: str
    action: Action
    status: str
    original_recipient: str | None = None
    remote_mta: str | None = None
    diagnostic: str | None = None
    last_attempt: datetime | None = None
    will_retry_until: datetime | None = None
    notify: Notify = DEFAULT_NOTIFY


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A notification ready to send.

    :param data: the message, CRLF line endings.
    :param recipient: where it goes: the original message's reverse-path.
    :param envelope_sender: always ``""``: a notification is sent with a null reverse-path
        (RFC 5321 section 4.5.5), so that it can never cause another one.
    :param needs_8bitmime: the returned message holds 8-bit data.
    :param needs_smtputf8: a header or the envelope holds UTF-8.
    """

    data: bytes
    recipient: str
    envelope_sender: str = ""
    needs_8bitmime: bool = False
    needs_smtputf8: bool = False


def _bad(message: str) -> LocalProtocolError:
    return LocalProtocolError(message, kind=ErrorKind.BAD_PARAMETER)


def _check_status(rcpt: RecipientStatus) -> None:
    if not isinstance(rcpt.action, Action):
        raise _bad(f"{rcpt.action!r} is not an Action")
    if not _STATUS_RE.fullmatch(rcpt.status):
        raise _bad(f"{rcpt.status!r} is not an RFC 3463 status code")
    allowed = {Action.FAILED: "45", Action.DELAYED: "4"}.get(rcpt.action, "2")
    if rcpt.status[0] not in allowed:
        raise _bad(f"status {rcpt.status} does not fit action {rcpt.action.value}")


def _one_line(text: str) -> str:
    return _BREAKS_RE.sub(" ", text).strip()


def _diagnostic(text: str) -> str:
    text = _one_line(text)
    kind = "smtp" if _REPLY_RE.match(text + " ") else "X-mailproto"
    return f"{kind}; {text}"


def _fields(fields: list[tuple[str, str]]) -> bytes:
    return b"".join(fold_header(name, value) for name, value in fields)


def _status_part(
    reporting_mta: str,
    envid: str | None,
    received_from_mta: str | None,
    arrival_date: datetime | None,
    recipients: Sequence[RecipientStatus],
) -> bytes:
    per_message = [("Reporting-MTA", f"dns; {reporting_mta}")]
    if envid is not None:
        per_message.append(("Original-Envelope-Id", envid))
    if received_from_mta is not None:
        per_message.append(("Received-From-MTA", f"dns; {received_from_mta}"))
    if arrival_date is not None:
        per_message.append(("Arrival-Date", format_date(arrival_date)))
    blocks = [_fields(per_message)]
    for rcpt in recipients:
        fields: list[tuple[str, str]] = []
        if rcpt.original_recipient is not None:
            orcpt = rcpt.original_recipient
            fields.append(("Original-Recipient", orcpt if ";" in orcpt else f"rfc822;{orcpt}"))
        fields.append(("Final-Recipient", f"rfc822;{rcpt.recipient}"))
        fields.append(("Action", rcpt.action.value))
        fields.append(("Status", rcpt.status))
        if rcpt.remote_mta is not None:
            fields.append(("Remote-MTA", f"dns; {rcpt.remote_mta}"))
        if rcpt.diagnostic is not None:
            fields.append(("Diagnostic-Code", _diagnostic(rcpt.diagnostic)))
        if rcpt.last_attempt is not None:
            fields.append(("Last-Attempt-Date", format_date(rcpt.last_attempt)))
        if rcpt.will_retry_until is not None:
            fields.append(("Will-Retry-Until", format_date(rcpt.will_retry_until)))
        blocks.append(_fields(fields))
    return _CRLF.join(blocks)


_INTRO = {
    Action.FAILED: (
        "Your message could not be delivered to the recipients below. "
        "This is a permanent error; it will not be retried."
    ),
    Action.DELAYED: (
        "Your message has not yet been delivered to the recipients below. "
        "Delivery will be retried; you do not need to send it again."
    ),
    Action.DELIVERED: "Your message was delivered to the recipients below.",
    Action.RELAYED: (
        "Your message was passed on to the recipients below, to a system that does not send "
        "delivery reports."
    ),
    Action.EXPANDED: "Your message was delivered to the recipients below and forwarded on.",
}


def _explanation(reporting_mta: str, recipients: Sequence[RecipientStatus]) -> str:
    lines = [f"This is the mail system at {reporting_mta}.", ""]
    for action in Action:
        group = [r for r in recipients if r.action is action]
        if not group:
            continue
        lines += [_INTRO[action], ""]
        for rcpt in group:
            detail = _one_line(rcpt.diagnostic or "") or f"status {rcpt.status}"
            where = f" (from {rcpt.remote_mta})" if rcpt.remote_mta else ""
            lines.append(f"<{rcpt.recipient}>{where}: {detail}")
            if rcpt.will_retry_until is not None:
                lines.append(f"  retried until {format_date(rcpt.will_retry_until)}")
        lines.append("")
    return "\r\n".join(lines)


def _subject(recipients: Sequence[RecipientStatus]) -> str:
    actions = {r.action for r in recipients}
    if Action.FAILED in actions:
        return "Undelivered Mail Returned to Sender"
    if Action.DELAYED in actions:
        return "Delayed Mail (still being retried)"
    return "Successful Mail Delivery Report"


def _is_line_clean(data: bytes) -> bool:
    if b"\0" in data or data.count(b"\r") != data.count(_CRLF):
        return False
    return all(len(line) <= 998 for line in data.split(_CRLF))


def _boundary(contents: Sequence[bytes], random_bytes: Callable[[int], bytes]) -> bytes:
    for _ in range(100):
        boundary = b"=_report_" + random_bytes(12).hex().encode("ascii")
        if not any(b"--" + boundary in c for c in contents):
            return boundary
    raise _bad("the random source keeps giving boundaries that occur in the content")


def build_dsn(
    original: bytes,
    *,
    reverse_path: str,
    reporting_mta: str,
    recipients: Sequence[RecipientStatus],
    now: datetime,
    random_bytes: Callable[[int], bytes] = os.urandom,
    ret: Ret | None = None,
    envid: str | None = None,
    arrival_date: datetime | None = None,
    received_from_mta: str | None = None,
    max_full_size: int = DEFAULT_MAX_FULL_SIZE,
    from_address: str | None = None,
) -> DeliveryReport | None:
    """Write a delivery status notification about *original*, or ``None`` if none may be sent.

    :param original: the message as it was received.
    :param reverse_path: the original ``MAIL FROM`` address (without angle brackets); ``""``
        or ``"<>"`` (a null reverse-path) means no notification.
    :param reporting_mta: our host name, for ``Reporting-MTA`` and the ``From`` field.
    :param recipients: what happened to each recipient. Those whose ``NOTIFY`` does not ask
        for their action are left out; if none is left, the result is ``None``.
    :param now: the time for the ``Date`` field (aware).
    :param random_bytes: the random source for the Message-ID and the MIME boundary.
    :param ret: the sender's ``RET``: :attr:`Ret.FULL` returns the whole message,
        :attr:`Ret.HDRS` or ``None`` (not given; RFC 3461 leaves the choice to the MTA) its
        header block only.
    :param envid: the sender's ``ENVID``, decoded from xtext.
    :param arrival_date: when the original arrived.
    :param received_from_mta: the host the original came from.
    :param max_full_size: a larger original, or one that cannot be sent as text (NUL bytes,
        lines over 998 octets), is returned as headers only whatever *ret* says.
    :param from_address: the ``From`` address; ``MAILER-DAEMON@<reporting_mta>`` by default.
    :raises LocalProtocolError: a status code that is malformed or does not fit its action, a
        field value with a line break, or a date without a time zone.
    """
    if reverse_path in ("", "<>"):
        return None
    wanted = [r for r in recipients if _ASKED_BY.get(r.action, Notify.NEVER) & r.notify]
    for rcpt in recipients:
        _check_status(rcpt)
    if not wanted:
        return None
    parsed = Message.parse(original)
    normalized = _LINE_END_RE.sub(_CRLF, original)
    head = _LINE_END_RE.sub(_CRLF, original[: parsed.header_end])
    full = ret is Ret.FULL and len(normalized) <= max_full_size and _is_line_clean(normalized)
    returned = normalized if full else head
    utf8_head = not head.isascii()
    if full:
        returned_type = "message/global" if utf8_head else "message/rfc822"
    else:
        returned_type = "message/global-headers" if utf8_head else "text/rfc822-headers"
    returned_cte = "7bit" if returned.isascii() else "8bit"

    status = _status_part(reporting_mta, envid, received_from_mta, arrival_date, wanted)
    status_type = "message/delivery-status"
    if not status.isascii():
        status_type = "message/global-delivery-status"  # RFC 6533: UTF-8 addresses
    status_cte = b"" if status.isascii() else fold_header("Content-Transfer-Encoding", "8bit")
    text = _explanation(reporting_mta, wanted).encode("utf-8")
    text_cte = choose_transfer_encoding(text, text=True)
    charset = "us-ascii" if text.isascii() else "utf-8"
    parts = [
        fold_header("Content-Type", f"text/plain; charset={charset}")
        + fold_header("Content-Description", "Notification")
        + fold_header("Content-Transfer-Encoding", text_cte)
        + _CRLF
        + encode_transfer(text, text_cte),
        fold_header("Content-Type", status_type)
        + fold_header("Content-Description", "Delivery report")
        + status_cte
        + _CRLF
        + status,
        fold_header("Content-Type", returned_type)
        + fold_header(
            "Content-Description", "Undelivered message" if full else "Undelivered message headers"
        )
        + fold_header("Content-Transfer-Encoding", returned_cte)
        + _CRLF
        + returned,
    ]
    boundary = _boundary(parts, random_bytes)
    delimiter = b"--" + boundary
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
    body = b"".join(delimiter + _CRLF + p + _CRLF for p in parts)
    body += delimiter + b"--" + _CRLF

    sender = from_address or f"MAILER-DAEMON@{reporting_mta}"
    headers = [
        fold_header("Date", format_date(now)),
        fold_header("From", f"Mail Delivery System <{sender}>", structured=True),
        fold_header("To", f"<{reverse_path}>", structured=True),
        fold_header("Subject", encode_unstructured(_subject(wanted), offset=9)),
        fold_header("Message-ID", make_msgid(random_bytes, reporting_mta)),
    ]
    original_id = parsed.message_id
    if original_id and _MSGID_RE.fullmatch(original_id):
        headers.append(fold_header("In-Reply-To", f"<{original_id}>"))
        headers.append(fold_header("References", f"<{original_id}>"))
    headers += [
        fold_header("Auto-Submitted", "auto-replied"),
        fold_header("MIME-Version", "1.0"),
        fold_header(
            "Content-Type",
            f'multipart/report; report-type=delivery-status; boundary="{boundary.decode()}"',
            structured=True,
        ),
    ]
    header_bytes = b"".join(headers)
    data = header_bytes + _CRLF + body
    return DeliveryReport(
        data=data,
        recipient=reverse_path,
        needs_8bitmime=not body.isascii(),
        needs_smtputf8=not header_bytes.isascii() or not status.isascii() or utf8_head,
    )
