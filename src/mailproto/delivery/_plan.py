"""The sans-I/O resolution planner: from a recipient domain to an ordered list of addresses.

The planner follows RFC 5321 section 5.1. It asks for the domain's MX records; follows CNAMEs;
falls back to the implicit MX (the domain's own addresses) when there is no MX record; fails
permanently with ``5.1.10`` on a null MX (RFC 7505); drops our own host and every less preferred
one; resolves the exchangers' addresses a few hosts at a time; and ends in a
:class:`Resolution` (the candidates to connect to, in order) or a :class:`PermanentFailure` or
:class:`TemporaryFailure` carrying an enhanced status code (RFC 3463).

It does no I/O. The caller runs the loop::

    planner = ResolutionPlanner("b.example", rng=random.Random())
    while not planner.done:
        for query in planner.next_queries():
            try:
                planner.answer(query, my_resolver(query.name, query.rtype.value))
            except NoSuchDomain:
                planner.fail(query, Failure.NXDOMAIN)
    result = planner.result

Queries may be answered in any order and concurrently; :attr:`ResolutionPlanner.pending` lists
those still outstanding.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ErrorKind, LocalProtocolError
from ._addresses import IPAddress, format_address_literal, parse_address_literal, to_ascii_domain
from ._mx import MXHost, Skip, SkipReason, select_mx
from ._records import AddressRecord, CNAMERecord, Failure, MXRecord, Query, Record, RType

__all__ = [
    "Candidate",
    "PermanentFailure",
    "Resolution",
    "ResolutionFailure",
    "ResolutionPlanner",
    "TemporaryFailure",
    "run_planner",
]

#: RFC 3463 / RFC 7505 status codes the planner reports.
_NO_DOMAIN = "5.1.2"
_NULL_MX = "5.1.10"
_NO_ROUTE = "5.4.4"
_LOOP = "5.4.6"
_DNS_TEMPORARY = "4.4.3"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place to try: a host name, one of its addresses, and the host's MX preference.

    :param host: the exchanger's name (for TLS checks and logs), or the address literal.
    :param address: the address to connect to.
    :param preference: the MX preference (``0`` for an implicit MX or an address literal).
    """

    host: str
    address: IPAddress
    preference: int


@dataclass(frozen=True, slots=True)
class Resolution:
    """The planner succeeded: try these candidates in this order.

    :param domain: the domain (A-labels) or canonical address literal that was resolved.
    :param candidates: every address once, most preferred first.
    :param skipped: records, hosts and addresses that were not used, and why.
    :param implicit_mx: ``True`` if the domain has no MX record and its own addresses are used.
    """

    domain: str
    candidates: tuple[Candidate, ...]
    skipped: tuple[Skip, ...] = ()
    implicit_mx: bool = False


@dataclass(frozen=True, slots=True)
class ResolutionFailure:
    """The planner found nothing to connect to.

    :param domain: the domain that was resolved.
    :param status: the RFC 3463 enhanced status code for the bounce or the log
        (``5.1.10`` null MX, ``5.1.2`` no such domain, ``5.4.4`` no usable host,
        ``5.4.6`` the mail would loop back to us, ``4.4.3`` DNS failed for now).
    :param reason: a sentence for the bounce or the log.
    :param skipped: what was not used, and why.
    """

    domain: str
    status: str
    reason: str
    skipped: tuple[Skip, ...] = ()

    @property
    def permanent(self) -> bool:
        """Whether retrying later cannot help (the message should bounce)."""
        return self.status.startswith("5")


@dataclass(frozen=True, slots=True)
class PermanentFailure(ResolutionFailure):
    """Delivery to this domain must fail now (bounce the message)."""


@dataclass(frozen=True, slots=True)
class TemporaryFailure(ResolutionFailure):
    """DNS could not answer now; keep the message and try again later."""


Result = Resolution | PermanentFailure | TemporaryFailure


@dataclass(slots=True)
class _Host:
    mx: MXHost
    started: bool = False
    # rtype -> addresses found, a Failure, or a SkipReason for a broken CNAME chain
    results: dict[RType, list[IPAddress] | Failure | SkipReason] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Want:
    host: int  # index into the host list; -1 for the domain's MX query
    chain: tuple[str, ...]


_LOOP_MARK = SkipReason.CNAME_LOOP


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


