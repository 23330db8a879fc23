"""The demo's in-memory DNS zone and loopback network map."""

from __future__ import annotations

import ipaddress
import random

import pytest

from mailproto.delivery import (
    AddressRecord,
    Failure,
    MXRecord,
    PermanentFailure,
    Query,
    Resolution,
    ResolutionPlanner,
    RType,
    run_planner,
)
from mailproto.demo._zone import Network, Zone, ZoneError

ZONE = """
; the two domains of the demo
a.example.        MX 10 smtp.a.example.
smtp.a.example.   A  192.0.2.10
b.example.        MX 10 mx.b.example.
b.example.        MX 20 backup.b.example.   ; the backup
mx.b.example.     A  192.0.2.20
backup.b.example. A  192.0.2.21
backup.b.example. AAAA 2001:db8::21
www.b.example.    CNAME mx.b.example.
null.example.     MX 0 .
"""


def test_answers() -> None:
    zone = Zone.from_text(ZONE)
    assert zone.lookup(Query("B.example", RType.MX)) == [
        MXRecord(10, "mx.b.example", "b.example"),
        MXRecord(20, "backup.b.example", "b.example"),
    ]
    assert zone.lookup(Query("mx.b.example", RType.A)) == [
        AddressRecord(ipaddress.ip_address("192.0.2.20"), "mx.b.example")
    ]
    assert zone.lookup(Query("mx.b.example", RType.AAAA)) == []
    assert zone.lookup(Query("c.example", RType.MX)) is Failure.NXDOMAIN
    assert len(zone.lookup(Query("www.b.example", RType.A))) == 1  # type: ignore[arg-type]
    assert "b.example" in zone.names()


def test_planner_orders_primary_then_backup() -> None:
    zone = Zone.from_text(ZONE)
    planner = ResolutionPlanner("b.example", rng=random.Random(1), address_types=(RType.A,))
    result = run_planner(planner, zone.lookup)
    assert isinstance(result, Resolution)
    assert [(c.host, str(c.address)) for c in result.candidates] == [
        ("mx.b.example", "192.0.2.20"),
        ("backup.b.example", "192.0.2.21"),
    ]


def test_planner_sees_null_mx_and_missing_domain() -> None:
    zone = Zone.from_text(ZONE)
    for domain, status in (("null.example", "5.1.10"), ("nowhere.example", "5.1.2")):
        result = run_planner(ResolutionPlanner(domain, rng=random.Random(1)), zone.lookup)
        assert isinstance(result, PermanentFailure)
        assert result.status == status


def test_implicit_mx_from_address() -> None:
    zone = Zone.from_text("c.example. A 192.0.2.30")
    result = run_planner(ResolutionPlanner("c.example", rng=random.Random(1)), zone.lookup)
    assert isinstance(result, Resolution)
    assert result.implicit_mx


@pytest.mark.parametrize(
    "text", ["b.example MX ten mx", "b.example A not-an-address", "b.example", "x TXT hello"]
)
def test_bad_zone_text(text: str) -> None:
    with pytest.raises(ZoneError):
        Zone.from_text(text)


def test_network() -> None:
    net = Network()
    net.attach("192.0.2.20", 25, 40000)
    assert net.locate("192.0.2.20", 25) == ("127.0.0.1", 40000)
    with pytest.raises(ConnectionRefusedError):
        net.locate("192.0.2.20", 110)
    net.take_down("192.0.2.20")
    assert net.is_down("192.0.2.20")
    with pytest.raises(ConnectionRefusedError, match="down"):
        net.locate("192.0.2.20", 25)
    net.bring_up(["192.0.2.20"])
    assert net.locate("192.0.2.20", 25) == ("127.0.0.1", 40000)
    net.take_down("192.0.2.20")
    net.bring_up()
    assert not net.is_down("192.0.2.20")
