"""The DNS vocabulary of the resolution planner: queries, answers and failures.

The planner never talks to DNS. It names the queries it needs (:class:`Query`), and the caller
hands back what the resolver found: a list of records (:class:`MXRecord`, :class:`AddressRecord`,
:class:`CNAMERecord`) or a :class:`Failure`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._addresses import IPAddress

__all__ = [
    "AddressRecord",
    "CNAMERecord",
    "Failure",
    "MXRecord",
    "Query",
    "RType",
    "Record",
]


class RType(enum.Enum):
    """The record types the planner asks for."""

    MX = "MX"
    A = "A"
    AAAA = "AAAA"


class Failure(enum.Enum):
    """How a DNS query failed."""

    #: The name does not exist (RCODE 3).
    NXDOMAIN = "NXDOMAIN"
    #: The name exists but has no record of the type asked for (an empty answer).
    NODATA = "NODATA"
    #: The server failed (RCODE 2) or refused; the answer may come later.
    SERVFAIL = "SERVFAIL"
    #: No answer in time.
    TIMEOUT = "TIMEOUT"

    @property
    def temporary(self) -> bool:
        """Whether asking again later may give a different answer."""
        return self in (Failure.SERVFAIL, Failure.TIMEOUT)


@dataclass(frozen=True, slots=True)
class Query:
    """One DNS question: a name (lower-case ASCII, no final dot) and a record type."""

    name: str
    rtype: RType


@dataclass(frozen=True, slots=True)
class MXRecord:
    """An MX record.

    :param preference: the 16-bit preference; lower is more preferred.
    :param exchange: the mail exchanger's name (``"."`` or ``""`` is the root, a null MX).
    :param name: the owner name, needed only when the answer also holds a CNAME chain;
        ``None`` means the name the chain ends at.
    """

    preference: int
    exchange: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """An A or AAAA record.

    :param address: the address; a string is parsed, and one that does not parse is skipped.
    :param name: the owner name, as for :class:`MXRecord`.
    """

    address: IPAddress | str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class CNAMERecord:
    """A CNAME record: *name* is an alias of *target*.

    :param target: the canonical name.
    :param name: the owner name; ``None`` means the name that was asked for.
    """

    target: str
    name: str | None = None


#: Any record the planner understands.
Record = MXRecord | AddressRecord | CNAMERecord
