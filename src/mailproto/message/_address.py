"""The address values of the message model: mailboxes and groups."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Address", "Group"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: ``Display Name <local_part@domain>``.

    :param display_name: the decoded display name (``""`` if there is none).
    :param local_part: the local part, unquoted (``"john doe"`` for ``"john doe"@example.com``).
    :param domain: the domain as written (a domain literal keeps its brackets); ``""`` if missing.
    """

    display_name: str
    local_part: str
    domain: str

    @property
    def addr_spec(self) -> str:
        """``local_part@domain``, with the local part quoted where RFC 5322 requires it."""
        from ._address_format import format_addr_spec

        return format_addr_spec(self.local_part, self.domain)


@dataclass(frozen=True, slots=True)
class Group:
    """A named group of mailboxes (``Friends: a@x, b@y;``), possibly empty."""

    display_name: str
    members: tuple[Address, ...] = ()
