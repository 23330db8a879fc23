"""MTA-STS (RFC 8461): TXT records, policy files, MX pattern matching."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.delivery import (
    PolicyError,
    STSMode,
    STSPolicy,
    STSRecord,
    mx_pattern_matches,
    parse_sts_policy,
    parse_sts_record,
    policy_url,
    select_sts_record,
    sts_record_name,
)

# RFC 8461 section 3.1's example record and section 3.2's example policy.
RFC_RECORD = "v=STSv1; id=20160831085700Z;"
RFC_POLICY = (
    b"version: STSv1\r\n"
    b"mode: enforce\r\n"
    b"mx: mail.example.com\r\n"
    b"mx: *.example.net\r\n"
    b"mx: backupmx.example.com\r\n"
    b"max_age: 604800\r\n"
)


def test_rfc_record() -> None:
    assert parse_sts_record(RFC_RECORD) == STSRecord("20160831085700Z")
    assert parse_sts_record([b"v=STSv1; id=2016", b"0831085700Z"]) == STSRecord("20160831085700Z")
    assert parse_sts_record("v=STSv1;id=abc ;  ext-1=x:y") == STSRecord("abc", (("ext-1", "x:y"),))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v=STSv1",
        "v=STSv1;",
        "v=STSv2; id=1;",
        "V=STSv1; id=1;",
        "v=STSv1; id=;",
        "v=STSv1; id=" + "a" * 33,
        "v=STSv1; id=a-b;",
        "v=STSv1;; id=1;",
        "v=STSv1; id=1; novalue",
        "v=STSv1; id=1; bad name=1",
        "v=STSv1; ext=1",
        "v=STSv1; id=1; e=a=b",
    ],
)
def test_bad_records(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_sts_record(text)


def test_bad_record_bytes() -> None:
    with pytest.raises(PolicyError):
        parse_sts_record(b"v=STSv1; id=\xff;")


def test_select_record() -> None:
    # RFC 8461 3.1: discard records not starting with "v=STSv1;"; not exactly one left: none.
    assert select_sts_record(["v=spf1 -all", RFC_RECORD]) == STSRecord("20160831085700Z")
    assert select_sts_record([RFC_RECORD, "v=STSv1; id=other;"]) is None
    assert select_sts_record(["v=spf1 -all"]) is None
    assert select_sts_record(["v=STSv1; id=bad-id;"]) is None
    assert select_sts_record([b"\xff", [b"v=STSv1;", b" id=1"]]) == STSRecord("1")
    assert select_sts_record(["v=STSv1 ; id=1"]) is None


def test_names() -> None:
    assert sts_record_name("Example.COM.") == "_mta-sts.example.com"
    assert policy_url("bücher.example") == (
        "https://mta-sts.xn--bcher-kva.example/.well-known/mta-sts.txt"
    )


def test_rfc_policy() -> None:
    policy = parse_sts_policy(RFC_POLICY)
    assert policy == STSPolicy(
        STSMode.ENFORCE, 604800, ("mail.example.com", "*.example.net", "backupmx.example.com")
    )
    assert policy.allows("mail.example.com")
    assert policy.allows("MAIL.Example.com.")
    assert policy.allows("backupmx.example.com")
    assert policy.allows("mx1.example.net")
    assert not policy.allows("example.net")
    assert not policy.allows("a.b.example.net")
    assert not policy.allows("mail.example.org")
    assert not policy.allows("evil.mail.example.com")
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.expires(fetched) == fetched + timedelta(days=7)


def test_wildcard_rules_rfc_8461_section_4_1() -> None:
    # "*.example.com" matches "mail.example.com" but not "example.com" or "foo.bar.example.com"
    assert mx_pattern_matches("*.example.com", "mail.example.com")
    assert not mx_pattern_matches("*.example.com", "example.com")
    assert not mx_pattern_matches("*.example.com", "foo.bar.example.com")
    assert not mx_pattern_matches("*.example.com", ".example.com")
    assert not mx_pattern_matches("mail.*.com", "mail.example.com")
    assert mx_pattern_matches("*.bücher.example", "mx.xn--bcher-kva.example")
    assert not mx_pattern_matches("mail.example.com", "bad..host")


def test_lf_endings_blank_lines_unknown_and_repeated_fields() -> None:
    policy = parse_sts_policy(
        "version: STSv1\n\nmode:testing\nmode: enforce\nmx: MX.example.com\n"
        "max_age: 0\nfuture_field: some value\n"
    )
    assert policy.mode is STSMode.TESTING
    assert policy.max_age == 0
    assert policy.mx == ("mx.example.com",)
    assert policy.extensions == (("future_field", "some value"),)


def test_mode_none_needs_no_mx() -> None:
    policy = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n")
    assert policy.mode is STSMode.NONE
    assert policy.mx == ()
    assert not policy.allows("anything.example")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"mode: enforce\nmx: a.example\nmax_age: 1\n",
        b"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        b"version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 1\n",
        b"version: STSv1\nmx: a.example\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmx: a.example\n",
        b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
        b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
        b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
        b"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n",
        b"version STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n",
        b"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n\xff\n",
        b"<html>not a policy</html>",
    ],
)
def test_bad_policies(body: bytes) -> None:
    with pytest.raises(PolicyError):
        parse_sts_policy(body)


def test_policy_size_limit() -> None:
    body = RFC_POLICY + b"x: " + b"y" * 70000 + b"\n"
    with pytest.raises(PolicyError):
        parse_sts_policy(body)
    assert parse_sts_policy(body, max_size=100_000).mode is STSMode.ENFORCE


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_policy_or_policy_error(body: bytes) -> None:
    with contextlib.suppress(PolicyError):
        parse_sts_policy(body)


@given(st.text(max_size=100))
def test_arbitrary_text_gives_a_record_or_policy_error(text: str) -> None:
    with contextlib.suppress(PolicyError):
        parse_sts_record(text)
    select_sts_record([text])


@given(st.text(max_size=40), st.text(max_size=40))
def test_matching_never_raises(pattern: str, host: str) -> None:
    mx_pattern_matches(pattern, host)
