"""Delivery decisions: which host next, when to retry, when to bounce (pure functions).

* :class:`ResolutionPlanner` turns a recipient domain into an ordered list of addresses
  (RFC 5321 section 5.1, null MX from RFC 7505) without doing any DNS itself.
* :func:`parse_recipient`, :func:`to_ascii_domain` and :func:`parse_address_literal` read
  recipient addresses, IDN domains and address literals.
* :func:`route` splits a message's recipients into local ones and remote ones grouped by domain.
* :class:`RetryPolicy` says when to try again, when to warn and when to give up
  (RFC 5321 section 4.5.4.1).
* :func:`build_dsn` writes bounces and delay notices (RFC 3464), honouring ``RET`` and
  ``NOTIFY`` (RFC 3461) and never answering a null reverse-path.
* :func:`parse_sts_record`, :func:`parse_sts_policy` and :meth:`STSPolicy.allows` read MTA-STS
  (RFC 8461).
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
from ._dsn import (
    DEFAULT_NOTIFY,
    Action,
    DeliveryReport,
    Notify,
    RecipientStatus,
    Ret,
    build_dsn,
)
from ._errors import AddressError, DeliveryError, PolicyError
from ._mta_sts import (
    MAX_POLICY_SIZE,
    STSMode,
    STSPolicy,
    STSRecord,
    mx_pattern_matches,
    parse_sts_policy,
    parse_sts_record,
    policy_url,
    select_sts_record,
    sts_record_name,
)
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
from ._retry import Attempt, Decision, GiveUp, Outcome, Retry, RetryPolicy, classify_reply
from ._routing import DomainGroup, InvalidRecipient, Routing, route

__all__ = [
    "Action",
    "AddressError",
    "AddressRecord",
    "Attempt",
    "CNAMERecord",
    "Candidate",
    "DEFAULT_NOTIFY",
    "Decision",
    "DeliveryError",
    "DeliveryReport",
    "DomainGroup",
    "Failure",
    "GiveUp",
    "IPAddress",
    "InvalidRecipient",
    "MAX_POLICY_SIZE",
    "MXHost",
    "MXRecord",
    "MXSelection",
    "Notify",
    "Outcome",
    "PermanentFailure",
    "PolicyError",
    "Query",
    "RType",
    "Recipient",
    "RecipientStatus",
    "Record",
    "Resolution",
    "ResolutionFailure",
    "ResolutionPlanner",
    "Ret",
    "Retry",
    "RetryPolicy",
    "Routing",
    "STSMode",
    "STSPolicy",
    "STSRecord",
    "Skip",
    "SkipReason",
    "TemporaryFailure",
    "build_dsn",
    "classify_reply",
    "format_address_literal",
    "mx_pattern_matches",
    "parse_address_literal",
    "parse_recipient",
    "parse_sts_policy",
    "parse_sts_record",
    "policy_url",
    "route",
    "run_planner",
    "select_mx",
    "select_sts_record",
    "sts_record_name",
    "to_ascii_domain",
    "to_unicode_domain",
]
