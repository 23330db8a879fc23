"""The examples of RFC 5322 Appendix A, RFC 2047 section 8 and RFC 2231, with exact values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailproto.message import (
    Address,
    Group,
    Message,
    decode_encoded_words,
    parse_content_type,
    parse_date,
)


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def tz(hours: int, minutes: int = 0) -> timezone:
    """A fixed zone; ``tz(-3, 30)`` is -03:30."""
    sign = -1 if hours < 0 else 1
    return timezone(sign * timedelta(hours=abs(hours), minutes=minutes))


A_1_1 = """\
From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
So, "Hello".
"""


def test_a_1_1_simple_addressing() -> None:
    msg = Message.parse(crlf(A_1_1))
    assert msg.addresses("from") == [Address("John Doe", "jdoe", "machine.example")]
    assert msg.addresses("to") == [Address("Mary Smith", "mary", "example.net")]
    assert msg.subject == "Saying Hello"
    assert msg.date == datetime(1997, 11, 21, 9, 55, 6, tzinfo=tz(-6))
    assert msg.message_id == "1234@local.machine.example"
    assert msg.text_body is not None
    assert msg.text_body.text() == 'This is a message just to say hello.\nSo, "Hello".\n'
    assert msg.defects == []


def test_a_1_2_different_types_of_mailboxes() -> None:
    msg = Message.parse(
        crlf(
            """\
From: "Joe Q. Public" <john.q.public@example.com>
To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>
Cc: <boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <5678.21-Nov-1997@example.com>

Hi everyone.
"""
        )
    )
    assert msg.addresses("from") == [Address("Joe Q. Public", "john.q.public", "example.com")]
    assert msg.addresses("to") == [
        Address("Mary Smith", "mary", "x.test"),
        Address("", "jdoe", "example.org"),
        Address("Who?", "one", "y.test"),
    ]
    assert msg.addresses("cc") == [
        Address("", "boss", "nil.test"),
        Address('Giant; "Big" Box', "sysservices", "example.net"),
    ]
    assert msg.date == datetime(2003, 7, 1, 10, 52, 37, tzinfo=tz(2))
    assert msg.message_id == "5678.21-Nov-1997@example.com"


def test_a_1_3_group_addresses() -> None:
    msg = Message.parse(
        crlf(
            """\
From: Pete <pete@silly.example>
To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
Cc: Undisclosed recipients:;
Date: Thu, 13 Feb 1969 23:32:54 -0330
Message-ID: <testabcd.1234@silly.example>

Testing.
"""
        )
    )
    assert msg.address_list("to") == [
        Group(
            "A Group",
            (
                Address("Ed Jones", "c", "a.test"),
                Address("", "joe", "where.test"),
                Address("John", "jdoe", "one.test"),
            ),
        )
    ]
    assert msg.address_list("cc") == [Group("Undisclosed recipients", ())]
    assert msg.addresses("cc") == []
    assert [a.local_part for a in msg.addresses("to")] == ["c", "joe", "jdoe"]
    assert msg.date == datetime(1969, 2, 13, 23, 32, 54, tzinfo=tz(-3, 30))


def test_a_2_reply() -> None:
    msg = Message.parse(
        crlf(
            """\
From: Mary Smith <mary@example.net>
To: John Doe <jdoe@machine.example>
Reply-To: "Mary Smith: Personal Account" <smith@home.example>
Subject: Re: Saying Hello
Date: Fri, 21 Nov 1997 10:01:10 -0600
Message-ID: <3456@example.net>
In-Reply-To: <1234@local.machine.example>
References: <1234@local.machine.example>

This is a reply to your hello.
"""
        )
    )
    assert msg.addresses("reply-to") == [
        Address("Mary Smith: Personal Account", "smith", "home.example")
    ]
    assert msg.in_reply_to == ["1234@local.machine.example"]
    assert msg.references == ["1234@local.machine.example"]


def test_a_2_reply_references_chain() -> None:
    msg = Message.parse(
        crlf(
            """\
To: "Mary Smith: Personal Account" <smith@home.example>
From: John Doe <jdoe@machine.example>
Subject: Re: Saying Hello
Date: Fri, 21 Nov 1997 11:00:00 -0600
Message-ID: <abcd.1234@local.machine.test>
In-Reply-To: <3456@example.net>
References: <1234@local.machine.example> <3456@example.net>

