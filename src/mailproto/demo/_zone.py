"""The demo's little world: an in-memory DNS zone and a map from its addresses to loopback.

The demo's hosts have names and addresses as on the Internet (``mx.b.example`` at
``192.0.2.20``, from the documentation ranges of RFC 2606 and RFC 5737), but every server really
listens on a loopback port. :class:`Zone` answers the delivery planner's queries from records
held in memory; :class:`Network` says where each address really is, and which hosts are down.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..delivery import AddressRecord, CNAMERecord, Failure, MXRecord, Query, Record, RType

__all__ = ["Network", "Zone", "ZoneError"]


class ZoneError(ValueError):
    """A line of zone text could not be understood."""


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


@dataclass
class Zone:
    """DNS records in memory, answering :class:`~mailproto.delivery.Query` objects.

    A name with no records of any kind does not exist (``NXDOMAIN``); a name that has records,
    but none of the type asked for, answers with no records (``NODATA``), unless it has a CNAME,
    which is returned for the caller to follow.
    """

    records: dict[str, list[Record]] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str) -> Zone:
        """Build a zone from lines in master-file style: ``NAME TYPE DATA``.

        ``TYPE`` is ``MX`` (data ``PREFERENCE EXCHANGE``), ``A``, ``AAAA`` or ``CNAME``.
        Blank lines and text after ``;`` are ignored.

        >>> zone = Zone.from_text("b.example. MX 10 mx.b.example.\\nmx.b.example. A 192.0.2.20")
        >>> zone.lookup(Query("b.example", RType.MX))
        [MXRecord(preference=10, exchange='mx.b.example', name='b.example')]
        """
        zone = cls()
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split(";", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 3:
                raise ZoneError(f"line {number}: expected NAME TYPE DATA, got {raw!r}")
            name, rtype, *data = parts
            rtype = rtype.upper()
            if rtype == "MX" and len(data) == 2 and data[0].isdigit():
                zone.add_mx(name, int(data[0]), data[1])
            elif rtype in ("A", "AAAA") and len(data) == 1:
                try:
                    zone.add_address(name, data[0])
                except ValueError as exc:
                    raise ZoneError(f"line {number}: {exc}") from None
            elif rtype == "CNAME" and len(data) == 1:
                zone.add_cname(name, data[0])
            else:
                raise ZoneError(f"line {number}: cannot read {raw!r}")
        return zone

    def _add(self, name: str, record: Record) -> None:
        self.records.setdefault(_norm(name), []).append(record)

    def add_mx(self, name: str, preference: int, exchange: str) -> None:
        """Add an MX record (``exchange`` ``"."`` is a null MX)."""
        exchange = "." if exchange in (".", "") else _norm(exchange)
        self._add(name, MXRecord(preference, exchange, _norm(name)))

    def add_address(self, name: str, address: str) -> None:
        """Add an A or AAAA record, chosen by the address's family."""
        self._add(name, AddressRecord(ipaddress.ip_address(address), _norm(name)))

    def add_cname(self, name: str, target: str) -> None:
        """Add a CNAME record."""
        self._add(name, CNAMERecord(_norm(target), _norm(name)))

    def lookup(self, query: Query) -> list[Record] | Failure:
        """The records answering ``query``, or :attr:`Failure.NXDOMAIN`."""
        found = self.records.get(_norm(query.name))
        if found is None:
            return Failure.NXDOMAIN
        cnames = [r for r in found if isinstance(r, CNAMERecord)]
        if cnames:
            return list(cnames)
        return [r for r in found if _matches(r, query.rtype)]

    def names(self) -> list[str]:
        """Every name that has records, sorted."""
        return sorted(self.records)


def _matches(record: Record, rtype: RType) -> bool:
    if rtype is RType.MX:
        return isinstance(record, MXRecord)
    if not isinstance(record, AddressRecord):
        return False
    family = ipaddress.IPv4Address if rtype is RType.A else ipaddress.IPv6Address
    return isinstance(record.address, family)


class Network:
    """Where the demo's addresses really listen: ``(address, port)`` to a loopback port.

    :param real_host: the loopback address every server really binds to.
    """

    def __init__(self, real_host: str = "127.0.0.1") -> None:
        self.real_host = real_host
        self._ports: dict[tuple[str, int], int] = {}
        self._down: set[str] = set()

    def attach(self, address: str, port: int, real_port: int) -> None:
        """Say that ``address:port`` is served by the loopback port ``real_port``."""
        self._ports[(str(ipaddress.ip_address(address)), port)] = real_port

    def take_down(self, address: str) -> None:
        """Make every connection to ``address`` fail (a host that is down)."""
        self._down.add(str(ipaddress.ip_address(address)))

    def bring_up(self, addresses: Iterable[str] | None = None) -> None:
        """Undo :meth:`take_down` for ``addresses`` (all when ``None``)."""
        if addresses is None:
            self._down.clear()
        else:
            self._down.difference_update(str(ipaddress.ip_address(a)) for a in addresses)

    def is_down(self, address: str) -> bool:
        """Whether ``address`` was taken down."""
        return str(ipaddress.ip_address(address)) in self._down

    def locate(self, address: str, port: int) -> tuple[str, int]:
        """The real ``(host, port)`` for ``address:port``.

        :raises ConnectionRefusedError: the host is down or nothing listens there.
        """
        key = (str(ipaddress.ip_address(address)), port)
        if key[0] in self._down:
            raise ConnectionRefusedError(f"{address} is down")
        real = self._ports.get(key)
        if real is None:
            raise ConnectionRefusedError(f"nothing listens on {address} port {port}")
        return (self.real_host, real)
