"""Recipient addresses, IDN, address literals and routing."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.delivery import (
    AddressError,
    DomainGroup,
    InvalidRecipient,
    Recipient,
    format_address_literal,
    parse_address_literal,
    parse_recipient,
    route,
    to_ascii_domain,
    to_unicode_domain,
)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("B.Example", "b.example"),
        ("b.example.", "b.example"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.EXAMPLE", "xn--bcher-kva.example"),
        ("例え。テスト", "xn--r8jz45g.xn--zckzah"),  # ideographic full stop separates labels
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("a-b.c0", "a-b.c0"),
    ],
)
def test_to_ascii_domain(domain: str, expected: str) -> None:
    assert to_ascii_domain(domain) == expected


@pytest.mark.parametrize(
    "domain",
    [
        "",
        ".",
        "a..b",
        ".a",
        "-a.example",
        "a-.example",
        "a_b.example",
        "a b.example",
        "ab--cd.example",  # reserved hyphens, not an A-label
        "xn--a.example",  # invalid Punycode
        "x" * 64 + ".example",
        ".".join(["abcdefghi"] * 26),  # 259 characters
        "192.0.2.1",
        "\u200b.example",  # zero-width space maps to nothing: empty label
        "bad\udcff.example",  # lone surrogate cannot be encoded
        "a\x00b.example",
    ],
)
def test_to_ascii_domain_rejects(domain: str) -> None:
    with pytest.raises(AddressError):
        to_ascii_domain(domain)


def test_to_ascii_domain_rejects_non_str() -> None:
    with pytest.raises(AddressError):
        to_ascii_domain(b"b.example")  # type: ignore[arg-type]


def test_to_unicode_domain() -> None:
    assert to_unicode_domain("xn--bcher-kva.example") == "bücher.example"


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("[192.0.2.1]", "192.0.2.1"),
        ("[IPv6:2001:db8::1]", "2001:db8::1"),
        ("[ipv6:2001:DB8:0:0:0:0:0:1]", "2001:db8::1"),
        ("[IPv6:::ffff:192.0.2.1]", "::ffff:c000:201"),
    ],
)
def test_parse_address_literal(literal: str, expected: str) -> None:
    assert parse_address_literal(literal) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "literal",
    [
        "192.0.2.1",
        "[]",
        "[192.0.2]",
        "[192.0.2.256]",
        "[192.0.2.01]",
        "[1.2.3.4.5]",
        "[2001:db8::1]",  # IPv6 without its tag
        "[IPv6:2001:db8::1%eth0]",
        "[IPv6:192.0.2.1]",
        "[IPv6:gggg::]",
        "[x-tag:whatever]",
        "[ 192.0.2.1]",
    ],
)
def test_parse_address_literal_rejects(literal: str) -> None:
    with pytest.raises(AddressError):
        parse_address_literal(literal)


def test_format_address_literal() -> None:
    assert format_address_literal(ipaddress.ip_address("2001:db8:0::1")) == "[IPv6:2001:db8::1]"
    assert format_address_literal(ipaddress.ip_address("192.0.2.1")) == "[192.0.2.1]"


def test_parse_recipient() -> None:
    assert parse_recipient('"a@b"@B.example') == Recipient('"a@b"@B.example', '"a@b"', "b.example")
    rcpt = parse_recipient("user@[IPv6:2001:DB8::1]")
    assert rcpt.domain == "[IPv6:2001:db8::1]"
    assert rcpt.literal == ipaddress.ip_address("2001:db8::1")
    assert parse_recipient("bjørn@bücher.example").local_part == "bjørn"


@pytest.mark.parametrize(
    "address", ["no-at-sign", "@b.example", "a@", "a@b..example", "a\r\n@b.example", "a@[1.2.3]"]
)
def test_parse_recipient_rejects(address: str) -> None:
    with pytest.raises(AddressError):
        parse_recipient(address)


@given(st.text(max_size=60))
def test_arbitrary_text_gives_a_recipient_or_address_error(text: str) -> None:
    try:
        rcpt = parse_recipient(text)
    except AddressError:
        return
    assert rcpt.domain == rcpt.domain.lower()
    assert rcpt.domain.isascii()


def test_route_groups_by_domain_in_first_seen_order() -> None:
    routing = route(
        [
            "al@b.example",
            "bea@c.example",
            "cy@B.EXAMPLE",
            "dee@Bücher.example",
            "ed@xn--bcher-kva.example",
            "me@here.example",
            "al@b.example",  # duplicate: kept once
            "Al@b.example",  # local parts are compared exactly
            "broken",
            "lit@[192.0.2.1]",
            "us@[192.0.2.99]",
        ],
        local_domains=["HERE.example"],
        local_addresses=[ipaddress.ip_address("192.0.2.99")],
    )
    assert [r.address for r in routing.local] == ["me@here.example", "us@[192.0.2.99]"]
    assert [(g.domain, [r.address for r in g.recipients]) for g in routing.remote] == [
        ("b.example", ["al@b.example", "cy@B.EXAMPLE", "Al@b.example"]),
        ("c.example", ["bea@c.example"]),
        ("xn--bcher-kva.example", ["dee@Bücher.example", "ed@xn--bcher-kva.example"]),
        ("[192.0.2.1]", ["lit@[192.0.2.1]"]),
    ]
    assert routing.invalid == (InvalidRecipient("broken", "'broken' has no '@'"),)


def test_route_accepts_parsed_recipients_and_literal_local_domains() -> None:
    routing = route([parse_recipient("a@[192.0.2.5]")], local_domains=["[192.0.2.5]"])
    assert len(routing.local) == 1
    with pytest.raises(AddressError):
        route([], local_domains=["bad..domain"])


def test_batches_of_one_hundred() -> None:
    group = DomainGroup("b.example", tuple(parse_recipient(f"u{i}@b.example") for i in range(250)))
    assert [len(b) for b in group.batches()] == [100, 100, 50]
    assert [len(b) for b in group.batches(1000)] == [250]
    with pytest.raises(ValueError):
        group.batches(0)
