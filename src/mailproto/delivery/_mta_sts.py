"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy file, and MX host matching.

Fetching is the caller's job (DNS for the record, HTTPS for the policy at
:func:`policy_url`); these functions read what was fetched and answer whether an MX host is
allowed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._addresses import to_ascii_domain
from ._errors import AddressError, PolicyError

__all__ = [
    "MAX_POLICY_SIZE",
    "STSMode",
    "STSPolicy",
    "STSRecord",
    "mx_pattern_matches",
    "parse_sts_policy",
    "parse_sts_record",
    "policy_url",
    "select_sts_record",
    "sts_record_name",
]

#: The largest policy file read; RFC 8461 section 3.3 suggests senders may cap it at 64 KiB.
MAX_POLICY_SIZE = 64 * 1024
#: RFC 8461 section 3.2: max_age is at most 31557600 seconds (about one year).
MAX_AGE_LIMIT = 31557600

_RECORD_PREFIX = "v=STSv1;"
_FIELD_DELIM_RE = re.compile(r"[ \t]*;[ \t]*")
_ID_RE = re.compile(r"[A-Za-z0-9]{1,32}")
_EXT_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
_EXT_VALUE_RE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_POLICY_LINE_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.\-]{0,31}):[ \t]*(.*?)[ \t]*")
_POLICY_VALUE_RE = re.compile(r"[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?")
_MAX_AGE_RE = re.compile(r"[0-9]{1,10}")


def sts_record_name(domain: str) -> str:
    """The name of a domain's MTA-STS TXT record: ``_mta-sts.<domain>``."""
    return "_mta-sts." + to_ascii_domain(domain)


def policy_url(domain: str) -> str:
    """Where a domain's policy is fetched: ``https://mta-sts.<domain>/.well-known/mta-sts.txt``."""
    return f"https://mta-sts.{to_ascii_domain(domain)}/.well-known/mta-sts.txt"


@dataclass(frozen=True, slots=True)
class STSRecord:
    """A parsed ``_mta-sts`` TXT record.

    :param id: the policy instance id; a new id means the policy changed.
    :param extensions: other ``name=value`` fields, in order.
    """

    id: str
    extensions: tuple[tuple[str, str], ...] = ()


def _join_txt(txt: str | bytes | Sequence[str | bytes]) -> str:
    parts: Sequence[str | bytes] = [txt] if isinstance(txt, str | bytes) else txt
    out = []
    for part in parts:
        if isinstance(part, bytes):
            try:
                part = part.decode("ascii")
            except UnicodeDecodeError as exc:
                raise PolicyError("the TXT record is not ASCII") from exc
        out.append(part)
    return "".join(out)


def parse_sts_record(txt: str | bytes | Sequence[str | bytes]) -> STSRecord:
    """Parse an MTA-STS TXT record (RFC 8461 section 3.1).

    :param txt: the record's text, or its character-strings (which are concatenated).

    >>> parse_sts_record("v=STSv1; id=20160831085700Z;")
    STSRecord(id='20160831085700Z', extensions=())

    :raises PolicyError: the record does not follow the RFC's grammar.
    """
    text = _join_txt(txt)
    fields = _FIELD_DELIM_RE.split(text)
    if fields[0] != "v=STSv1" or len(fields) < 2:
        raise PolicyError(f"{text!r} does not start with 'v=STSv1;'")
    if fields[-1] == "":
        fields.pop()
    record_id: str | None = None
    extensions: list[tuple[str, str]] = []
    for field in fields[1:]:
        name, eq, value = field.partition("=")
        if not eq:
            raise PolicyError(f"{field!r} is not a name=value field")
        if name == "id":
            if not _ID_RE.fullmatch(value):
                raise PolicyError(f"{value!r} is not a valid policy id (1-32 letters or digits)")
            if record_id is None:
                record_id = value
        elif _EXT_NAME_RE.fullmatch(name) and _EXT_VALUE_RE.fullmatch(value):
            extensions.append((name, value))
        else:
            raise PolicyError(f"{field!r} is not a valid field")
    if record_id is None:
        raise PolicyError("the record has no id field")
    return STSRecord(record_id, tuple(extensions))


def select_sts_record(
    records: Iterable[str | bytes | Sequence[str | bytes]],
) -> STSRecord | None:
    """Pick the MTA-STS record from the TXT records at ``_mta-sts.<domain>``.

    As RFC 8461 section 3.1 says: records that do not begin with ``v=STSv1;`` are discarded; if
    not exactly one remains, or it is invalid, the domain has no usable policy (``None``).
    """
    candidates = []
    for record in records:
        try:
            text = _join_txt(record)
        except PolicyError:
            continue
        if text.startswith(_RECORD_PREFIX):
            candidates.append(text)
    if len(candidates) != 1:
        return None
    try:
        return parse_sts_record(candidates[0])
    except PolicyError:
        return None


