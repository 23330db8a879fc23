"""Deciding what happens to each recipient: a local mailbox, relay elsewhere, or refusal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..delivery import AddressError, parse_recipient, to_ascii_domain
from ._users import UserTable

__all__ = ["Local", "Refuse", "Remote", "Route", "Router"]


@dataclass(frozen=True, slots=True)
class Local:
    """Deliver into :attr:`mailbox` here."""

    mailbox: str


@dataclass(frozen=True, slots=True)
class Remote:
    """Relay to :attr:`domain`'s mail hosts (the client is allowed to relay)."""

    domain: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Refuse the recipient with this SMTP reply."""

    code: int
    status: str
    text: str


Route = Local | Remote | Refuse


def _domain_key(domain: str) -> str:
    """A domain as routing compares it: lower-case A-labels (see :mod:`mailproto.delivery`)."""
    try:
        return to_ascii_domain(domain)
    except AddressError:
        return domain.lower().rstrip(".")


class Router:
    """The server's recipient policy.

    * With no ``domains``, every recipient is caught locally (a development "catch-all"):
      the mailbox is the owning user's, or else the address itself. With ``relay`` as well,
      only recipients that a user owns are local, and the rest are relayed for authenticated
      clients.
    * With ``domains``, recipients in them are local (only known users' if there are users:
      ``550 5.1.1`` for others); the rest are relayed for authenticated clients when
      ``relay`` is set, and refused with ``550 5.7.1`` otherwise.

    The bare ``postmaster`` (RFC 5321 section 4.5.1) is always local.

    :param users: the user table.
    :param domains: the domains this server receives mail for.
    :param relay: whether authenticated clients may send to other domains.
    """

    def __init__(self, users: UserTable, domains: Iterable[str] = (), *, relay: bool = False):
        self.users = users
        self.domains = frozenset(_domain_key(d) for d in domains)
        self.relay = relay

    def is_local_domain(self, domain: str) -> bool:
        """Whether ``domain`` is one of ours (every domain is, in catch-all mode)."""
        return not self.domains or _domain_key(domain) in self.domains

    def route(self, address: str, *, authenticated: bool) -> Route:
        """Where mail for ``address`` goes, for a client that has or has not authenticated."""
        if address.lower() == "postmaster":
            return Local("postmaster")
        try:
            recipient = parse_recipient(address)
        except AddressError as exc:
            return Refuse(553, "5.1.3", f"<{address}>: {exc.message}")
        local, domain = recipient.local_part, recipient.domain
        if local.lower() == "postmaster" and self.is_local_domain(domain):
            return Local("postmaster")
        owner = self.users.owner_of(address)
        if not self.domains:
            if not self.relay:
                mailbox = self.users.mailbox_of(owner) if owner else address.lower()
                return Local(mailbox)
            if owner is not None:
                return Local(self.users.mailbox_of(owner))
        elif domain in self.domains:
            if owner is not None:
                return Local(self.users.mailbox_of(owner))
            if self.users:
                return Refuse(550, "5.1.1", f"<{address}>: no such user here")
            return Local(address.lower())
        if self.relay and authenticated:
            return Remote(domain)
        if self.relay:
            return Refuse(550, "5.7.1", "relaying denied: authenticate first")
        return Refuse(550, "5.7.1", f"relaying denied: {domain} is not a domain of this server")
