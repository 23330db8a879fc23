"""The resolution planner: RFC 5321 section 5.1, RFC 7505 and malformed DNS data."""

from __future__ import annotations

import ipaddress
import random

import pytest

from mailproto.delivery import (
    AddressError,
    AddressRecord,
    Candidate,
    CNAMERecord,
    Failure,
    MXRecord,
    PermanentFailure,
    Query,
    Resolution,
    ResolutionPlanner,
    RType,
    SkipReason,
    TemporaryFailure,
    run_planner,
)
from mailproto.errors import LocalProtocolError

from ._zone import Zone

ip = ipaddress.ip_address


def plan(domain: str, zone: Zone, seed: int = 1, **kwargs: object) -> object:
    planner = ResolutionPlanner(domain, rng=random.Random(seed), **kwargs)  # type: ignore[arg-type]
    return run_planner(planner, zone)


def basic_zone() -> Zone:
    return Zone(
        {
            ("b.example", "MX"): [
                MXRecord(20, "mx2.b.example."),
                MXRecord(10, "mx1.b.example."),
                MXRecord(30, "mx3.b.example."),
            ],
            ("mx1.b.example", "A"): [AddressRecord("192.0.2.1")],
            ("mx1.b.example", "AAAA"): [AddressRecord("2001:db8::1")],
            ("mx2.b.example", "A"): [AddressRecord("192.0.2.2"), AddressRecord("192.0.2.22")],
            ("mx2.b.example", "AAAA"): Failure.NODATA,
            ("mx3.b.example", "A"): [AddressRecord("192.0.2.3")],
            ("mx3.b.example", "AAAA"): Failure.NODATA,
        }
    )


def test_mx_sorted_by_preference_ipv6_first() -> None:
    result = plan("b.example", basic_zone())
    assert result == Resolution(
        "b.example",
        (
            Candidate("mx1.b.example", ip("2001:db8::1"), 10),
            Candidate("mx1.b.example", ip("192.0.2.1"), 10),
            Candidate("mx2.b.example", ip("192.0.2.2"), 20),
            Candidate("mx2.b.example", ip("192.0.2.22"), 20),
            Candidate("mx3.b.example", ip("192.0.2.3"), 30),
        ),
    )


def test_ipv4_preferred_and_ipv4_only() -> None:
    result = plan("b.example", basic_zone(), address_types=(RType.A, RType.AAAA))
    assert isinstance(result, Resolution)
    assert [str(c.address) for c in result.candidates[:2]] == ["192.0.2.1", "2001:db8::1"]
    zone = basic_zone()
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert all(c.address.version == 4 for c in result.candidates)
    assert all(q.rtype is not RType.AAAA for q in zone.asked)


def test_implicit_mx_when_no_mx_records() -> None:
    # RFC 5321 5.1: an empty list of MXs means an implicit MX of preference 0 at the domain.
    zone = Zone(
        {
            ("b.example", "MX"): Failure.NODATA,
            ("b.example", "A"): [AddressRecord("192.0.2.7")],
            ("b.example", "AAAA"): Failure.NODATA,
        }
    )
    result = plan("b.example", zone)
    assert result == Resolution(
        "b.example", (Candidate("b.example", ip("192.0.2.7"), 0),), implicit_mx=True
    )


def test_implicit_mx_without_address_is_permanent() -> None:
    zone = Zone({("b.example", "MX"): [], ("b.example", "TXT"): []})
    result = plan("b.example", zone)
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.4.4"


def test_null_mx_is_permanent_5_1_10() -> None:
    # RFC 7505 section 3: "example.com. IN MX 0 ." -- the domain accepts no mail.
    for exchange in (".", ""):
        zone = Zone({("b.example", "MX"): [MXRecord(0, exchange)]})
        result = plan("b.example", zone)
        assert isinstance(result, PermanentFailure)
        assert result.permanent
        assert result.status == "5.1.10"
        assert zone.asked == [Query("b.example", RType.MX)]  # no address lookups at all