class STSMode(enum.Enum):
    """The policy mode (RFC 8461 section 5)."""

    #: Deliver only to allowed MX hosts over TLS with a valid certificate.
    ENFORCE = "enforce"
    #: Report failures (TLSRPT) but deliver anyway.
    TESTING = "testing"
    #: The domain has withdrawn its policy.
    NONE = "none"


def mx_pattern_matches(pattern: str, host: str) -> bool:
    """Whether an MX host name matches a policy ``mx`` pattern (RFC 8461 section 4.1).

    A pattern ``*.example.com`` matches exactly one more label on the left:
    ``mail.example.com`` but neither ``example.com`` nor ``a.mail.example.com``. Comparison is
    case-insensitive, ignores a final dot, and uses A-labels. A malformed host never matches.
    """
    try:
        name = to_ascii_domain(host)
        if pattern.startswith("*."):
            parent = to_ascii_domain(pattern[2:])
            label, dot, rest = name.partition(".")
            return bool(dot) and bool(label) and rest == parent
        return name == to_ascii_domain(pattern)
    except AddressError:
        return False


@dataclass(frozen=True, slots=True)
class STSPolicy:
    """A parsed MTA-STS policy file.

    :param mode: the mode.
    :param max_age: how long (seconds) the policy may be cached.
    :param mx: the allowed MX patterns, lower-case A-labels, ``*.`` kept.
    :param extensions: unknown fields, in order (RFC 8461 says to ignore them).
    """

    mode: STSMode
    max_age: int
    mx: tuple[str, ...]
    extensions: tuple[tuple[str, str], ...] = ()

    def allows(self, host: str) -> bool:
        """Whether *host* matches one of the policy's ``mx`` patterns."""
        return any(mx_pattern_matches(pattern, host) for pattern in self.mx)

    def expires(self, fetched_at: datetime) -> datetime:
        """When a policy fetched at *fetched_at* stops being valid in a cache."""
        return fetched_at + timedelta(seconds=self.max_age)


def parse_sts_policy(body: bytes | str, *, max_size: int = MAX_POLICY_SIZE) -> STSPolicy:
    """Parse an MTA-STS policy file (RFC 8461 section 3.2).

    Lines end in LF or CRLF; empty lines are ignored. Fields other than ``mx`` count once: a
    repeated ``version``, ``mode`` or ``max_age`` is ignored after the first. Unknown fields are
    kept in :attr:`STSPolicy.extensions` and otherwise ignored.

    >>> policy = parse_sts_policy(b"version: STSv1\\nmode: enforce\\nmx: *.mail.example.com\\n"
    ...                           b"max_age: 86400\\n")
    >>> policy.allows("mx1.mail.example.com"), policy.allows("mail.example.com")
    (True, False)

    :raises PolicyError: the body is too large or not UTF-8, a line is malformed, ``version``
        is not ``STSv1``, ``mode`` or ``max_age`` is missing or invalid, an ``mx`` pattern is
        malformed, or ``mode`` is not ``none`` and there is no ``mx``.
    """
    if len(body) > max_size:
        raise PolicyError(f"the policy is larger than {max_size} bytes")
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError("the policy is not UTF-8") from exc
    else:
        text = body
    fields: dict[str, str] = {}
    mx: list[str] = []
    extensions: list[tuple[str, str]] = []
    for raw_line in text.split("\n"):
        line = raw_line.removesuffix("\r")
        if not line.strip(" \t"):
            continue
        match = _POLICY_LINE_RE.fullmatch(line)
        if not match or not _POLICY_VALUE_RE.fullmatch(match.group(2)):
            raise PolicyError(f"{line[:80]!r} is not a 'name: value' line")
        name, value = match.groups()
        if name == "mx":
            mx.append(_check_pattern(value))
        elif name in ("version", "mode", "max_age"):
            fields.setdefault(name, value)
        else:
            extensions.append((name, value))
    if fields.get("version") != "STSv1":
        raise PolicyError("the policy's version is missing or not STSv1")
    try:
        mode = STSMode(fields.get("mode", ""))
    except ValueError:
        raise PolicyError("the policy's mode is missing or not enforce/testing/none") from None
    max_age_text = fields.get("max_age", "")
    if not _MAX_AGE_RE.fullmatch(max_age_text) or int(max_age_text) > MAX_AGE_LIMIT:
        raise PolicyError(f"max_age must be 0 to {MAX_AGE_LIMIT} seconds")
    if not mx and mode is not STSMode.NONE:
        raise PolicyError("a policy in enforce or testing mode needs at least one mx field")
    return STSPolicy(mode, int(max_age_text), tuple(mx), tuple(extensions))


def _check_pattern(value: str) -> str:
    wildcard = value.startswith("*.")
    try:
        domain = to_ascii_domain(value[2:] if wildcard else value)
    except AddressError as exc:
        raise PolicyError(f"mx pattern {value!r}: {exc.message}") from exc
    return "*." + domain if wildcard else domain
