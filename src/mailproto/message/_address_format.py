"""Writing addresses: ``addr-spec`` and ``mailbox`` as RFC 5322 (and RFC 6532) want them."""

from __future__ import annotations

import re

__all__ = ["format_addr_spec", "is_dot_atom", "quote_string"]

# atext (RFC 5322 3.2.3) plus any non-ASCII character (RFC 6532 3.2 adds UTF8-non-ascii).
_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff"
_DOT_ATOM_RE = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_QUOTE_RE = re.compile(r'(["\\])')


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