class ResolutionPlanner:
    """Plans the DNS lookups for one recipient domain and orders the result.

    :param domain: the recipient domain (converted with :func:`to_ascii_domain`) or an address
        literal (``[192.0.2.1]``, ``[IPv6:2001:db8::1]``), which needs no lookup.
    :param rng: the random source that orders exchangers of equal preference.
    :param local_names: our own host names: an exchanger by one of these names, and every
        exchanger that is not more preferred, is dropped (RFC 5321 section 5.1).
    :param local_addresses: our own addresses: an exchanger that resolves to one of them is
        treated as our own host in the same way.
    :param address_types: which address records to ask for, most preferred first:
        ``(RType.AAAA, RType.A)`` (the default) tries each host's IPv6 addresses before its
        IPv4 ones; ``(RType.A,)`` uses IPv4 only.
    :param max_hosts: how many exchangers with addresses to collect (a cap on hosts tried;
        later hosts are resolved only if earlier ones have no address).
    :param max_candidates: how many addresses to return at most.
    :param max_cname_chain: how many CNAMEs to follow from one name before giving up.
    :raises AddressError: the domain or one of the local names is malformed.
    :raises ValueError: a limit or ``address_types`` is invalid.
    """

    def __init__(
        self,
        domain: str,
        *,
        rng: random.Random,
        local_names: Iterable[str] = (),
        local_addresses: Iterable[IPAddress] = (),
        address_types: Sequence[RType] = (RType.AAAA, RType.A),
        max_hosts: int = 5,
        max_candidates: int = 10,
        max_cname_chain: int = 8,
    ) -> None:
        types = tuple(address_types)
        if not types or len(set(types)) != len(types) or RType.MX in types:
            raise ValueError("address_types must name A and/or AAAA, each once")
        if max_hosts < 1 or max_candidates < 1 or max_cname_chain < 0:
            raise ValueError("max_hosts and max_candidates must be >= 1, max_cname_chain >= 0")
        self._rng = rng
        self._local_names = frozenset(to_ascii_domain(name) for name in local_names)
        self._local_addresses = frozenset(local_addresses)
        self._types = types
        self._max_hosts = max_hosts
        self._max_candidates = max_candidates
        self._max_chain = max_cname_chain
        self._pending: dict[Query, list[_Want]] = {}
        self._unsent: list[Query] = []
        self._hosts: list[_Host] = []
        self._skipped: list[Skip] = []
        self._implicit = False
        self._pruned_self = False
        self._result: Result | None = None
        if domain.startswith("["):
            address = parse_address_literal(domain)
            self.domain = format_address_literal(address)
            self._result = self._literal_result(address)
            return
        self.domain = to_ascii_domain(domain)
        self._ask(Query(self.domain, RType.MX), _Want(-1, (self.domain,)))

    # -- the public face ------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether :attr:`result` is ready."""
        return self._result is not None

    @property
    def result(self) -> Result | None:
        """The outcome once :attr:`done`, else ``None``."""
        return self._result

    @property
    def pending(self) -> tuple[Query, ...]:
        """The queries asked for and not yet answered."""
        return tuple(self._pending)

    def next_queries(self) -> list[Query]:
        """The queries to send now; each query is returned once. Empty when done, or while
        the planner waits for answers to queries already returned."""
        out, self._unsent = self._unsent, []
        return out

    def answer(self, query: Query, records: Iterable[Record]) -> None:
        """Give the records found for *query* (an empty list means NODATA).

        Records of other types, records whose owner is not on the query's CNAME chain and
        addresses of the wrong family are ignored.

        :raises LocalProtocolError: *query* is not pending.
        """
        wants = self._take(query)
        records = list(records)
        for want in wants:
            self._on_records(query, want, records)
        self._advance()

    def fail(self, query: Query, failure: Failure) -> None:
        """Report that *query* failed.

        :raises LocalProtocolError: *query* is not pending.
        """
        if not isinstance(failure, Failure):
            raise LocalProtocolError(f"{failure!r} is not a Failure", kind=ErrorKind.BAD_PARAMETER)
        wants = self._take(query)
        for want in wants:
            self._on_outcome(query.rtype, want, failure)
        self._advance()

    # -- bookkeeping ----------------------------------------------------------------------

    def _take(self, query: Query) -> list[_Want]:
        wants = self._pending.pop(query, None)
        if wants is None:
            raise LocalProtocolError(f"{query} is not pending", kind=ErrorKind.BAD_SEQUENCE)
        if query in self._unsent:
            self._unsent.remove(query)
        return wants

    def _ask(self, query: Query, want: _Want) -> None:
        wants = self._pending.get(query)
        if wants is None:
            self._pending[query] = [want]
            self._unsent.append(query)
        else:
            wants.append(want)

    def _finish(self, result: Result) -> None:
        self._result = result
        self._pending.clear()
        self._unsent.clear()

    # -- answers --------------------------------------------------------------------------

    def _on_records(self, query: Query, want: _Want, records: list[Record]) -> None:
        cnames: dict[str, str] = {}
        for record in records:
            if (
                isinstance(record, CNAMERecord)
                and isinstance(record.target, str)
                and (record.name is None or isinstance(record.name, str))
            ):
                owner = query.name if record.name is None else _norm(record.name)
                cnames.setdefault(owner, _norm(record.target))
        name = query.name
        chain = want.chain
        while name in cnames:
            target = cnames[name]
            if not target or target in chain or len(chain) > self._max_chain:
                self._on_outcome(query.rtype, want, _LOOP_MARK)
                return
            chain = (*chain, target)
            name = target
        found = self._matching(query.rtype, name, records)
        if found:
            self._on_outcome(query.rtype, _Want(want.host, chain), found)
        elif name != query.name:
            self._ask(Query(name, query.rtype), _Want(want.host, chain))
        else:
            self._on_outcome(query.rtype, _Want(want.host, chain), Failure.NODATA)

    def _matching(self, rtype: RType, name: str, records: list[Record]) -> list[Record]:
        def owned(record: Record) -> bool:
            return record.name is None or (
                isinstance(record.name, str) and _norm(record.name) == name
            )

        if rtype is RType.MX:
            return [r for r in records if isinstance(r, MXRecord) and owned(r)]
        return [r for r in records if isinstance(r, AddressRecord) and owned(r)]

    def _on_outcome(
        self, rtype: RType, want: _Want, outcome: list[Record] | Failure | SkipReason
    ) -> None:
        if self._result is not None:
            return
        if want.host < 0:
            self._on_mx(want, outcome)
            return
        host = self._hosts[want.host]
        if isinstance(outcome, list):
            host.results[rtype] = self._addresses(host, rtype, outcome)
        else:
            host.results[rtype] = outcome

    def _addresses(self, host: _Host, rtype: RType, records: list[Record]) -> list[IPAddress]:
        wanted = ipaddress.IPv4Address if rtype is RType.A else ipaddress.IPv6Address
        out: list[IPAddress] = []
        for record in records:
            if not isinstance(record, AddressRecord):  # pragma: no cover - filtered before
                continue
            value = record.address
            address: IPAddress | None = None
            if isinstance(value, wanted):
                address = value
            elif isinstance(value, str):
                try:
                    parsed = ipaddress.ip_address(value)
                except ValueError:
                    parsed = None
                if isinstance(parsed, wanted):
                    address = parsed
            if address is None:
                self._skipped.append(
                    Skip(str(value), SkipReason.INVALID_ADDRESS, f"not an {rtype.value} address")
                )
            elif address not in out:
                out.append(address)
        return out

    def _on_mx(self, want: _Want, outcome: list[Record] | Failure | SkipReason) -> None:
        name = want.chain[-1]
        if isinstance(outcome, list):
            selection = select_mx(
                (r for r in outcome if isinstance(r, MXRecord)),
                rng=self._rng,
                local_names=self._local_names,
            )
            self._skipped.extend(selection.skipped)
            self._pruned_self = selection.pruned_self
            if selection.null_mx:
                self._fail(_NULL_MX, f"{self.domain} does not accept mail (null MX, RFC 7505)")
            elif not selection.hosts and selection.pruned_self:
                self._fail(_LOOP, f"mail for {self.domain} loops back to this host (best MX)")
            elif not selection.hosts:
                self._fail(_NO_ROUTE, f"{self.domain} has MX records but none is usable")
            else:
                self._hosts = [_Host(mx) for mx in selection.hosts]
        elif outcome is Failure.NODATA:
            if name in self._local_names:
                self._pruned_self = True
                self._fail(_LOOP, f"mail for {self.domain} loops back to this host (implicit MX)")
                return
            self._implicit = True
            self._hosts = [_Host(MXHost(0, name))]
        elif outcome is Failure.NXDOMAIN:
            self._fail(_NO_DOMAIN, f"{name} does not exist (NXDOMAIN)")
        elif isinstance(outcome, Failure):
            self._fail(_DNS_TEMPORARY, f"MX lookup of {name} failed: {outcome.value}")
        else:
            # A resolver reports a CNAME loop as SERVFAIL; it may be repaired, so retry later.
            self._fail(_DNS_TEMPORARY, f"the CNAME chain of {self.domain} loops or is too long")

    def _fail(self, status: str, reason: str) -> None:
        cls = PermanentFailure if status.startswith("5") else TemporaryFailure
        self._finish(cls(self.domain, status, reason, tuple(self._skipped)))

    # -- moving on ------------------------------------------------------------------------

    def _host_done(self, host: _Host) -> bool:
        return host.started and len(host.results) == len(self._types)

    def _host_ok(self, host: _Host) -> bool:
        found = (v for v in host.results.values() if isinstance(v, list) and v)
        return self._host_done(host) and any(found)

    def _advance(self) -> None:
        if self._result is not None or not self._hosts:
            return
        ok = sum(1 for host in self._hosts if self._host_ok(host))
        active = sum(1 for host in self._hosts if host.started and not self._host_done(host))
        for index, host in enumerate(self._hosts):
            if ok + active >= self._max_hosts:
                break
            if not host.started:
                host.started = True
                active += 1
                for rtype in self._types:
                    self._ask(Query(host.mx.exchange, rtype), _Want(index, (host.mx.exchange,)))
        if not self._pending:
            self._conclude()

    def _conclude(self) -> None:
        skipped = self._skipped
        temporary = False
        cutoff: int | None = None
        usable: list[tuple[_Host, dict[RType, list[IPAddress]]]] = []
        for host in self._hosts:
            name = host.mx.exchange
            if not host.started:
                skipped.append(Skip(name, SkipReason.OVER_LIMIT, f"{self._max_hosts} hosts found"))
                continue
            if cutoff is not None and host.mx.preference >= cutoff:
                skipped.append(Skip(name, SkipReason.NOT_MORE_PREFERRED, "after our own host"))
                continue
            found: dict[RType, list[IPAddress]] = {}
            explained = len(skipped)
            for rtype in self._types:
                outcome = host.results[rtype]
                if isinstance(outcome, list):
                    found[rtype] = outcome
                elif outcome is SkipReason.CNAME_LOOP:
                    skipped.append(Skip(name, SkipReason.CNAME_LOOP, f"{rtype.value} lookup"))
                elif isinstance(outcome, Failure) and outcome.temporary:
                    temporary = True
                    skipped.append(
                        Skip(name, SkipReason.TEMPORARY_FAILURE, f"{rtype.value}: {outcome.value}")
                    )
            addresses = [a for rtype in self._types for a in found.get(rtype, ())]
            if any(a in self._local_addresses for a in addresses):
                cutoff = host.mx.preference
                self._pruned_self = True
                skipped.append(Skip(name, SkipReason.LOCAL_ADDRESS, "resolves to one of ours"))
                usable = [(h, f) for h, f in usable if h.mx.preference < cutoff]
                continue
            if not addresses:
                if len(skipped) == explained:
                    skipped.append(Skip(name, SkipReason.NO_ADDRESS, "no address record"))
                continue
            usable.append((host, found))
        candidates: list[Candidate] = []
        seen: set[IPAddress] = set()
        for host, found in usable:
            for rtype in self._types:
                for address in found.get(rtype, ()):
                    if address in seen:
                        continue
                    seen.add(address)
                    if len(candidates) >= self._max_candidates:
                        skipped.append(Skip(str(address), SkipReason.OVER_LIMIT, host.mx.exchange))
                        continue
                    candidates.append(Candidate(host.mx.exchange, address, host.mx.preference))
        if candidates:
            self._finish(Resolution(self.domain, tuple(candidates), tuple(skipped), self._implicit))
        elif temporary:
            self._fail(_DNS_TEMPORARY, f"no address of a mail host of {self.domain} is known now")
        elif self._pruned_self:
            self._fail(_LOOP, f"mail for {self.domain} loops back to this host")
        elif self._implicit:
            self._fail(_NO_ROUTE, f"{self.domain} has no MX record and no address")
        else:
            self._fail(_NO_ROUTE, f"no mail host of {self.domain} has an address")

    def _literal_result(self, address: IPAddress) -> Result:
        rtype = RType.A if isinstance(address, ipaddress.IPv4Address) else RType.AAAA
        if address in self._local_addresses:
            return PermanentFailure(self.domain, _LOOP, f"{self.domain} is one of our addresses")
        if rtype not in self._types:
            return PermanentFailure(
                self.domain, _NO_ROUTE, f"{rtype.value} addresses are not in use here"
            )
        return Resolution(self.domain, (Candidate(self.domain, address, 0),))


def run_planner(
    planner: ResolutionPlanner,
    lookup: Callable[[Query], Iterable[Record] | Failure],
) -> Result:
    """Drive *planner* to its end with a blocking *lookup* function, one query at a time.

    *lookup* returns the records found for a query, or the :class:`Failure`. This is the whole
    driver loop for a synchronous resolver; asynchronous callers answer the queries of
    :meth:`ResolutionPlanner.next_queries` concurrently instead.

    Queries handed out before the call and still pending are answered too.

    :raises LocalProtocolError: the planner asked for nothing but is not done (a planner bug).
    """
    while planner.result is None:
        queries = planner.next_queries() or list(planner.pending)
        if not queries:
            raise LocalProtocolError("the planner is waiting but asks for nothing")
        for query in queries:
            if query not in planner.pending:
                continue
            outcome = lookup(query)
            if isinstance(outcome, Failure):
                planner.fail(query, outcome)
            else:
                planner.answer(query, outcome)
    return planner.result