def test_null_mx_beside_other_records_is_skipped() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [MXRecord(0, "."), MXRecord(10, "mx.b.example")],
            ("mx.b.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert [c.host for c in result.candidates] == ["mx.b.example"]
    assert [s.reason for s in result.skipped] == [SkipReason.NULL_MX_MIXED]


def test_nxdomain_is_permanent() -> None:
    result = plan("nowhere.example", Zone({}))
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.1.2"


@pytest.mark.parametrize("failure", [Failure.SERVFAIL, Failure.TIMEOUT])
def test_temporary_mx_failure(failure: Failure) -> None:
    result = plan("b.example", Zone({("b.example", "MX"): failure}))
    assert isinstance(result, TemporaryFailure)
    assert not result.permanent
    assert result.status == "4.4.3"


def test_own_host_and_less_preferred_dropped() -> None:
    # RFC 5321 5.1: if we are an MX, drop our entry and everything at or above its preference.
    zone = basic_zone()
    result = plan("b.example", zone, local_names=["MX2.B.example."])
    assert isinstance(result, Resolution)
    assert {c.host for c in result.candidates} == {"mx1.b.example"}
    dropped = {s.subject for s in result.skipped if s.reason is SkipReason.NOT_MORE_PREFERRED}
    assert dropped == {"mx2.b.example", "mx3.b.example"}
    assert not any(q.name in dropped for q in zone.asked)


def test_best_mx_is_ourselves_is_a_loop() -> None:
    result = plan("b.example", basic_zone(), local_names=["mx1.b.example"])
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.4.6"


def test_implicit_mx_at_our_own_name_is_a_loop() -> None:
    zone = Zone({("b.example", "MX"): Failure.NODATA})
    result = plan("b.example", zone, local_names=["b.example"])
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.4.6"


def test_host_resolving_to_our_address_is_ourselves() -> None:
    result = plan("b.example", basic_zone(), local_addresses=[ip("192.0.2.2")])
    assert isinstance(result, Resolution)
    assert {c.host for c in result.candidates} == {"mx1.b.example"}
    assert SkipReason.LOCAL_ADDRESS in {s.reason for s in result.skipped}


def test_mx_pointing_at_ip_addresses_is_skipped() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [
                MXRecord(5, "192.0.2.9"),
                MXRecord(6, "[192.0.2.9]"),
                MXRecord(7, "2001:db8::9"),
                MXRecord(8, "192.0.2.9."),
                MXRecord(10, "mx.b.example"),
            ],
            ("mx.b.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert [c.host for c in result.candidates] == ["mx.b.example"]
    reasons = [s.reason for s in result.skipped]
    assert reasons == [SkipReason.EXCHANGE_IS_ADDRESS] * 4


def test_only_unusable_mx_records_is_an_error() -> None:
    # RFC 5321 5.1: MX records present but none usable MUST be reported as an error, and the
    # domain's own A record MUST NOT be used then.
    zone = Zone(
        {
            ("b.example", "MX"): [MXRecord(10, "192.0.2.9"), MXRecord(70000, "mx.b.example")],
            ("b.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone)
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.4.4"
    assert [s.reason for s in result.skipped] == [
        SkipReason.EXCHANGE_IS_ADDRESS,
        SkipReason.PREFERENCE_OUT_OF_RANGE,
    ]
    assert Query("b.example", RType.A) not in zone.asked


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (MXRecord(-1, "mx.b.example"), SkipReason.PREFERENCE_OUT_OF_RANGE),
        (MXRecord(65536, "mx.b.example"), SkipReason.PREFERENCE_OUT_OF_RANGE),
        (MXRecord(True, "mx.b.example"), SkipReason.PREFERENCE_OUT_OF_RANGE),
        (MXRecord(1, "mx..b.example"), SkipReason.INVALID_EXCHANGE),
        (MXRecord(1, "mx b.example"), SkipReason.INVALID_EXCHANGE),
        (MXRecord(1, "-mx.b.example"), SkipReason.INVALID_EXCHANGE),
        (MXRecord(1, "x" * 64 + ".example"), SkipReason.INVALID_EXCHANGE),
        (MXRecord(1, None), SkipReason.INVALID_EXCHANGE),  # type: ignore[arg-type]
    ],
)
def test_malformed_mx_records_are_skipped(record: MXRecord, reason: SkipReason) -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [record, MXRecord(50, "good.b.example")],
            ("good.b.example", "A"): [AddressRecord("192.0.2.50")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert [c.host for c in result.candidates] == ["good.b.example"]
    assert [s.reason for s in result.skipped] == [reason]


def test_duplicate_exchange_keeps_best_preference() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [MXRecord(20, "mx.b.example"), MXRecord(10, "MX.b.example.")],
            ("mx.b.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("mx.b.example", ip("192.0.2.1"), 10),)
    assert [s.reason for s in result.skipped] == [SkipReason.DUPLICATE]


def test_domain_cname_is_processed_as_the_initial_name() -> None:
    # RFC 5321 5.1: "If a CNAME record is found, the resulting name is processed as if it were
    # the initial name." First with the resolver returning only the CNAME ...
    zone = Zone(
        {
            ("b.example", "MX"): [CNAMERecord("mail.c.example.")],
            ("mail.c.example", "MX"): [MXRecord(10, "mx.c.example")],
            ("mx.c.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("mx.c.example", ip("192.0.2.1"), 10),)
    assert Query("mail.c.example", RType.MX) in zone.asked
    # ... then with the chain and the records in one answer, as recursive resolvers give them.
    zone = Zone(
        {
            ("b.example", "MX"): [
                CNAMERecord("mail.c.example", name="b.example"),
                MXRecord(10, "mx.c.example", name="mail.c.example"),
                MXRecord(5, "ignored.example", name="unrelated.example"),
            ],
            ("mx.c.example", "A"): [AddressRecord("192.0.2.1")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("mx.c.example", ip("192.0.2.1"), 10),)
    assert len(zone.asked) == 2


def test_domain_cname_loop_is_temporary() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [CNAMERecord("c.example")],
            ("c.example", "MX"): [CNAMERecord("b.example")],
        }
    )
    result = plan("b.example", zone)
    assert isinstance(result, TemporaryFailure)
    assert "CNAME" in result.reason


def test_long_cname_chain_is_cut() -> None:
    data: dict[tuple[str, str], list[CNAMERecord]] = {
        (f"n{i}.example", "MX"): [CNAMERecord(f"n{i + 1}.example")] for i in range(50)
    }
    zone = Zone(data)  # type: ignore[arg-type]
    result = plan("n0.example", zone, max_cname_chain=8)
    assert isinstance(result, TemporaryFailure)
    assert len(zone.asked) == 9


def test_exchange_behind_cname_is_followed_and_loop_skipped() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [MXRecord(10, "loop.b.example"), MXRecord(20, "alias.b.example")],
            ("loop.b.example", "A"): [CNAMERecord("loop.b.example")],
            ("alias.b.example", "A"): [CNAMERecord("real.b.example")],
            ("real.b.example", "A"): [AddressRecord("192.0.2.5")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("alias.b.example", ip("192.0.2.5"), 20),)
    assert [(s.subject, s.reason) for s in result.skipped] == [
        ("loop.b.example", SkipReason.CNAME_LOOP)
    ]


def test_host_temporary_failure_falls_back_then_fails_temporarily() -> None:
    data = {
        ("b.example", "MX"): [MXRecord(10, "mx1.b.example"), MXRecord(20, "mx2.b.example")],
        ("mx1.b.example", "A"): Failure.TIMEOUT,
        ("mx2.b.example", "A"): [AddressRecord("192.0.2.2")],
    }
    result = plan("b.example", Zone(data), address_types=(RType.A,))  # type: ignore[arg-type]
    assert isinstance(result, Resolution)
    assert [c.host for c in result.candidates] == ["mx2.b.example"]
    assert result.skipped[0].reason is SkipReason.TEMPORARY_FAILURE
    data[("mx2.b.example", "A")] = Failure.SERVFAIL
    result = plan("b.example", Zone(data), address_types=(RType.A,))  # type: ignore[arg-type]
    assert isinstance(result, TemporaryFailure)
    assert result.status == "4.4.3"


def test_no_host_has_an_address_is_permanent() -> None:
    zone = Zone({("b.example", "MX"): [MXRecord(10, "gone.b.example")]})
    result = plan("b.example", zone)
    assert isinstance(result, PermanentFailure)
    assert result.status == "5.4.4"
    assert [s.reason for s in result.skipped] == [SkipReason.NO_ADDRESS]


def test_bad_and_wrong_family_addresses_are_skipped_duplicates_merged() -> None:
    zone = Zone(
        {
            ("b.example", "MX"): [MXRecord(10, "mx1.b.example"), MXRecord(20, "mx2.b.example")],
            ("mx1.b.example", "A"): [
                AddressRecord("not an address"),
                AddressRecord("2001:db8::1"),
                AddressRecord(ip("192.0.2.1")),
                AddressRecord("192.0.2.1"),
            ],
            ("mx2.b.example", "A"): [AddressRecord("192.0.2.1"), AddressRecord("192.0.2.2")],
        }
    )
    result = plan("b.example", zone, address_types=(RType.A,))
    assert isinstance(result, Resolution)
    assert [(c.host, str(c.address)) for c in result.candidates] == [
        ("mx1.b.example", "192.0.2.1"),
        ("mx2.b.example", "192.0.2.2"),
    ]
    assert [s.reason for s in result.skipped] == [SkipReason.INVALID_ADDRESS] * 2


def test_hundreds_of_records_resolve_only_a_few_hosts() -> None:
    records = [MXRecord(i % 7, f"mx{i}.b.example") for i in range(500)]
    data: dict[tuple[str, str], object] = {("b.example", "MX"): records}
    for i in range(500):
        data[(f"mx{i}.b.example", "A")] = [AddressRecord(f"10.0.{i // 250}.{i % 250}")]
    zone = Zone(data)  # type: ignore[arg-type]
    result = plan("b.example", zone, address_types=(RType.A,), max_hosts=3, max_candidates=2)
    assert isinstance(result, Resolution)
    assert len(result.candidates) == 2
    assert len(zone.asked) == 1 + 3
    assert all(c.preference == 0 for c in result.candidates)
    reasons = [s.reason for s in result.skipped]
    assert reasons.count(SkipReason.OVER_LIMIT) == 497 + 1


def test_window_moves_past_hosts_without_addresses() -> None:
    data: dict[tuple[str, str], object] = {
        ("b.example", "MX"): [MXRecord(i, f"mx{i}.b.example") for i in range(6)],
        ("mx5.b.example", "A"): [AddressRecord("192.0.2.5")],
    }
    for i in range(5):
        data[(f"mx{i}.b.example", "A")] = Failure.NXDOMAIN
    zone = Zone(data)  # type: ignore[arg-type]
    result = plan("b.example", zone, address_types=(RType.A,), max_hosts=2)
    assert isinstance(result, Resolution)
    assert result.candidates == (Candidate("mx5.b.example", ip("192.0.2.5"), 5),)


def test_address_literal_needs_no_lookup() -> None:
    planner = ResolutionPlanner("[IPv6:2001:DB8::5]", rng=random.Random(0))
    assert planner.done
    assert planner.next_queries() == []
    assert planner.result == Resolution(
        "[IPv6:2001:db8::5]", (Candidate("[IPv6:2001:db8::5]", ip("2001:db8::5"), 0),)
    )
    planner = ResolutionPlanner("[192.0.2.1]", rng=random.Random(0), address_types=(RType.AAAA,))
    assert isinstance(planner.result, PermanentFailure)
    planner = ResolutionPlanner(
        "[192.0.2.1]", rng=random.Random(0), local_addresses=[ip("192.0.2.1")]
    )
    assert isinstance(planner.result, PermanentFailure)
    assert planner.result.status == "5.4.6"


def test_idn_domain_is_queried_as_a_labels() -> None:
    planner = ResolutionPlanner("Bücher.example", rng=random.Random(0))
    assert planner.next_queries() == [Query("xn--bcher-kva.example", RType.MX)]


@pytest.mark.parametrize("domain", ["", "a..b", "[300.1.1.1]", "192.0.2.1", "x" * 64 + ".com"])
def test_malformed_domain_raises_address_error(domain: str) -> None:
    with pytest.raises(AddressError):
        ResolutionPlanner(domain, rng=random.Random(0))


def test_queries_are_handed_out_once_and_concurrently() -> None:
    planner = ResolutionPlanner("b.example", rng=random.Random(0))
    (mx,) = planner.next_queries()
    assert planner.next_queries() == []
    assert planner.pending == (mx,)
    planner.answer(mx, [MXRecord(10, "mx1.b.example"), MXRecord(10, "mx2.b.example")])
    queries = planner.next_queries()
    assert len(queries) == 4
    assert set(planner.pending) == set(queries)
    # answer out of order; the result waits for the last one
    for query in reversed(queries):
        assert not planner.done
        if query.rtype is RType.A:
            planner.answer(query, [AddressRecord("192.0.2.1")])
        else:
            planner.fail(query, Failure.NODATA)
    assert planner.done
    result = planner.result
    assert isinstance(result, Resolution)
    assert len(result.candidates) == 1  # both hosts share the address: listed once


def test_misuse_raises_local_protocol_error() -> None:
    planner = ResolutionPlanner("b.example", rng=random.Random(0))
    with pytest.raises(LocalProtocolError):
        planner.answer(Query("other.example", RType.MX), [])
    (mx,) = planner.next_queries()
    with pytest.raises(LocalProtocolError):
        planner.fail(mx, "NXDOMAIN")  # type: ignore[arg-type]
    planner.fail(mx, Failure.NXDOMAIN)
    with pytest.raises(LocalProtocolError):
        planner.fail(mx, Failure.NXDOMAIN)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"address_types": ()},
        {"address_types": (RType.A, RType.A)},
        {"address_types": (RType.MX,)},
        {"max_hosts": 0},
        {"max_candidates": 0},
        {"max_cname_chain": -1},
    ],
)
def test_bad_configuration(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ResolutionPlanner("b.example", rng=random.Random(0), **kwargs)  # type: ignore[arg-type]


def test_run_planner_answers_queries_handed_out_earlier() -> None:
    planner = ResolutionPlanner("b.example", rng=random.Random(0))
    assert planner.next_queries() == [Query("b.example", RType.MX)]
    result = run_planner(planner, basic_zone())
    assert isinstance(result, Resolution)
    assert len(result.candidates) == 5
