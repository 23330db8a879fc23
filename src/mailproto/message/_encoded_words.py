"""RFC 2047 encoded words, charsets, and decoding header bytes to text.

Real mailers emit many malformed encoded words; this module decodes the common forms rather than
showing them raw: encoded words glued to other text, a multi-byte character split across two
adjacent encoded words, base64 with missing padding, spaces inside Q text, lowercase encodings,
RFC 2231 language suffixes (``=?utf-8*en?q?...?=``) and unknown charsets (decoded with a fallback).
Nothing here raises on input.
"""

from __future__ import annotations

import binascii
import codecs
import re

__all__ = [
    "decode_bytes",
    "decode_encoded_words",
    "decode_header_bytes",
    "lookup_charset",
]

# Charset labels seen in real mail that Python does not know, or knows under a narrower meaning.
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "default": "",
    "x-user-defined": "",
    "8bit": "",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-8-e": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-6-e": "iso8859_6",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "x-euc-tw": "big5",
    "big5": "big5hkscs",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "utf8": "utf-8",
    "utf-7": "utf-7",
    "unicode-1-1-utf-7": "utf-7",
    "x-utf-8": "utf-8",
}

# Python codecs that are no MIME charsets and must not decode mail text.
_NOT_CHARSETS = frozenset(
    {
        "base64", "hex", "quopri", "uu", "bz2", "zlib", "rot-13", "idna", "punycode",
        "undefined", "unicode-escape", "raw-unicode-escape", "escape", "mbcs", "oem",
    }
)  # fmt: skip

_charset_cache: dict[str, str | None] = {}