This is a reply to your reply.
"""
        )
    )
    assert msg.references == ["1234@local.machine.example", "3456@example.net"]
    assert msg.in_reply_to == ["3456@example.net"]


def test_a_3_resent() -> None:
    msg = Message.parse(
        crlf(
            """\
Resent-From: Mary Smith <mary@example.net>
Resent-To: Jane Brown <j-brown@other.example>
Resent-Date: Mon, 24 Nov 1997 14:22:01 -0800
Resent-Message-ID: <78910@example.net>
From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
"""
        )
    )
    assert msg.addresses("resent-to") == [Address("Jane Brown", "j-brown", "other.example")]
    assert parse_date(msg.header("resent-date") or "") == datetime(
        1997, 11, 24, 14, 22, 1, tzinfo=tz(-8)
    )
    assert [h.name for h in msg.headers][:4] == [
        "Resent-From",
        "Resent-To",
        "Resent-Date",
        "Resent-Message-ID",
    ]


def test_a_4_trace_fields() -> None:
    msg = Message.parse(
        crlf(
            """\
Received: from x.y.test
   by example.net
   via TCP
   with ESMTP
   id ABC12345
   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600
Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600
From: John Doe <jdoe@node.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: Fri, 21 Nov 1997 09:55:06 -0600
Message-ID: <1234@local.node.example>

This is a message just to say hello.
"""
        )
    )
    first, second = msg.received
    assert (first.from_, first.by, first.via, first.with_, first.id, first.for_) == (
        "x.y.test",
        "example.net",
        "TCP",
        "ESMTP",
        "ABC12345",
        "<mary@example.net>",
    )
    assert first.date == datetime(1997, 11, 21, 10, 5, 43, tzinfo=tz(-6))
    assert (second.from_, second.by, second.with_) == ("node.example", "x.y.test", None)
    assert second.date == datetime(1997, 11, 21, 10, 1, 22, tzinfo=tz(-6))


def test_a_5_white_space_comments_and_other_oddities() -> None:
    msg = Message.parse(
        crlf(
            """\
