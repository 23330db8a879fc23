"""MIME: Content-Type and Content-Disposition parameters (RFC 2045, 2231), part boundaries
(RFC 2046) and transfer decoding (base64 with junk, quoted-printable).

Boundaries are found with ``bytes.find`` over the original buffer; a part is a pair of offsets.
"""

from __future__ import annotations

import binascii
import re
from urllib.parse import unquote_to_bytes

from ._encoded_words import decode_bytes, decode_encoded_words, lookup_charset

__all__ = [
    "decode_transfer",
    "find_boundaries",
    "parse_content_type",
    "parse_params",
]

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|[^;"(]+|;|\(')
_QP_ESC = re.compile(r"\\(.)", re.S)
# White space before "name=" inside a segment: a missing ";" (as in RFC 2231's own example).
_MISSING_SEMI = re.compile(r"\s+(?=[A-Za-z0-9!#$%&'+.^_`{|}~-]+(?:\*\d+)?\*?\s*=)")
_SECTION = re.compile(r"^(.*?)\*(\d{1,4})(\*?)$")
# A line break an RFC 2231 value decodes to (``%0D%0A``): a parameter never holds one.
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")
_QP_BAD = re.compile(rb"=(?![0-9A-Fa-f]{2}|\r?\n)")


def _split_segments(text: str) -> list[str]:
    """Split on ``;`` outside quoted strings, dropping comments."""
    segs: list[str] = []
    cur: list[str] = []
    for tok in _TOKENS.findall(text):
        if tok == ";":
            segs.append("".join(cur))
            cur = []
        elif tok.startswith("("):
            cur.append(" ")
        elif tok.startswith('"') or "=" not in tok:
            cur.append(tok)
        else:
            pieces = _MISSING_SEMI.split(tok)
            cur.append(pieces[0])
            for piece in pieces[1:]:
                segs.append("".join(cur))
                cur = [piece]
    segs.append("".join(cur))
    return segs


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        if "\\" in value:
            value = _QP_ESC.sub(r"\1", value)
        return value
    return value


def parse_params(segments: list[str]) -> tuple[dict[str, str], list[str]]:
    """Parameters from ``name=value`` segments, joining RFC 2231 continuations and decoding RFC
    2231 charsets and (in quoted values, a common real-world form) RFC 2047 encoded words.

    Returns the parameters (names lower-cased, first occurrence wins) and the problems found.
    """
    problems: list[str] = []
    params: dict[str, str] = {}
    # name -> {section number: (extended, value)}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    extended_single: dict[str, str] = {}
    for seg in segments:
        if not seg.strip():
            continue
        name, eq, value = seg.partition("=")
        name = name.strip().lower()
        if not eq or not name:
            problems.append(f"parameter without a value: {seg.strip()!r}")
            continue
        if "*" in name:
            sm = _SECTION.match(name)
            if sm is not None:
                base, num, star = sm.group(1), int(sm.group(2)), bool(sm.group(3))
                sect = sections.setdefault(base, {})
                if num in sect:
                    problems.append(f"duplicate section {name!r}")
                else:
                    sect[num] = (star, value.strip() if star else _unquote(value))
                continue
            if name.endswith("*"):
                extended_single.setdefault(name[:-1], _unquote(value))
                continue
        raw = value.strip()
        v = _unquote(raw)
        if "=?" in v:
            v = decode_encoded_words(v)
        params.setdefault(name, v)
    for base, sect in sections.items():
        charset = ""
        chunks: list[bytes] = []
        for i, num in enumerate(sorted(sect)):
            if num != i:
                problems.append(f"missing section {i} of parameter {base!r}")
                break
            star, v = sect[num]
            if star:
                v = _unquote(v)
                if v.count("'") >= 2:
                    label, _, rest = v.split("'", 2)
                    if num == 0:
                        charset, v = label, rest
                    elif label and lookup_charset(label) is not None:
                        # A charset where RFC 2231 allows none (a later section): drop it.
                        problems.append(f"charset in section {num} of parameter {base!r}")
                        charset, v = charset or label, rest
                chunks.append(unquote_to_bytes(v))
            else:
                chunks.append(v.encode("utf-8"))
        text, clean = decode_bytes(b"".join(chunks), charset or "utf-8")
        if not clean:
            problems.append(f"parameter {base!r} not valid in charset {charset!r}")
        if "\r" in text or "\n" in text:
            text = _LINE_BREAK.sub(" ", text)
        params[base] = text
    for base, v in extended_single.items():
        charset = ""
        if v.count("'") >= 2:
            charset, _, v = v.split("'", 2)
        text, clean = decode_bytes(unquote_to_bytes(v), charset or "utf-8")
        if not clean:
            problems.append(f"parameter {base!r} not valid in charset {charset!r}")
        if "\r" in text or "\n" in text:
            text = _LINE_BREAK.sub(" ", text)
        params[base] = text  # the extended form wins over a plain one (RFC 2231 section 4)
    return params, problems


def parse_content_type(text: str) -> tuple[str, dict[str, str], list[str]]:
    """Parse a Content-Type (or Content-Disposition) value.

    Returns the lower-cased value before the first ``;`` (``"text/plain"``; empty if missing),
    the parameters and the problems found.

    >>> parse_content_type('text/plain; charset="us-ascii" (Plain text)')
    ('text/plain', {'charset': 'us-ascii'}, [])
    """
    segs = _split_segments(text)
    head = "".join(segs[0].split()).lower()
    params, problems = parse_params(segs[1:])
    return head, params, problems


def find_boundaries(
    buf: bytes, boundary: bytes, start: int, end: int
) -> tuple[list[tuple[int, int]], int, int, bool]:
    """Find the delimiter lines of ``boundary`` in ``buf[start:end]``.

    Returns ``(parts, preamble_end, epilogue_start, closed)``: each part as ``(start, end)``
    offsets, excluding the line break that belongs to the next delimiter; the end of the preamble;
    the start of the epilogue (``end`` if there is none); and whether the close delimiter was seen.
    If no delimiter is found, ``parts`` is empty and the preamble covers the whole body.
    """
    delim = b"--" + boundary
    dlen = len(delim)
    parts: list[tuple[int, int]] = []
    preamble_end = end
    part_start = -1
    i = buf.find(delim, start, end)
    while i != -1:
        if i == start or buf[i - 1] == 10:
            j = i + dlen
            closing = buf.startswith(b"--", j) and j + 2 <= end
            k = j + 2 if closing else j
            nl = buf.find(b"\n", k, end)
            line_end = end if nl == -1 else nl + 1
            # After the boundary: "--", the end of the line, or white space and text that RFC
            # 2046 says to ignore; any other character makes it a longer, different boundary.
            if closing or buf[k : min(k + 1, end)] in (b" ", b"\t", b"\r", b"\n", b""):
                # The line break before the delimiter belongs to the delimiter.
                before = i
                if i > start:
                    before = i - 2 if i - 2 >= start and buf[i - 2] == 13 else i - 1
                if part_start < 0:
                    preamble_end = before
                else:
                    parts.append((part_start, max(part_start, before)))
                if closing:
                    return parts, preamble_end, line_end, True
                part_start = line_end
                i = buf.find(delim, line_end, end)
                continue
        i = buf.find(delim, i + 1, end)
    if part_start >= 0 and (part_start < end or not parts):
        # No close delimiter: the last part runs to the end (a delimiter at the very end starts
        # no part, unless it is the only one).
        parts.append((part_start, end))
    return parts, preamble_end, end, False


def decode_base64(buf: bytes, start: int = 0, end: int | None = None) -> tuple[bytes, bool]:
    """Decode the base64 text in ``buf[start:end]``, skipping junk and repairing missing padding;
    anything after padding is junk, and a body that is not base64 (more than one byte in twenty
    before any padding outside the alphabet and line breaks) is returned as it is. Returns
    (bytes, clean)."""
    if end is None:
        end = len(buf)
    view = memoryview(buf)[start:end]
    try:
        out = binascii.a2b_base64(view)
    except binascii.Error:
        out = None
    if out is not None:
        # Junk and early padding are skipped silently by binascii: count what should have come out.
        ws = sum(buf.count(c, start, end) for c in (b"\n", b"\r", b" ", b"\t", b"="))
        if len(out) == (end - start - ws) * 3 // 4:
            return out, True
    data = bytes(view)
    kept = _B64_JUNK.sub(b"", data)
    pad = data.find(b"=")
    head = data if pad < 0 else data[:pad]
    junk = len(head) - len(_B64_JUNK.sub(b"", head)) - head.count(b"\r") - head.count(b"\n")
    if junk > 8 and junk * 20 > len(head):
        # Not base64 at all (plain text mislabelled): the body as it is.
        return data, False
    # Skip junk; padding ends the data (what follows it is junk too, as other readers agree).
    chunk = kept.split(b"=", 1)[0]
    if len(chunk) % 4 == 1:
        chunk = chunk[:-1]
    try:
        return binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)), False
    except binascii.Error:  # pragma: no cover - cleaned above
        return b"", False


