"""Choosing and ordering mail exchangers from MX records (RFC 5321 section 5.1, RFC 7505).

:func:`select_mx` checks the records, drops what cannot be used (each drop is reported as a
:class:`Skip`), sorts by preference, puts hosts of equal preference in random order (the random
source is a parameter), and drops our own host and every host that is not more preferred than it.
"""

from __future__ import annotations

import enum
import ipaddress
import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ._addresses import to_ascii_domain
from ._errors import AddressError
from ._records import MXRecord

__all__ = ["MXHost", "MXSelection", "Skip", "SkipReason", "select_mx"]

_MAX_PREFERENCE = 65535


class SkipReason(enum.Enum):
    """Why a record, host or address was not used."""

    #: A null MX (exchange ``.``) published beside ordinary MX records (RFC 7505 forbids it);
    #: the ordinary records are used.
    NULL_MX_MIXED = "null-mx-mixed"
    #: The exchange is not a valid host name.
    INVALID_EXCHANGE = "invalid-exchange"
    #: The exchange is an IP address; RFC 5321 section 5.1 requires a domain name.
    EXCHANGE_IS_ADDRESS = "exchange-is-address"
    #: The preference is not an integer from 0 to 65535.
    PREFERENCE_OUT_OF_RANGE = "preference-out-of-range"
    #: The same exchange appeared again with a preference that is not better; the best is kept.
    DUPLICATE = "duplicate"
    #: This host is ours, or is not more preferred than ours (RFC 5321 section 5.1).
    NOT_MORE_PREFERRED = "not-more-preferred"
    #: The host has no address of the families asked for.
    NO_ADDRESS = "no-address"
    #: Resolving the host failed for now (SERVFAIL or timeout).
    TEMPORARY_FAILURE = "temporary-failure"
    #: The host's names form a CNAME loop or a chain longer than allowed.
    CNAME_LOOP = "cname-loop"
    #: An address record did not hold a valid address of the type asked for.
    INVALID_ADDRESS = "invalid-address"
    #: The address is one of ours.
    LOCAL_ADDRESS = "local-address"
    #: Beyond the configured cap on hosts or addresses.
    OVER_LIMIT = "over-limit"


@dataclass(frozen=True, slots=True)
class Skip:
    """Something the planner did not use, and why.

    :param subject: the exchange, host name or address concerned (as text).
    :param reason: why it was skipped.
    :param detail: a sentence for logs.
    """

    subject: str
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class MXHost:
    """A usable mail exchanger: a checked, lower-case ASCII host name and its preference."""

    preference: int
    exchange: str


@dataclass(frozen=True, slots=True)
class MXSelection:
    """What :func:`select_mx` decided.

    :param hosts: the exchangers to try, in order.
    :param skipped: what was dropped, and why.
    :param null_mx: ``True`` if the domain publishes a null MX and nothing else (RFC 7505): the
        domain accepts no mail, and delivery must fail with ``5.1.10``.
    :param pruned_self: ``True`` if our own host was among the exchangers, so it and everything
        less preferred were dropped.
    """

    hosts: tuple[MXHost, ...]
    skipped: tuple[Skip, ...] = ()
    null_mx: bool = False
    pruned_self: bool = False


def _looks_like_address(exchange: str) -> bool:
    text = exchange.rstrip(".").strip("[]")
    if text[:5].lower() == "ipv6:":
        text = text[5:]
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def select_mx(
    records: Iterable[MXRecord],
    *,
    rng: random.Random,
    local_names: Collection[str] = (),
) -> MXSelection:
    """Check, order and prune a domain's MX records.

    :param records: the domain's MX records (owner names are not looked at).
    :param rng: the random source that orders hosts of equal preference. The hosts of one
        preference are sorted by name before shuffling, so the same seed gives the same order
        whatever order the DNS returned the records in.
    :param local_names: our own host names, already in :func:`to_ascii_domain` form. If one of
        them is an exchanger, it and every exchanger of the same or a higher preference number
        are dropped.
    """
    best: dict[str, int] = {}
    skipped: list[Skip] = []
    null_records: list[MXRecord] = []
    for record in records:
        pref = record.preference
        if type(pref) is not int or not 0 <= pref <= _MAX_PREFERENCE:
            skipped.append(
                Skip(str(record.exchange), SkipReason.PREFERENCE_OUT_OF_RANGE, f"value {pref!r}")
            )
            continue
        exchange: object = record.exchange
        if not isinstance(exchange, str):
            skipped.append(Skip(repr(exchange), SkipReason.INVALID_EXCHANGE, "not a string"))
            continue
        if exchange in ("", "."):
            null_records.append(record)
            continue
        if _looks_like_address(exchange):
            skipped.append(Skip(exchange, SkipReason.EXCHANGE_IS_ADDRESS, "an MX must name a host"))
            continue
        try:
            host = to_ascii_domain(exchange)
        except AddressError as exc:
            skipped.append(Skip(exchange, SkipReason.INVALID_EXCHANGE, exc.message))
            continue
        previous = best.get(host)
        if previous is not None:
            skipped.append(
                Skip(host, SkipReason.DUPLICATE, f"listed at {previous} and {pref}; the lower wins")
            )
            if pref >= previous:
                continue
        best[host] = pref
    if not best:
        return MXSelection((), tuple(skipped), null_mx=bool(null_records))
    skipped.extend(
        Skip(".", SkipReason.NULL_MX_MIXED, "a null MX beside ordinary MX records is ignored")
        for _ in null_records
    )
    pruned_self = False
    own = [pref for host, pref in best.items() if host in local_names]
    if own:
        cutoff = min(own)
        pruned_self = True
        for host, pref in best.items():
            if pref >= cutoff:
                skipped.append(
                    Skip(host, SkipReason.NOT_MORE_PREFERRED, f"at {pref}, ours at {cutoff}")
                )
        best = {host: pref for host, pref in best.items() if pref < cutoff}
    groups: dict[int, list[str]] = {}
    for host, pref in best.items():
        groups.setdefault(pref, []).append(host)
    hosts: list[MXHost] = []
    for pref in sorted(groups):
        names = sorted(groups[pref])
        rng.shuffle(names)
        hosts.extend(MXHost(pref, name) for name in names)
    return MXSelection(tuple(hosts), tuple(skipped), pruned_self=pruned_self)
