"""Routing: split a message's recipients into local ones and remote ones grouped by domain.

One MX lookup and one SMTP transaction can serve every recipient of a domain, so remote
recipients are grouped by their routing key (the domain in A-labels, or the canonical address
literal), in the order the domains first appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._addresses import (
    IPAddress,
    Recipient,
    format_address_literal,
    parse_address_literal,
    parse_recipient,
    to_ascii_domain,
)
from ._errors import AddressError

__all__ = ["DomainGroup", "InvalidRecipient", "Routing", "route"]

#: RFC 5321 section 4.5.3.1.8: a server must accept at least 100 recipients per transaction.
DEFAULT_BATCH = 100


@dataclass(frozen=True, slots=True)
class DomainGroup:
    """The remote recipients that share one destination.

    :param domain: the routing key: lower-case A-label domain or canonical address literal.
    :param recipients: the recipients, in the order given.
    """

    domain: str
    recipients: tuple[Recipient, ...]

    def batches(self, size: int = DEFAULT_BATCH) -> tuple[tuple[Recipient, ...], ...]:
        """The recipients cut into transactions of at most *size* (RFC 5321 section 4.5.3.1.8
        says a server must accept 100; ask for the rest in another transaction).

        :raises ValueError: *size* is smaller than 1.
        """
        if size < 1:
            raise ValueError("a batch holds at least one recipient")
        rcpts = self.recipients
        return tuple(rcpts[i : i + size] for i in range(0, len(rcpts), size))


@dataclass(frozen=True, slots=True)
class InvalidRecipient:
    """A recipient that could not be routed, and why."""

    address: str
    reason: str


@dataclass(frozen=True, slots=True)
class Routing:
    """The recipients of one message, sorted for delivery.

    :param local: recipients in domains (or at addresses) we serve.
    :param remote: the other recipients, one group per destination.
    :param invalid: recipients whose address is malformed.
    """

    local: tuple[Recipient, ...]
    remote: tuple[DomainGroup, ...]
    invalid: tuple[InvalidRecipient, ...] = ()


def _local_keys(domains: Iterable[str], addresses: Iterable[IPAddress]) -> frozenset[str]:
    keys = set()
    for domain in domains:
        if domain.startswith("["):
            keys.add(format_address_literal(parse_address_literal(domain)))
        else:
            keys.add(to_ascii_domain(domain))
    keys.update(format_address_literal(a) for a in addresses)
    return frozenset(keys)


def route(
    recipients: Iterable[str | Recipient],
    *,
    local_domains: Iterable[str] = (),
    local_addresses: Iterable[IPAddress] = (),
) -> Routing:
    """Split *recipients* into local and remote ones, grouping the remote ones by destination.

    Domains are compared in their A-label form, so ``bea@Bücher.example`` and
    ``al@xn--bcher-kva.example`` share one group. A recipient given twice (same local part, same
    destination) is kept once. Local parts are compared exactly: only the receiving system
    knows whether they are case-sensitive.

    :param local_domains: the domains we deliver locally; address literals may be listed too.
    :param local_addresses: our addresses: address-literal recipients at one of them are local.
    :raises AddressError: one of *local_domains* is malformed (a malformed recipient is
        reported in :attr:`Routing.invalid` instead).
    """
    local_keys = _local_keys(local_domains, local_addresses)
    local: list[Recipient] = []
    groups: dict[str, list[Recipient]] = {}
    invalid: list[InvalidRecipient] = []
    seen: set[tuple[str, str]] = set()
    for item in recipients:
        if isinstance(item, Recipient):
            rcpt = item
        else:
            try:
                rcpt = parse_recipient(item)
            except AddressError as exc:
                invalid.append(InvalidRecipient(str(item), exc.message))
                continue
        key = (rcpt.local_part, rcpt.domain)
        if key in seen:
            continue
        seen.add(key)
        if rcpt.domain in local_keys:
            local.append(rcpt)
        else:
            groups.setdefault(rcpt.domain, []).append(rcpt)
    return Routing(
        tuple(local),
        tuple(DomainGroup(domain, tuple(rcpts)) for domain, rcpts in groups.items()),
        tuple(invalid),
    )
