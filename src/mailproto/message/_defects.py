"""Typed defects: what was wrong with a message, and where.

Parsing never raises on input. Anything that does not follow the RFCs becomes a :class:`Defect`
naming its :class:`DefectKind` and the byte offset (into the whole message) where it was found;
the bytes themselves are kept as they were.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Defect", "DefectKind"]


class DefectKind(enum.Enum):
    """What class of problem a :class:`Defect` reports."""

    #: A line in the header block is not a header field (no colon, bad name, mbox "From" line).
    MALFORMED_HEADER_LINE = "malformed-header-line"
    #: The header block runs to the end of the data: there is no empty line and no body.
    MISSING_HEADER_BODY_SEPARATOR = "missing-header-body-separator"
    #: The header block starts with a folded (white-space) line that has no field to continue.
    FIRST_LINE_IS_CONTINUATION = "first-line-is-continuation"
    #: Non-ASCII bytes in a header that are not valid UTF-8 (RFC 6532); decoded with a fallback.
    NON_ASCII_HEADER = "non-ascii-header"
    #: An RFC 2047 encoded word is malformed (bad encoding, bad padding, embedded in a word).
    INVALID_ENCODED_WORD = "invalid-encoded-word"
    #: A charset name is unknown; the text was decoded with a fallback charset.
    UNKNOWN_CHARSET = "unknown-charset"
    #: Bytes could not be decoded in the declared charset; replacement characters were used.
    UNDECODABLE_TEXT = "undecodable-text"
    #: An address list could not be parsed completely; what could be read was kept.
    INVALID_ADDRESS = "invalid-address"
    #: A date could not be parsed.
    INVALID_DATE = "invalid-date"
    #: A Content-Type or Content-Disposition value is malformed.
    INVALID_CONTENT_TYPE = "invalid-content-type"
    #: An RFC 2231 parameter is malformed (missing or duplicated sections, bad charset).
    INVALID_PARAMETER = "invalid-parameter"
    #: A multipart has no ``boundary`` parameter; it is read as a single opaque part.
    MISSING_BOUNDARY_PARAMETER = "missing-boundary-parameter"
    #: No delimiter line for the declared boundary occurs in the body.
    BOUNDARY_NOT_FOUND = "boundary-not-found"
    #: The closing delimiter (``--boundary--``) is missing.
    MISSING_CLOSE_DELIMITER = "missing-close-delimiter"
    #: The nesting of parts is deeper than the parser's limit; the rest is kept opaque.
    NESTING_TOO_DEEP = "nesting-too-deep"
    #: The Content-Transfer-Encoding is not one the parser knows; the body is returned as is.
    UNKNOWN_TRANSFER_ENCODING = "unknown-transfer-encoding"
    #: A base64 body holds characters outside the alphabet or has bad padding.
    INVALID_BASE64 = "invalid-base64"
    #: A quoted-printable body holds an invalid escape.
    INVALID_QUOTED_PRINTABLE = "invalid-quoted-printable"


@dataclass(frozen=True, slots=True)
class Defect:
    """One problem found in a message.

    :param kind: what class of problem it is.
    :param offset: the byte offset in the whole message where it was found (the start of the
        header field or part concerned when no finer position is known). Inside an attached
        message that was itself transfer-encoded (base64 message/rfc822), offsets count in its
        decoded bytes.
    :param detail: a sentence describing it, for people.
    """

    kind: DefectKind
    offset: int
    detail: str = ""
