"""Header folding: writing a header field in lines of at most 78 octets (RFC 5322 section 2.2.3)."""

from __future__ import annotations

import bisect
import re

from ..errors import ErrorKind, LocalProtocolError

__all__ = ["ENCODED_WORD_LINE", "MAX_LINE", "SOFT_LINE", "fold_header"]

#: The line length RFC 5322 section 2.1.1 says lines SHOULD stay within (CRLF not counted).
SOFT_LINE = 78
#: The line length lines MUST stay within (CRLF not counted).
MAX_LINE = 998
#: The line length RFC 2047 section 2 sets for lines that hold encoded words.
ENCODED_WORD_LINE = 76

# A fold goes before the first white space character of a run, so that no line is made of white
# space only and the run stays whole at the start of the continuation line.
_FOLD_POINT_RE = re.compile(rb"(?<![ \t])[ \t]")
_NAME_RE = re.compile(r"[\x21-\x39\x3b-\x7e]+")


def fold_header(
    name: str,
    value: str,
    *,
    structured: bool = False,
    width: int = SOFT_LINE,
    limit: int = MAX_LINE,
) -> bytes:
    """``name: value`` as folded header lines ending with CRLF, in UTF-8.

    The value must already be in its written form (encoded words, quoting); folding only
    inserts CRLF before existing white space, so unfolding gives the value back. Each line is
    kept within *width* octets (76 when the value holds encoded words, as RFC 2047 asks)
    wherever white space allows it; a line that cannot be broken is kept whole and may be
    longer. For a *structured* field (address lists, parameters), a break after a ``;``
    (parameters, trace fields), else after a ``,`` (lists), is preferred to one at other white
    space.

    :raises LocalProtocolError: the name is not a valid field name, the value holds a CR or LF,
        or a line would exceed *limit* (998) octets however it is folded.

    >>> fold_header("Subject", "hello world")
    b'Subject: hello world\\r\\n'
    """
    if not _NAME_RE.fullmatch(name):
        raise LocalProtocolError(f"bad header field name {name!r}", kind=ErrorKind.BAD_PARAMETER)
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(
            f"header value holds a line break: {value!r}", kind=ErrorKind.BAD_PARAMETER
        )
    if "=?" in value:
        # RFC 2047 section 2: a line holding encoded words is at most 76 characters long.
        width = min(width, ENCODED_WORD_LINE)
    line = f"{name}: {value}".encode()
    if len(line) <= width:
        return line + b"\r\n"
    # Not at the space after the colon: some readers would keep it as part of the value.
    points = [m.start() for m in _FOLD_POINT_RE.finditer(line, len(name) + 2)]
    # Structured fields break preferably after ";" (parameters, Received), then after ",".
    tiers = [[p for p in points if line[p - 1] == sep] for sep in b";,"] if structured else []
    out: list[bytes] = []
    start = 0
    while len(line) - start > width:
        # Fold points p with start < p <= start + width keep this line within the width.
        hi = bisect.bisect_right(points, start + width)
        lo = bisect.bisect_right(points, start)
        cut = -1
        if hi > lo:
            cut = points[hi - 1]
            for tier in tiers:
                t = bisect.bisect_right(tier, start + width)
                if t and tier[t - 1] > start:
                    cut = tier[t - 1]
                    break
        elif lo < len(points):
            cut = points[lo]  # nothing fits: the shortest overlong line
        if cut < 0:
            break
        if cut - start > limit:
            break
        out.append(line[start:cut])
        start = cut
    out.append(line[start:])
    if max(map(len, out)) > limit:
        raise LocalProtocolError(
            f"header field {name} has a line over {limit} octets that cannot be folded",
            kind=ErrorKind.TOO_BIG,
            limit=limit,
        )
    out.append(b"")
    return b"\r\n".join(out)
