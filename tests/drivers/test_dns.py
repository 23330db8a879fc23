"""The dnspython driver against a local authoritative test zone on loopback (no Internet)."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator

import dns.resolver
import pytest

from mailproto.delivery import (
    Candidate,
    PermanentFailure,
    Resolution,
    RType,
    SkipReason,
    TemporaryFailure,
)
from mailproto.drivers.dns import resolve_domain

from ._dnsserver import TestDNSServer

ip = ipaddress.ip_address

ZONE = {
    "b.example.": {"MX": ["10 mx1.b.example.", "20 mx2.b.example.", "20 mx3.b.example."]},
    "mx1.b.example.": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
    "mx2.b.example.": {"A": ["192.0.2.2"]},
    "mx3.b.example.": {"CNAME": ["real.b.example."]},
    "real.b.example.": {"A": ["192.0.2.3"]},
    "nomail.example.": {"MX": ["0 ."], "A": ["192.0.2.9"]},
    "implicit.example.": {"A": ["192.0.2.10"], "TXT": ['"hello"']},
    "alias.example.": {"CNAME": ["b.example."]},
    "loop1.example.": {"CNAME": ["loop2.example."]},
    "loop2.example.": {"CNAME": ["loop1.example."]},
    "badmx.example.": {"MX": ["10 192.0.2.1.", "20 mx2.b.example."]},
    "xn--bcher-kva.example.": {"MX": ["5 mx2.b.example."]},
    "flaky.example.": {"MX": ["10 dead.example."]},
}


@pytest.fixture(scope="module")
def resolver() -> Iterator[dns.resolver.Resolver]:
    servfail = ["broken.example.", "dead.example."]
    with TestDNSServer(ZONE, servfail=servfail, silent=["slow.example."]) as server:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = server.port
        res.timeout = 0.3
        res.lifetime = 0.6
        res.retry_servfail = False
        yield res


def resolve(domain: str, resolver: dns.resolver.Resolver, **kwargs: object) -> object:
    return resolve_domain(domain, rng=random.Random(7), resolver=resolver, **kwargs)


def test_mx_order_with_cname_exchange(resolver: dns.resolver.Resolver) -> None:
    result = resolve("b.example", resolver)
    assert isinstance(result, Resolution)
    assert result.candidates[:2] == (
        Candidate("mx1.b.example", ip("2001:db8::1"), 10),
        Candidate("mx1.b.example", ip("192.0.2.1"), 10),
    )
    assert {(c.host, str(c.address)) for c in result.candidates[2:]} == {
        ("mx2.b.example", "192.0.2.2"),
        ("mx3.b.example", "192.0.2.3"),
    }


def test_null_mx(resolver: dns.resolver.Resolver) -> None:
    result = resolve("nomail.example", resolver)
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.1.10"


def test_implicit_mx(resolver: dns.resolver.Resolver) -> None:
    result = resolve("implicit.example", resolver)
    assert result == Resolution(
        "implicit.example",
        (Candidate("implicit.example", ip("192.0.2.10"), 0),),
        implicit_mx=True,
    )


def test_domain_behind_cname(resolver: dns.resolver.Resolver) -> None:
    result = resolve("alias.example", resolver, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert result.candidates[0] == Candidate("mx1.b.example", ip("192.0.2.1"), 10)


def test_idn_domain(resolver: dns.resolver.Resolver) -> None:
    result = resolve("Bücher.example", resolver)
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("mx2.b.example", ip("192.0.2.2"), 5),)


def test_mx_at_ip_skipped(resolver: dns.resolver.Resolver) -> None:
    result = resolve("badmx.example", resolver)
    assert isinstance(result, Resolution)
    assert [c.host for c in result.candidates] == ["mx2.b.example"]
    assert result.skipped[0].reason is SkipReason.EXCHANGE_IS_ADDRESS


def test_nxdomain(resolver: dns.resolver.Resolver) -> None:
    result = resolve("nowhere.example", resolver)
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.1.2"


@pytest.mark.parametrize("domain", ["broken.example", "slow.example", "loop1.example"])
def test_temporary_failures(resolver: dns.resolver.Resolver, domain: str) -> None:
    result = resolve(domain, resolver)
    assert isinstance(result, TemporaryFailure)
    assert result.status == "4.4.3"


def test_exchange_servfail(resolver: dns.resolver.Resolver) -> None:
    result = resolve("flaky.example", resolver)
    assert isinstance(result, TemporaryFailure)
