"""Delivery status notifications: RFC 3464 structure and examples, RET and NOTIFY (RFC 3461)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.delivery import (
    Action,
    Notify,
    RecipientStatus,
    Ret,
    build_dsn,
)
from mailproto.errors import LocalProtocolError
from mailproto.message import Message

EDT = timezone(timedelta(hours=-4))
NOW = datetime(1994, 7, 7, 17, 16, 5, tzinfo=EDT)
ORIGINAL = (
    b"From: Owner <owner-info-mime@cs.utk.edu>\r\n"
    b"To: louisl@larry.slip.umd.edu\r\n"
    b"Subject: Re: MIME\r\n"
    b"Message-ID: <orig.1@cs.utk.edu>\r\n"
    b"\r\n"
    b"The body.\r\n"
)


def counter_bytes() -> object:
    counter = itertools.count()
    return lambda n: bytes([next(counter) % 256]) * n


def rfc_example_recipient() -> RecipientStatus:
    # RFC 3464 section 10.1, "Simple DSN": a failure after a timeout lasted five days.
    return RecipientStatus(
        "louisl@larry.slip.umd.edu",
        Action.FAILED,
        "4.0.0",
        original_recipient="rfc822;louisl@larry.slip.umd.edu",
        diagnostic="426 connection timed out",
        last_attempt=datetime(1994, 7, 7, 17, 15, 49, tzinfo=EDT),
    )


def build(**kwargs: object) -> bytes:
    args: dict[str, object] = {
        "reverse_path": "owner-info-mime@cs.utk.edu",
        "reporting_mta": "cs.utk.edu",
        "recipients": [rfc_example_recipient()],
        "now": NOW,
        "random_bytes": counter_bytes(),
    }
    args.update(kwargs)
    report = build_dsn(args.pop("original", ORIGINAL), **args)  # type: ignore[arg-type]
    assert report is not None
    assert report.envelope_sender == ""
    return report.data


def test_rfc_3464_simple_dsn_fields() -> None:
    data = build()
    msg = Message.parse(data)
    assert msg.content_type == "multipart/report"
    assert msg.params["report-type"] == "delivery-status"
    assert msg.header("To") == "<owner-info-mime@cs.utk.edu>"
    assert msg.header("From") == "Mail Delivery System <MAILER-DAEMON@cs.utk.edu>"
    assert msg.header("Subject") == "Undelivered Mail Returned to Sender"
    assert msg.header("Auto-Submitted") == "auto-replied"
    assert msg.header("In-Reply-To") == "<orig.1@cs.utk.edu>"
    assert msg.header("Date") == "Thu, 07 Jul 1994 17:16:05 -0400"
    text, status, returned = msg.parts
    assert text.content_type == "text/plain"
    assert "<louisl@larry.slip.umd.edu>: 426 connection timed out" in text.text()
    assert status.content_type == "message/delivery-status"
    assert bytes(status.raw_body) == (
        b"Reporting-MTA: dns; cs.utk.edu\r\n"
        b"\r\n"
        b"Original-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
        b"Final-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
        b"Action: failed\r\n"
        b"Status: 4.0.0\r\n"
        b"Diagnostic-Code: smtp; 426 connection timed out\r\n"
        b"Last-Attempt-Date: Thu, 07 Jul 1994 17:15:49 -0400\r\n"
    )
    # RET not given: the headers only (RFC 3461 4.3 leaves the choice to the MTA)
    assert returned.content_type == "text/rfc822-headers"
    assert bytes(returned.raw_body) == ORIGINAL[: ORIGINAL.index(b"\r\n\r\n") + 2]


def test_ret_full_returns_the_whole_message() -> None:
    msg = Message.parse(build(ret=Ret.FULL))
    returned = msg.parts[2]
    assert returned.content_type == "message/rfc822"
    assert bytes(returned.raw_body) == ORIGINAL
    assert returned.parts[0].header("Subject") == "Re: MIME"


def test_ret_full_too_big_or_binary_falls_back_to_headers() -> None:
    msg = Message.parse(build(ret=Ret.FULL, max_full_size=10))
    assert msg.parts[2].content_type == "text/rfc822-headers"
    binary = ORIGINAL + b"x" * 2000 + b"\r\n"
    msg = Message.parse(build(ret=Ret.FULL, original=binary))
    assert msg.parts[2].content_type == "text/rfc822-headers"


def test_per_message_and_multiple_recipient_fields() -> None:
    # RFC 3464 section 10.3 style: one report about several recipients, delayed and failed.
    arrival = datetime(1994, 7, 7, 9, 0, tzinfo=EDT)
    recipients = [
        RecipientStatus(
            "a@b.example",
            Action.DELAYED,
            "4.4.1",
            remote_mta="mx.b.example",
            diagnostic="connection refused",
            will_retry_until=datetime(1994, 7, 12, 9, 0, tzinfo=EDT),
        ),
        RecipientStatus("c@d.example", Action.FAILED, "5.1.1", diagnostic="550 5.1.1 unknown"),
    ]
    msg = Message.parse(
        build(
            recipients=recipients,
            envid="QQ314159",
            arrival_date=arrival,
            received_from_mta="relay.cs.utk.edu",
        )
    )
    assert bytes(msg.parts[1].raw_body) == (
        b"Reporting-MTA: dns; cs.utk.edu\r\n"
        b"Original-Envelope-Id: QQ314159\r\n"
        b"Received-From-MTA: dns; relay.cs.utk.edu\r\n"
        b"Arrival-Date: Thu, 07 Jul 1994 09:00:00 -0400\r\n"
        b"\r\n"
        b"Final-Recipient: rfc822;a@b.example\r\n"
        b"Action: delayed\r\n"
        b"Status: 4.4.1\r\n"
        b"Remote-MTA: dns; mx.b.example\r\n"
        b"Diagnostic-Code: X-mailproto; connection refused\r\n"
        b"Will-Retry-Until: Tue, 12 Jul 1994 09:00:00 -0400\r\n"
        b"\r\n"
        b"Final-Recipient: rfc822;c@d.example\r\n"
        b"Action: failed\r\n"
        b"Status: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 unknown\r\n"
    )
    assert msg.header("Subject") == "Undelivered Mail Returned to Sender"


def test_delay_notice_subject() -> None:
    rcpt = RecipientStatus("a@b.example", Action.DELAYED, "4.4.7")
    msg = Message.parse(build(recipients=[rcpt]))
    assert msg.header("Subject") == "Delayed Mail (still being retried)"
    rcpt = RecipientStatus("a@b.example", Action.DELIVERED, "2.0.0", notify=Notify.SUCCESS)
    msg = Message.parse(build(recipients=[rcpt]))
    assert msg.header("Subject") == "Successful Mail Delivery Report"


@pytest.mark.parametrize("reverse_path", ["", "<>"])
def test_never_for_a_null_reverse_path(reverse_path: str) -> None:
    report = build_dsn(
        ORIGINAL,
        reverse_path=reverse_path,
        reporting_mta="mta.example",
        recipients=[rfc_example_recipient()],
        now=NOW,
    )
    assert report is None


def test_notify_decides_who_is_reported() -> None:
    def report(*recipients: RecipientStatus) -> object:
        return build_dsn(
            ORIGINAL,
            reverse_path="s@a.example",
            reporting_mta="mta.example",
            recipients=recipients,
            now=NOW,
        )

    never = RecipientStatus("a@b.example", Action.FAILED, "5.1.1", notify=Notify.NEVER)
    delay_only = RecipientStatus("c@b.example", Action.FAILED, "5.1.1", notify=Notify.DELAY)
    success_default = RecipientStatus("d@b.example", Action.DELIVERED, "2.0.0")
    assert report(never, delay_only, success_default) is None
    failure = RecipientStatus("e@b.example", Action.FAILED, "5.1.1", notify=Notify.FAILURE)
    result = report(never, failure)
    assert result is not None
    data = result.data  # type: ignore[attr-defined]
    assert b"e@b.example" in data
    assert b"a@b.example" not in data


def test_notify_parse() -> None:
    assert Notify.parse("NEVER") is Notify.NEVER
    assert Notify.parse("success,Failure") == Notify.SUCCESS | Notify.FAILURE
    for bad in ("", "NEVER,SUCCESS", "SOMETIMES", "DELAY,DELAY"):
        with pytest.raises(ValueError):
            Notify.parse(bad)


@pytest.mark.parametrize(
    "rcpt",
    [
        RecipientStatus("a@b.example", Action.FAILED, "2.0.0"),
        RecipientStatus("a@b.example", Action.DELAYED, "5.1.1"),
        RecipientStatus("a@b.example", Action.DELIVERED, "4.0.0"),
        RecipientStatus("a@b.example", Action.FAILED, "5.1"),
        RecipientStatus("a@b.example", Action.FAILED, "6.0.0"),
        RecipientStatus("a@b.example", Action.FAILED, "5.1.1", remote_mta="bad\r\nhost"),
        RecipientStatus("a@b.example", Action.FAILED, "5.1.1", last_attempt=datetime(2026, 1, 1)),
    ],
)
def test_bad_input_raises_local_protocol_error(rcpt: RecipientStatus) -> None:
    with pytest.raises(LocalProtocolError):
        build(recipients=[rcpt])


def test_utf8_recipient_uses_global_delivery_status() -> None:
    # RFC 6533: UTF-8 addresses go in message/global-delivery-status.
    rcpt = RecipientStatus("jürgen@bücher.example", Action.FAILED, "5.1.1")
    report = build_dsn(
        ORIGINAL,
        reverse_path="owner@cs.utk.edu",
        reporting_mta="cs.utk.edu",
        recipients=[rcpt],
        now=NOW,
        random_bytes=counter_bytes(),  # type: ignore[arg-type]
    )
    assert report is not None
    assert report.needs_smtputf8
    msg = Message.parse(report.data)
    assert msg.parts[1].content_type == "message/global-delivery-status"
    assert "jürgen@bücher.example" in msg.parts[0].text()


def test_long_diagnostic_is_folded() -> None:
    rcpt = RecipientStatus("a@b.example", Action.FAILED, "5.7.1", diagnostic="550 " + "word " * 60)
    data = build(recipients=[rcpt])
    msg = Message.parse(data)
    status = bytes(msg.parts[1].raw_body)
    assert all(len(line) <= 78 for line in status.split(b"\r\n"))
    assert status.count(b"\r\n ") >= 3  # folded
    unfolded = status.replace(b"\r\n ", b" ")
    assert b"Diagnostic-Code: smtp; 550 " + b"word " * 59 + b"word\r\n" in unfolded


def test_lf_only_original_is_returned_with_crlf() -> None:
    original = ORIGINAL.replace(b"\r\n", b"\n")
    msg = Message.parse(build(original=original, ret=Ret.FULL))
    assert bytes(msg.parts[2].raw_body) == ORIGINAL


@given(st.binary(max_size=400), st.sampled_from([Ret.FULL, Ret.HDRS, None]))
def test_any_original_gives_a_well_formed_report(original: bytes, ret: Ret | None) -> None:
    data = build(original=original, ret=ret)
    msg = Message.parse(data)
    assert msg.content_type == "multipart/report"
    assert len(msg.parts) == 3
    assert msg.parts[1].content_type == "message/delivery-status"


def test_multi_line_reply_is_joined() -> None:
    rcpt = RecipientStatus(
        "a@b.example",
        Action.FAILED,
        "5.1.1",
        diagnostic="550-5.1.1 The email account does not exist.\r\n550 5.1.1 Try again.\r\n",
    )
    status = bytes(Message.parse(build(recipients=[rcpt])).parts[1].raw_body)
    assert (
        b"Diagnostic-Code: smtp; 550-5.1.1 The email account does not exist. 550 5.1.1\r\n"
        b" Try again.\r\n" in status
    )


@pytest.mark.parametrize(
    "message_id", [b"<no-at-sign>", b"<\xc3\xa9@x>", b"<" + b"x" * 2000 + b"@y>"]
)
def test_odd_message_ids_are_not_referenced(message_id: bytes) -> None:
    original = b"Message-ID: " + message_id + b"\r\nSubject: x\r\n\r\nbody\r\n"
    msg = Message.parse(build(original=original))
    assert msg.header("In-Reply-To") is None
    assert msg.parts[2].content_type in ("text/rfc822-headers", "message/global-headers")


def test_bare_cr_in_original_returns_headers_only() -> None:
    original = ORIGINAL + b"a bare\rcarriage return\r\n"
    msg = Message.parse(build(original=original, ret=Ret.FULL))
    assert msg.parts[2].content_type == "text/rfc822-headers"


def test_stdlib_email_reads_the_report() -> None:
    # An independent reader: the standard library parses message/delivery-status into one
    # header block per group of fields.
    import email
    import email.policy

    recipients = [
        rfc_example_recipient(),
        RecipientStatus("c@d.example", Action.FAILED, "5.1.1", diagnostic="550 5.1.1 unknown"),
    ]
    data = build(recipients=recipients, ret=Ret.FULL)
    parsed: Any = email.message_from_bytes(data, policy=email.policy.SMTP)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "delivery-status"
    text, status, returned = parsed.get_payload()
    assert text.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    blocks = status.get_payload()
    assert [b["Reporting-MTA"] for b in blocks[:1]] == ["dns; cs.utk.edu"]
    assert [(b["Final-Recipient"], b["Action"], b["Status"]) for b in blocks[1:]] == [
        ("rfc822;louisl@larry.slip.umd.edu", "failed", "4.0.0"),
        ("rfc822;c@d.example", "failed", "5.1.1"),
    ]
    assert returned.get_content_type() == "message/rfc822"
    assert returned.get_payload()[0]["Subject"] == "Re: MIME"
    assert not parsed.defects