From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>
To:A Group(Some people)
     :Chris Jones <c@(Chris's host.)public.example>,
         joe@example.org,
  John <jdoe@one.test> (my dear friend); (the end of the group)
Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;
Date: Thu,
      13
        Feb
          1969
      23:32
               -0330 (Newfoundland Time)
Message-ID:              <testabcd.1234@silly.test>

Testing.
"""
        )
    )
    assert msg.addresses("from") == [Address("Pete", "pete", "silly.test")]
    assert msg.address_list("to") == [
        Group(
            "A Group",
            (
                Address("Chris Jones", "c", "public.example"),
                Address("", "joe", "example.org"),
                Address("John", "jdoe", "one.test"),
            ),
        )
    ]
    assert msg.address_list("cc") == [Group("Hidden recipients", ())]
    assert msg.date == datetime(1969, 2, 13, 23, 32, tzinfo=tz(-3, 30))
    assert msg.message_id == "testabcd.1234@silly.test"


def test_a_6_1_obsolete_addressing() -> None:
    msg = Message.parse(
        crlf(
            """\
From: Joe Q. Public <john.q.public@example.com>
To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example
Date: Tue, 1 Jul 2003 10:52:37 +0200
Message-ID: <5678.21-Nov-1997@example.com>

Hi everyone.
"""
        )
    )
    assert msg.addresses("from") == [Address("Joe Q. Public", "john.q.public", "example.com")]
    assert msg.addresses("to") == [
        Address("Mary Smith", "mary", "example.net"),
        Address("", "jdoe", "test.example"),
    ]


def test_a_6_2_obsolete_dates() -> None:
    msg = Message.parse(
        crlf(
            """\
From: John Doe <jdoe@machine.example>
To: Mary Smith <mary@example.net>
Subject: Saying Hello
Date: 21 Nov 97 09:55:06 GMT
Message-ID: <1234@local.machine.example>

This is a message just to say hello.
"""
        )
    )
    assert msg.date == datetime(1997, 11, 21, 9, 55, 6, tzinfo=UTC)


def test_a_6_3_obsolete_white_space_and_comments() -> None:
    msg = Message.parse(
        crlf(
            """\
From  : John Doe <jdoe@machine(comment).  example>
To    : Mary Smith
{blank}
          <mary@example.net>
Subject     : Saying Hello
Date  : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600
Message-ID  : <1234   @   local(blah)  .machine .example>

This is a message just to say hello.
""".replace("{blank}", "  ")
        )
    )
    assert msg.addresses("from") == [Address("John Doe", "jdoe", "machine.example")]
    assert msg.addresses("to") == [Address("Mary Smith", "mary", "example.net")]
    assert msg.subject == "Saying Hello"
    assert msg.date == datetime(1997, 11, 21, 9, 55, 6, tzinfo=tz(-6))


# RFC 2047 section 8.


def test_rfc2047_section_8_headers() -> None:
    msg = Message.parse(
        crlf(
            """\
From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>
To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>
CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=

"""
        )
    )
    assert msg.addresses("from") == [Address("Keith Moore", "moore", "cs.utk.edu")]
    assert msg.addresses("to") == [Address("Keld Jørn Simonsen", "keld", "dkuug.dk")]
    assert msg.addresses("cc") == [Address("André Pirard", "PIRARD", "vm1.ulg.ac.be")]
    assert msg.subject == "If you can read this you understand the example."


def test_rfc2047_section_8_more_headers() -> None:
    msg = Message.parse(
        crlf(
            """\
From: =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>
Sender: Nathaniel Borenstein <nsb@thumper.bellcore.com>
 (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)

"""
        )
    )
    assert msg.addresses("from") == [Address("Olle Järnefors", "ojarnef", "admin.kth.se")]
    assert msg.addresses("sender") == [
        Address("Nathaniel Borenstein", "nsb", "thumper.bellcore.com")
    ]
    assert msg.header("sender") == (
        "Nathaniel Borenstein <nsb@thumper.bellcore.com> (םולש ןב ילטפנ)"
    )


@pytest.mark.parametrize(
    ("encoded", "displayed"),
    [
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ],
)
def test_rfc2047_section_8_table(encoded: str, displayed: str) -> None:
    assert decode_encoded_words(encoded) == displayed
    # The same in a Subject, folded as in the table.
    msg = Message.parse(b"Subject: " + encoded.encode() + b"\r\n\r\n")
    assert msg.subject == displayed


def test_rfc2047_section_8_table_via_parsed_header() -> None:
    msg = Message.parse(b"Comments: (=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)\r\n\r\n")
    assert msg.header("comments") == "(ab)"


# RFC 2231.


def test_rfc2231_section_3_continuations() -> None:
    ctype, params, problems = parse_content_type(
        "message/external-body; access-type=URL;\r\n"
        ' URL*0="ftp://";\r\n'
        ' URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"'
    )
    assert ctype == "message/external-body"
    assert params == {
        "access-type": "URL",
        "url": "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar",
    }
    assert problems == []


def test_rfc2231_section_4_charset_and_language() -> None:
    _, params, _ = parse_content_type(
        "application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"
    )
    assert params == {"title": "This is ***fun***"}


@pytest.mark.parametrize("sep", ["", ";"])
def test_rfc2231_section_4_1_combined(sep: str) -> None:
    # The RFC's example has no ";" between the parameters; it is read either way.
    _, params, _ = parse_content_type(
        f"application/x-stuff{sep}\r\n"
        f" title*0*=us-ascii'en'This%20is%20even%20more%20{sep}\r\n"
        f" title*1*=%2A%2A%2Afun%2A%2A%2A%20{sep}\r\n"
        ' title*2="isn\'t it!"'
    )
    assert params == {"title": "This is even more ***fun*** isn't it!"}


def test_rfc2231_in_a_message_part() -> None:
    raw = crlf(
        """\
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: application/octet-stream;
 name*=utf-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt
Content-Disposition: attachment;
 filename*0*=utf-8''na%C3%AFve%20;
 filename*1*=r%C3%A9sum%C3%A9.txt

data
--b--
"""
    )
    msg = Message.parse(raw)
    (att,) = msg.attachments
    assert att.filename == "naïve résumé.txt"
    assert att.params["name"] == "naïve résumé.txt"
    assert att.disposition == "attachment"
    assert att.decoded() == b"data"


def test_a_6_3_message_id_with_comments_and_white_space() -> None:
    msg = Message.parse(b"Message-ID  : <1234   @   local(blah)  .machine .example>\r\n\r\n")
    assert msg.message_id == "1234@local.machine.example"
