"""Resolve a recipient domain with dnspython (optional; not a dependency of mailproto).

This module is a small blocking driver for :class:`~mailproto.delivery.ResolutionPlanner`: it
asks a :class:`dns.resolver.Resolver` each query the planner names and hands back the records
or the failure. dnspython is imported only when a function here is called, so importing
:mod:`mailproto.drivers` never needs it. It lives with the drivers because it does I/O (through
the resolver it is given); :mod:`mailproto.delivery` itself stays pure.

Example::

    import random
    import dns.resolver

    result = resolve_domain("b.example", rng=random.Random(), resolver=dns.resolver.Resolver())
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..delivery import (
    AddressRecord,
    CNAMERecord,
    Failure,
    MXRecord,
    PermanentFailure,
    Query,
    Record,
    Resolution,
    ResolutionPlanner,
    TemporaryFailure,
    run_planner,
)

if TYPE_CHECKING:
    import dns.resolver

__all__ = ["lookup_function", "resolve_domain"]


def lookup_function(
    resolver: dns.resolver.Resolver,
) -> Callable[[Query], list[Record] | Failure]:
    """A lookup function for :func:`~mailproto.delivery.run_planner` that uses *resolver*.

    The records of the whole answer section are returned (CNAMEs with their owner names, so
    the planner can follow the chain); NXDOMAIN, an empty answer, SERVFAIL (or no server
    answering) and a timeout become the matching :class:`~mailproto.delivery.Failure`.
    """
    import dns.exception
    import dns.name
    import dns.rdatatype
    import dns.resolver

    def owner(name: dns.name.Name) -> str:
        return name.to_text(omit_final_dot=True)

    def lookup(query: Query) -> list[Record] | Failure:
        try:
            answer = resolver.resolve(query.name, query.rtype.value, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return Failure.NXDOMAIN
        except dns.resolver.NoAnswer:
            return Failure.NODATA
        except dns.exception.Timeout:
            return Failure.TIMEOUT
        except dns.exception.DNSException:
            return Failure.SERVFAIL
        records: list[Record] = []
        for rrset in answer.response.answer:
            name = owner(rrset.name)
            rdata: Any
            for rdata in rrset:
                if rrset.rdtype == dns.rdatatype.CNAME:
                    records.append(CNAMERecord(rdata.target.to_text(), name=name))
                elif rrset.rdtype == dns.rdatatype.MX:
                    records.append(MXRecord(rdata.preference, rdata.exchange.to_text(), name=name))
                elif rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    records.append(AddressRecord(rdata.address, name=name))
        return records if records else Failure.NODATA

    return lookup


def resolve_domain(
    domain: str,
    *,
    rng: random.Random,
    resolver: dns.resolver.Resolver | None = None,
    **options: Any,
) -> Resolution | PermanentFailure | TemporaryFailure:
    """Plan and run the lookups for *domain* with dnspython, one query at a time.

    :param rng: the random source for ordering equal preferences.
    :param resolver: the resolver to use; a default one (``/etc/resolv.conf``) if ``None``.
    :param options: further :class:`~mailproto.delivery.ResolutionPlanner` arguments.
    :raises AddressError: *domain* is malformed.
    """
    if resolver is None:
        import dns.resolver

        resolver = dns.resolver.Resolver()
    planner = ResolutionPlanner(domain, rng=rng, **options)
    return run_planner(planner, lookup_function(resolver))