def lookup_charset(label: str) -> str | None:
    """The Python codec name for a MIME charset label, or ``None`` if it is unknown.

    Labels are matched case-insensitively; an RFC 2231 language suffix (``utf-8*en``) is ignored,
    and common labels Python lacks (``ks_c_5601-1987``, ``iso-8859-8-i``, ``unknown-8bit``, ...) are
    mapped to the charset mailers mean by them (``unknown-8bit`` maps to ``None``).
    """
    try:
        return _charset_cache[label]
    except KeyError:
        pass
    key = label.strip().strip("\"'").split("*", 1)[0].lower()
    found: str | None
    if key in _ALIASES:
        found = _ALIASES[key] or None
    else:
        try:
            found = codecs.lookup(key).name
        except (LookupError, ValueError):
            try:
                found = codecs.lookup(key.replace("_", "-")).name
            except (LookupError, ValueError):
                found = None
    # Codecs that are not text encodings must not be used to decode text.
    if found is not None and found in _NOT_CHARSETS:
        found = None
    if len(_charset_cache) < 4096:
        _charset_cache[label] = found
    return found


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode ``data`` in ``charset``, never raising.

    Returns the text and whether it was clean: ``False`` if the charset is unknown or the bytes were
    not valid in it. Unknown charsets try UTF-8 and then windows-1252; invalid bytes in a known
    charset become U+FFFD, except that US-ASCII text holding 8-bit bytes is read as UTF-8 or
    windows-1252 (mailers often label 8-bit text as US-ASCII).
    """
    codec = lookup_charset(charset) if charset else None
    if codec is not None and codec != "ascii":
        try:
            return data.decode(codec), True
        except (UnicodeError, LookupError, ValueError):
            pass
        try:
            return data.decode(codec, "replace"), False
        except (UnicodeError, LookupError, ValueError):  # pragma: no cover - defensive
            pass
    if codec == "ascii" and data.isascii():
        return data.decode("ascii"), True
    # No charset, an unknown one, US-ASCII holding 8-bit bytes, or a codec that failed.
    clean = not charset
    try:
        return data.decode("utf-8"), clean
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace").replace("\ufffd", "?"), False


def decode_header_bytes(data: bytes) -> tuple[str, bool]:
    """Header bytes to text: ASCII or UTF-8 (RFC 6532), else windows-1252; returns (text, clean)."""
    if data.isascii():
        return data.decode("ascii"), True
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace"), False


# An encoded word, leniently: the charset may carry a language, the text may hold spaces
# (a common mailer bug) but no "?=" and no line break.
_EW = re.compile(r"=\?([^?\s\"]{1,80})\?([QqBb])\?([^?\r\n]*?)\?=", re.ASCII)
_WS_ONLY = re.compile(r"[ \t\r\n]*\Z")
# What may stand right before or after an encoded word without a defect. White space is ASCII
# only: in raw mode 0x85 and 0xA0 are bytes of UTF-8 text, not white space. In a structured
# field (an address list, Keywords) an encoded word is a word of a phrase, which the specials
# around it delimit as well (RFC 2047 section 5 (3)): "=?utf-8?q?x?=, b@example.com".
_WSP = " \t\r\n"
_STRUCTURED_DELIMS = _WSP + ",;:<>()@"
# Line breaks an encoded word decoded to: a header value never holds one.
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def _b64(text: str) -> tuple[bytes, bool]:
    raw = text.encode("latin-1", "ignore")
    clean = True
    stripped = raw.rstrip(b"=")
    if _B64_JUNK.search(stripped):
        stripped = _B64_JUNK.sub(b"", stripped)
        clean = False
    rem = len(stripped) % 4
    if rem == 1:
        stripped = stripped[:-1]
        clean = False
    elif rem and len(raw) - len(stripped) != 4 - rem:
        clean = False
    padded = stripped + b"=" * (-len(stripped) % 4)
    try:
        return binascii.a2b_base64(padded), clean
    except binascii.Error:  # pragma: no cover - the input was cleaned above
        return b"", False


def _q(text: str, raw: bool) -> bytes:
    data = text.encode("latin-1" if raw else "utf-8")
    return binascii.a2b_qp(data, header=True)


def _plain(text: str, raw: bool, problems: list[str]) -> str:
    """Text outside encoded words; in raw mode it holds bytes as latin-1 code points."""
    if not raw or text.isascii():
        return text
    decoded, clean = decode_header_bytes(text.encode("latin-1"))
    if not clean:
        problems.append("8-bit text that is not UTF-8")
    return decoded


def decode_encoded_words(text: str) -> str:
    """Decode every RFC 2047 encoded word in ``text`` (an unstructured header value).

    The result holds no line break: a folded ``text`` is unfolded, and a CR or LF that an encoded
    word decodes to becomes a space.

    White space between adjacent encoded words is dropped, as RFC 2047 says, and adjacent words in
    the same charset are joined before decoding so a character split between them survives.

    >>> decode_encoded_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=")
    'Keld Jørn Simonsen'
    >>> decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=")
    'ab'
    """
    return decode_encoded_words_ex(text)[0]


def decode_encoded_words_ex(
    text: str, raw: bool = False, structured: bool = False
) -> tuple[str, list[str]]:
    """Like :func:`decode_encoded_words`, also returning descriptions of what was malformed.

    With ``raw``, ``text`` holds header bytes as latin-1 code points: 8-bit bytes inside an
    encoded word are then read in the word's charset, and those outside as UTF-8 (else
    windows-1252). With ``structured``, ``text`` is (part of) a structured field such as an
    address list, where a special (``,;:<>()@``) next to an encoded word delimits it as white
    space does. A CR or LF an encoded word decodes to becomes a space (a CRLF pair one space).
    """
    delims = _STRUCTURED_DELIMS if structured else _WSP
    problems: list[str] = []
    if not raw and ("\n" in text or "\r" in text):
        # Folded text (the raw form comes unfolded from the header block).
        text = _LINE_BREAK.sub(" ", _FOLD.sub("", text))
    if "=?" not in text:
        return _plain(text, raw, problems), problems
    out: list[str] = []
    pos = 0
    # Pending run of adjacent encoded words in one charset: (charset, bytes).
    run_charset: str | None = None
    run: list[bytes] = []

    def flush() -> None:
        nonlocal run_charset
        if run:
            decoded, clean = decode_bytes(b"".join(run), run_charset)
            if not clean:
                if run_charset and lookup_charset(run_charset) is None:
                    problems.append(f"unknown charset {run_charset!r} in an encoded word")
                else:
                    problems.append(f"encoded word not valid in charset {run_charset!r}")
            if "\r" in decoded or "\n" in decoded:
                decoded = _LINE_BREAK.sub(" ", decoded)
            out.append(decoded)
            run.clear()
        run_charset = None

    last_was_ew = False
    for m in _EW.finditer(text):
        start, end = m.span()
        between = text[pos:start]
        if last_was_ew and _WS_ONLY.match(between):
            between = ""
        else:
            flush()
            if between and between[-1] not in delims:
                problems.append("encoded word not preceded by white space")
        if between:
            out.append(_plain(between, raw, problems))
        charset, enc, payload = m.group(1), m.group(2), m.group(3)
        charset = charset.split("*", 1)[0]
        if enc in "Bb":
            data, clean = _b64(payload)
            if not clean:
                problems.append("bad base64 in an encoded word")
        else:
            if " " in payload:
                problems.append("white space inside an encoded word")
            data = _q(payload, raw)
        if run and charset.lower() != (run_charset or "").lower():
            flush()
        run_charset = charset
        run.append(data)
        pos = end
        last_was_ew = True
    flush()
    rest = text[pos:]
    if rest and pos and rest[0] not in delims:
        problems.append("encoded word not followed by white space")
    out.append(_plain(rest, raw, problems))
    return "".join(out), problems
