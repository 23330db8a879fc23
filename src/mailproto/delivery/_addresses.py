"""Recipient addresses as delivery sees them: domains (IDN to A-labels) and address literals.

Domains are converted to their ASCII form (A-labels, RFC 5890) with the standard library's
``idna`` codec, which implements IDNA 2003 (RFC 3490): it maps before converting (``ß`` becomes
``ss``, upper case becomes lower case), so a few names that IDNA 2008 treats differently come out
as IDNA 2003 would have them. Anything the codec refuses, and any label that is not a valid host
name label afterwards, is an :class:`~mailproto.delivery.AddressError`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ._errors import AddressError

__all__ = [
    "IPAddress",
    "Recipient",
    "format_address_literal",
    "parse_address_literal",
    "parse_recipient",
    "to_ascii_domain",
    "to_unicode_domain",
]

#: An IPv4 or IPv6 address.
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_MAX_DOMAIN = 253
_LDH_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DOTS_RE = re.compile("[.\u3002\uff0e\uff61]")
_IPV4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_BAD_LOCAL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _check_ascii_label(label: str, domain: str) -> None:
    if not _LDH_LABEL_RE.fullmatch(label):
        raise AddressError(f"{domain!r}: {label!r} is not a valid host name label")
    if label.startswith("xn--"):
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError as exc:
            raise AddressError(f"{domain!r}: {label!r} is not a valid A-label") from exc
    elif label[2:4] == "--":
        raise AddressError(f"{domain!r}: {label!r} has '--' in the third and fourth positions")


def to_ascii_domain(domain: str) -> str:
    """The domain in lower-case ASCII, international labels as A-labels, without a final dot.

    >>> to_ascii_domain("Bücher.Example.")
    'xn--bcher-kva.example'

    :raises AddressError: the domain is empty, too long, has an empty or invalid label, is a bare
        IPv4 address, or cannot be converted by the IDNA codec.
    """
    if not isinstance(domain, str):
        raise AddressError(f"a domain must be a str, not {type(domain).__name__}")
    labels = _DOTS_RE.split(domain)
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if labels == [""]:
        raise AddressError("the domain is empty")
    out: list[str] = []
    for label in labels:
        if not label:
            raise AddressError(f"{domain!r} has an empty label")
        if label.isascii():
            ascii_label = label.lower()
        else:
            try:
                ascii_label = label.encode("idna").decode("ascii").lower()
            except UnicodeError as exc:
                msg = f"{domain!r}: {label!r} cannot be converted to an A-label"
                raise AddressError(msg) from exc
        _check_ascii_label(ascii_label, domain)
        out.append(ascii_label)
    result = ".".join(out)
    if len(result) > _MAX_DOMAIN:
        raise AddressError(f"{domain!r} is longer than {_MAX_DOMAIN} characters")
    if _IPV4_RE.fullmatch(result):
        raise AddressError(f"{domain!r} is an IP address, not a domain; write it as [{result}]")
    return result


def to_unicode_domain(domain: str) -> str:
    """The domain for display: A-labels turned back into Unicode (the inverse of
    :func:`to_ascii_domain` for names it produced).

    :raises AddressError: an A-label is not valid Punycode.
    """
    ascii_domain = to_ascii_domain(domain)
    try:
        return ascii_domain.encode("ascii").decode("idna")
    except UnicodeError as exc:  # pragma: no cover - to_ascii_domain checked every A-label
        raise AddressError(f"{domain!r} cannot be converted to Unicode") from exc


def parse_address_literal(text: str) -> IPAddress:
    """The address in an RFC 5321 address literal: ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]``.

    >>> parse_address_literal("[IPv6:2001:DB8::1]")
    IPv6Address('2001:db8::1')

    :raises AddressError: no brackets, a malformed address, an IPv4 address with leading zeros,
        an IPv6 zone index, or a general address literal (``[tag:...]``), which has no use in
        delivery.
    """
    if len(text) < 3 or text[0] != "[" or text[-1] != "]":
        raise AddressError(f"{text!r} is not an address literal in brackets")
    inner = text[1:-1]
    if inner[:5].lower() == "ipv6:":
        value = inner[5:]
        if "%" in value:
            raise AddressError(f"{text!r}: an IPv6 zone index is not allowed in an address literal")
        try:
            return ipaddress.IPv6Address(value)
        except ValueError as exc:
            raise AddressError(f"{text!r} is not a valid IPv6 address literal") from exc
    if not _IPV4_RE.fullmatch(inner):
        if ":" in inner:
            raise AddressError(f"{text!r}: general address literals are not supported")
        raise AddressError(f"{text!r} is not a valid IPv4 address literal")
    try:
        return ipaddress.IPv4Address(inner)
    except ValueError as exc:
        raise AddressError(f"{text!r} is not a valid IPv4 address literal") from exc


def format_address_literal(address: IPAddress) -> str:
    """The canonical address literal for an address: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``."""
    if isinstance(address, ipaddress.IPv6Address):
        return f"[IPv6:{address.compressed}]"
    return f"[{address}]"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient address split for delivery.

    :param address: the address as given.
    :param local_part: everything before the last ``@``, unchanged (it is the receiving
        system's business).
    :param domain: the routing key: the domain in lower-case ASCII (A-labels), or the canonical
        address literal (``[192.0.2.1]``, ``[IPv6:2001:db8::1]``).
    :param literal: the address of an address-literal recipient, else ``None``.
    """

    address: str
    local_part: str
    domain: str
    literal: IPAddress | None = None


def parse_recipient(address: str) -> Recipient:
    """Split a recipient (``user@domain``, ``user@[192.0.2.1]``) for routing and delivery.

    >>> parse_recipient("bea@Bücher.example").domain
    'xn--bcher-kva.example'

    :raises AddressError: no ``@``, an empty local part, control characters, or a domain or
        address literal that :func:`to_ascii_domain` or :func:`parse_address_literal` refuses.
    """
    if not isinstance(address, str):
        raise AddressError(f"an address must be a str, not {type(address).__name__}")
    local, at, domain = address.rpartition("@")
    if not at:
        raise AddressError(f"{address!r} has no '@'")
    if not local:
        raise AddressError(f"{address!r} has an empty local part")
    if _BAD_LOCAL_RE.search(address):
        raise AddressError(f"{address!r} contains control characters")
    if domain.startswith("["):
        literal = parse_address_literal(domain)
        return Recipient(address, local, format_address_literal(literal), literal)
    return Recipient(address, local, to_ascii_domain(domain))
