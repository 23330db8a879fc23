"""Writing addresses: ``addr-spec`` and ``mailbox`` as RFC 5322 (and RFC 6532) want them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import ErrorKind, LocalProtocolError
from ._address import Address, Group
from ._encode import check_no_line_breaks, encode_phrase

__all__ = [
    "format_addr_spec",
    "format_address",
    "format_address_list",
    "format_group",
    "format_mailbox",
    "is_dot_atom",
    "quote_string",
]

# atext (RFC 5322 3.2.3) plus any non-ASCII character (RFC 6532 3.2 adds UTF8-non-ascii).
_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff"
_DOT_ATOM_RE = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_QUOTE_RE = re.compile(r'(["\\])')
# What a domain name is written with (letters, digits, hyphens, dots; "_" is seen in the wild).


def is_dot_atom(text: str) -> bool:
    """Whether *text* may be written bare as an RFC 5322 (RFC 6532) ``dot-atom``."""
    return _DOT_ATOM_RE.fullmatch(text) is not None


def quote_string(text: str) -> str:
    """*text* as an RFC 5322 ``quoted-string``: in double quotes, ``"`` and ``\\`` escaped."""
    return '"' + _QUOTE_RE.sub(r"\\\1", text) + '"'


def format_addr_spec(local_part: str, domain: str) -> str:
    """``local_part@domain`` with the local part quoted where RFC 5322 requires it.

    The local part is written bare when it is a ``dot-atom`` (non-ASCII characters count as
    ``atext``, as RFC 6532 allows) and as a ``quoted-string`` otherwise (``"john doe"``). The
    domain is written as given; with an empty domain the result is the local part alone.

    >>> format_addr_spec("john doe", "example.com")
    '"john doe"@example.com'
    """
    local = local_part if is_dot_atom(local_part) else quote_string(local_part)
    return f"{local}@{domain}" if domain else local


_DOMAIN_LITERAL_RE = re.compile(r"\[[\x21-\x5a\x5e-\x7e]*\]")


def _idna_domain(domain: str, allow_utf8: bool) -> str:
    if domain.startswith("["):
        if not _DOMAIN_LITERAL_RE.fullmatch(domain):
            raise LocalProtocolError(f"bad domain literal {domain!r}", kind=ErrorKind.BAD_PARAMETER)
        return domain
    if not is_dot_atom(domain):
        raise LocalProtocolError(f"bad domain {domain!r}", kind=ErrorKind.BAD_PARAMETER)
    if allow_utf8 or domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise LocalProtocolError(
            f"domain {domain!r} cannot be written as IDNA A-labels", kind=ErrorKind.BAD_PARAMETER
        ) from exc


def format_mailbox(address: Address, *, allow_utf8: bool = False) -> str:
    """The ``addr-spec`` of *address* as it is written in a header or an SMTP envelope.

    Unless *allow_utf8* (SMTPUTF8, RFC 6531/6532), an internationalised domain becomes its IDNA
    A-labels (``xn--...``), and a non-ASCII local part, which has no ASCII form, is refused.

    :raises LocalProtocolError: the address cannot be written without SMTPUTF8, holds a line
        break, or its domain is missing or not a dot-atom or domain literal.
    """
    local, domain = address.local_part, address.domain
    check_no_line_breaks(local + domain, "address")
    if not allow_utf8 and not local.isascii():
        raise LocalProtocolError(
            f"the local part {local!r} needs SMTPUTF8 (allow_utf8=True)",
            kind=ErrorKind.BAD_PARAMETER,
        )
    return format_addr_spec(local, _idna_domain(domain, allow_utf8))


def format_address(address: Address, *, allow_utf8: bool = False) -> str:
    """A mailbox as written in a header: ``Display Name <local@domain>`` or ``local@domain``.

    The display name is written bare when it is made of atoms, as a quoted string when it holds
    specials, and with RFC 2047 encoded words when it is not ASCII (unless *allow_utf8*, RFC 6532,
    where UTF-8 is written as it is). The domain becomes IDNA A-labels unless *allow_utf8*.

    >>> format_address(Address("Doe, John", "john", "example.com"))
    '"Doe, John" <john@example.com>'
    """
    spec = format_mailbox(address, allow_utf8=allow_utf8)
    if not address.display_name:
        return spec
    return f"{encode_phrase(address.display_name, allow_utf8=allow_utf8)} <{spec}>"


def format_group(group: Group, *, allow_utf8: bool = False) -> str:
    """A group as written in a header: ``Name: a@x, b@y;`` (``Name:;`` when empty)."""
    members = ", ".join(format_address(m, allow_utf8=allow_utf8) for m in group.members)
    name = encode_phrase(group.display_name, allow_utf8=allow_utf8)
    if name.endswith("?="):
        name += " "  # valid before ":", and readers that want white space after a word get it
    return f"{name}:{' ' if members else ''}{members};"


def format_address_list(addresses: Iterable[Address | Group], *, allow_utf8: bool = False) -> str:
    """A comma-separated address list (for To, Cc, From, Reply-To) of mailboxes and groups."""
    return ", ".join(
        format_group(a, allow_utf8=allow_utf8)
        if isinstance(a, Group)
        else format_address(a, allow_utf8=allow_utf8)
        for a in addresses
    )
