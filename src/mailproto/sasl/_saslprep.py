"""SASLprep (RFC 4013): the stringprep profile for user names and passwords."""

from __future__ import annotations

import re
import stringprep
import unicodedata
from collections.abc import Callable

from ..errors import SASLError

__all__ = ["prepare", "saslprep"]

_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")

# RFC 4013 section 2.3: the tables of prohibited output (C.1.1 is allowed: ASCII space).
_PROHIBITED: tuple[tuple[Callable[[str], bool], str], ...] = (
    (stringprep.in_table_c12, "a non-ASCII space"),
    (stringprep.in_table_c21_c22, "a control character"),
    (stringprep.in_table_c3, "a private use character"),
    (stringprep.in_table_c4, "a non-character code point"),
    (stringprep.in_table_c5, "a surrogate code point"),
    (stringprep.in_table_c6, "a character inappropriate for plain text"),
    (stringprep.in_table_c7, "a character inappropriate for canonical representation"),
    (stringprep.in_table_c8, "a change-display-property or deprecated character"),
    (stringprep.in_table_c9, "a tagging character"),
)


def saslprep(text: str, *, allow_unassigned: bool = True) -> str:
    """Prepare a user name or password with the SASLprep profile of RFC 4013.

    Non-ASCII spaces become ASCII spaces, characters "commonly mapped to nothing" (soft hyphen,
    zero-width joiners, ...) are removed, the result is NFKC-normalised, and prohibited
    characters (controls, private use, ...) and bidirectional mixtures are refused.

    :param allow_unassigned: ``True`` (the default) prepares a *query* string, where code points
        unassigned in Unicode 3.2 are allowed; ``False`` prepares a *stored* string, where they
        are refused.
    :raises SASLError: the string holds a prohibited character or breaks the bidi rule.
    """
    if _PRINTABLE_ASCII.fullmatch(text):
        return text  # nothing in printable ASCII is mapped or prohibited
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    result = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    for ch in result:
        for in_table, description in _PROHIBITED:
            if in_table(ch):
                raise SASLError(f"SASLprep: the string contains {description} (U+{ord(ch):04X})")
        if not allow_unassigned and stringprep.in_table_a1(ch):
            raise SASLError(f"SASLprep: the string contains unassigned code point U+{ord(ch):04X}")
    if any(stringprep.in_table_d1(ch) for ch in result):
        if any(stringprep.in_table_d2(ch) for ch in result):
            raise SASLError("SASLprep: the string mixes right-to-left and left-to-right text")
        if not (stringprep.in_table_d1(result[0]) and stringprep.in_table_d1(result[-1])):
            raise SASLError(
                "SASLprep: right-to-left text must begin and end with a right-to-left character"
            )
    return result


def prepare(text: str) -> str:
    """SASLprep ``text`` where possible, otherwise keep it as it is.

    Used for names and passwords on both sides of an exchange, so a string SASLprep refuses (or
    maps to nothing) still works as long as both sides hold the same characters.
    """
    try:
        prepared = saslprep(text)
    except SASLError:
        return text
    return prepared or text