def decode_quoted_printable(data: bytes | memoryview) -> tuple[bytes, bool]:
    """Decode a quoted-printable body; invalid escapes are kept as written."""
    out = binascii.a2b_qp(data)
    if b"=" in out and _QP_BAD.search(bytes(data)):
        return out, False
    return out, True


def decode_transfer(buf: bytes, start: int, end: int, encoding: str) -> tuple[bytes, str | None]:
    """Undo a Content-Transfer-Encoding on ``buf[start:end]``. Returns the bytes and a problem
    (or ``None``).

    ``7bit``, ``8bit``, ``binary`` and unknown encodings return the bytes unchanged (unknown ones
    with a problem).
    """
    if encoding == "base64":
        out, clean = decode_base64(buf, start, end)
        return out, None if clean else "base64 with junk or bad padding"
    data = buf[start:end]
    if encoding in ("quoted-printable", "x-quoted-printable"):
        out, clean = decode_quoted_printable(data)
        return out, None if clean else "invalid quoted-printable escape"
    if encoding in ("", "7bit", "8bit", "binary", "x-binary", "7-bit", "8-bit", "none"):
        return data, None
    if encoding in ("x-uuencode", "uuencode", "x-uue"):
        return _uudecode(data)
    return data, f"unknown transfer encoding {encoding!r}"


def _uudecode(data: bytes) -> tuple[bytes, str | None]:
    out: list[bytes] = []
    started = False
    for line in data.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            return b"".join(out), "invalid uuencoded line"
    return b"".join(out), None if started else "no uuencode begin line"
