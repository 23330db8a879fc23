"""Delivery decisions: which host next, when to retry, when to bounce (pure functions).

* :class:`ResolutionPlanner` turns a recipient domain into an ordered list of addresses
  (RFC 5321 section 5.1, null MX from RFC 7505) without doing any DNS itself.
* :func:`parse_recipient`, :func:`to_ascii_domain` and :func:`parse_address_literal` read
  recipient addresses, IDN domains and address literals.
"""

from ._addresses import (
    IPAddress,
    Recipient,
    format_address_literal,
    parse_address_literal,
    parse_recipient,
    to_ascii_domain,
    to_unicode_domain,
)
from ._errors import AddressError, DeliveryError, PolicyError
from ._mx import MXHost, MXSelection, Skip, SkipReason, select_mx
from ._plan import (
    Candidate,
    PermanentFailure,
    Resolution,
    ResolutionFailure,
    ResolutionPlanner,
    TemporaryFailure,
    run_planner,
)
from ._records import AddressRecord, CNAMERecord, Failure, MXRecord, Query, Record, RType

__all__ = [
    "AddressError",
    "AddressRecord",
    "CNAMERecord",
    "Candidate",
    "DeliveryError",
    "Failure",
    "IPAddress",
    "MXHost",
    "MXRecord",
    "MXSelection",
    "PermanentFailure",
    "PolicyError",
    "Query",
    "RType",
    "Recipient",
    "Record",
    "Resolution",
    "ResolutionFailure",
    "ResolutionPlanner",
    "Skip",
    "SkipReason",
    "TemporaryFailure",
    "format_address_literal",
    "parse_address_literal",
    "parse_recipient",
    "run_planner",
    "select_mx",
    "to_ascii_domain",
    "to_unicode_domain",
]
