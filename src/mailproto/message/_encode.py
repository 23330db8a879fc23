"""Encoding for writing messages: RFC 2047 encoded words, RFC 2231 parameters, transfer encodings.

Everything here encodes only where it must: an ASCII subject stays as it is, an ASCII file name is
a plain (or quoted) parameter, and a text part that is plain 7-bit text is sent as it is.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Literal

from ..errors import ErrorKind, LocalProtocolError

__all__ = [
    "TransferEncoding",
    "choose_transfer_encoding",
    "encode_base64",
    "encode_param",
    "encode_phrase",
    "encode_quoted_printable",
    "encode_transfer",
    "encode_unstructured",
    "encode_words",
]

TransferEncoding = Literal["7bit", "8bit", "quoted-printable", "base64"]

#: The longest an encoded word may be (RFC 2047 section 2).
MAX_WORD = 75
_CHARSET = "utf-8"
# "=?utf-8?q?" + "?=": what every encoded word spends besides its encoded text.
_OVERHEAD = len(_CHARSET) + 7
_PAYLOAD = MAX_WORD - _OVERHEAD
# The most bytes one B word may carry: 4 * ceil(n / 3) <= _PAYLOAD.
_B_BYTES = (_PAYLOAD // 4) * 3

# Bytes a Q word may carry as themselves (RFC 2047 section 5): in unstructured text any printable
# ASCII but "=", "?" and "_"; in a phrase only letters, digits and ! * + - /. Space becomes "_".
_Q_TEXT_SAFE = frozenset(b for b in range(0x21, 0x7F) if b not in b"=?_")
_Q_PHRASE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")

_LONGEST_WORD = 900
_WSP_SPLIT_RE = re.compile(r"([ \t]+)")
_LINE_BREAK_RE = re.compile(r"[\r\n]")
# A word that must be encoded even though it is ASCII: control characters, or something a reader
# could take for an encoded word.
_ASCII_NEEDS_ENCODING_RE = re.compile(r"[\x00-\x1f\x7f]|=\?")
_ATOM_RE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_UTF8_ATOM_RE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]+")
_PRINTABLE_RE = re.compile(r"[\x20-\x7e]*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _bad_value(message: str) -> LocalProtocolError:
    return LocalProtocolError(message, kind=ErrorKind.BAD_PARAMETER)


def check_no_line_breaks(text: str, what: str = "header value") -> None:
    """Refuse CR and LF in a value that goes into a header (a header injection otherwise), and
    text that has no UTF-8 form (lone surrogates)."""
    if _LINE_BREAK_RE.search(text):
        raise _bad_value(f"{what} contains a line break: {text!r}")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _bad_value(f"{what} cannot be encoded as UTF-8: {text!r}") from exc


# --------------------------------------------------------------------------------------------
# RFC 2047 encoded words


def _q_char(ch: str, safe: frozenset[int]) -> str:
    if ch == " ":
        return "_"
    data = ch.encode("utf-8")
    if len(data) == 1 and data[0] in safe:
        return ch
    return "=" + data.hex("=").upper()


def _words_q(text: str, safe: frozenset[int], first: int) -> Iterator[str]:
    pieces: list[str] = []
    size = 0
    room = first
    for ch in text:
        enc = _q_char(ch, safe)
        if pieces and size + len(enc) > room:
            yield f"=?{_CHARSET}?q?{''.join(pieces)}?="
            pieces, size, room = [], 0, _PAYLOAD
        pieces.append(enc)
        size += len(enc)
    if pieces:
        yield f"=?{_CHARSET}?q?{''.join(pieces)}?="


def _words_b(text: str, first: int) -> Iterator[str]:
    chunk = bytearray()
    room = (first // 4) * 3
    for ch in text:
        data = ch.encode("utf-8")
        if chunk and len(chunk) + len(data) > room:
            yield f"=?{_CHARSET}?b?{base64.b64encode(chunk).decode('ascii')}?="
            chunk, room = bytearray(), _B_BYTES
        chunk += data
    if chunk:
        yield f"=?{_CHARSET}?b?{base64.b64encode(chunk).decode('ascii')}?="


def encode_words(text: str, *, phrase: bool = False, first_length: int = MAX_WORD) -> list[str]:
    """*text* as a list of RFC 2047 encoded words, each at most 75 characters long.

    The Q or the B encoding is used, whichever gives the shorter result (Q on a tie, as it stays
    readable); a character is never split between two words. Written one after another with a
    space between them, the words decode back to *text* (RFC 2047 section 6.2 drops the space).

    :param phrase: restrict the Q encoding to the characters RFC 2047 section 5 (3) allows in a
        ``phrase`` (display names), instead of those allowed in unstructured text.
    :param first_length: the longest the first word may be (to fit the rest of a header's first
        line); a value too small to hold anything useful is ignored.

    >>> encode_words("Keld Jørn Simonsen", phrase=True)
    ['=?utf-8?q?Keld_J=C3=B8rn_Simonsen?=']
    """
    if not text:
        return []
    safe = _Q_PHRASE_SAFE if phrase else _Q_TEXT_SAFE
    data = text.encode("utf-8")
    q_size = len(data) + 2 * sum(1 for b in data if b not in safe and b != 0x20)
    b_size = 4 * -(-len(data) // 3)
    first = min(first_length, MAX_WORD) - _OVERHEAD
    if first < 16:
        first = _PAYLOAD
    if q_size <= b_size:
        return list(_words_q(text, safe, first))
    return list(_words_b(text, first))


def _needs_encoding(word: str, allow_utf8: bool) -> bool:
    if _ASCII_NEEDS_ENCODING_RE.search(word) is not None:
        return True
    if not word.isascii():
        return not allow_utf8 or len(word.encode("utf-8")) > _LONGEST_WORD
    # A word no line could hold (998 octets) is cut into encoded words.
    return len(word) > _LONGEST_WORD


def encode_unstructured(text: str, *, allow_utf8: bool = False, offset: int = 0) -> str:
    """An unstructured header value (``Subject``, ``X-...``) in the form it is written in.

    Words that are printable ASCII are kept as they are; runs of words that are not (non-ASCII
    unless *allow_utf8*, control characters, or text that looks like an encoded word) become
    encoded words. With *allow_utf8* (RFC 6532, the transport offers SMTPUTF8) non-ASCII text is
    written as UTF-8.

    :param offset: how many characters of the header's first line come before the value
        (``len("Subject: ")``), so that a leading encoded word is cut to fit that line.
    :raises LocalProtocolError: the text holds a CR or LF.

    >>> encode_unstructured("Hello Jürgen, how are you?")
    'Hello =?utf-8?q?J=C3=BCrgen,?= how are you?'
    """
    check_no_line_breaks(text)
    tokens = _WSP_SPLIT_RE.split(text)
    # tokens alternate word, whitespace, word, ...; words may be "" at the ends.
    out: list[str] = []
    run: list[str] = []  # the words (with the whitespace between them) of the current run
    pending_ws = ""

    def flush() -> None:
        # On the first line, the first word is cut to what is left of the 76 characters a line
        # with encoded words may have (RFC 2047 section 2).
        used = offset + sum(map(len, out))
        first = 76 - used if used < 76 and not any(o.strip() for o in out) else MAX_WORD
        out.append(" ".join(encode_words("".join(run), first_length=first)))

    for i, token in enumerate(tokens):
        if i % 2:
            pending_ws = token
            continue
        if token and _needs_encoding(token, allow_utf8):
            if run:
                run.append(pending_ws)
            else:
                out.append(pending_ws)
            run.append(token)
        else:
            if run:
                flush()
                run = []
            out.append(pending_ws)
            out.append(token)
        pending_ws = ""
    if run:
        flush()
    out.append(pending_ws)
    return "".join(out)


def encode_phrase(text: str, *, allow_utf8: bool = False) -> str:
    """A ``phrase`` (a display name, a keyword) in the form it is written in a header.

    A phrase of atoms stays as it is (``John Doe``); printable text with specials becomes a
    quoted string (``"Doe, John"``); words that are not printable ASCII (non-ASCII unless
    *allow_utf8*) or look like encoded words become encoded words, restricted to the characters
    RFC 2047 allows in a phrase. Runs of white space collapse to one space where words are encoded
    or written bare, as a reader of a phrase would collapse them anyway.

    :raises LocalProtocolError: the text holds a CR or LF.
    """
    check_no_line_breaks(text, "display name")
    if not text:
        return '""'
    atom_re = _UTF8_ATOM_RE if allow_utf8 else _ATOM_RE
    words = text.split()
    needs = [_needs_encoding(w, allow_utf8) for w in words]
    if not any(needs):
        if all(atom_re.fullmatch(w) for w in words) and text == " ".join(words):
            return text
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    out: list[str] = []
    run: list[str] = []
    for word in words:
        if atom_re.fullmatch(word) and not _needs_encoding(word, allow_utf8):
            if run:
                out.extend(encode_words(" ".join(run), phrase=True))
                run = []
            out.append(word)
        else:
            run.append(word)
    if run:
        out.extend(encode_words(" ".join(run), phrase=True))
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# RFC 2045 / RFC 2231 parameters

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
# RFC 2231 attribute-char: a token character other than "*", "'" and "%".
_ATTR_CHAR = frozenset(
    b"!#$&+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~"
)


def _quote_param(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pct_char(ch: str) -> str:
    data = ch.encode("utf-8")
    if len(data) == 1 and data[0] in _ATTR_CHAR:
        return ch
    return "%" + data.hex("%").upper()


def encode_param(name: str, value: str, *, allow_utf8: bool = False, width: int = 78) -> list[str]:
    """A MIME parameter as the ``attribute=value`` pieces to write after ``;`` separators.

    An ASCII value is a token or a quoted string; a value that is not printable ASCII (non-ASCII
    unless *allow_utf8*, which RFC 6532 lets stay in a quoted string) uses the RFC 2231 extended
    form ``name*=utf-8''...``. When one piece would not fit on a folded line of *width*
    characters (`` name=value;``), the value is split into RFC 2231 continuations ``name*0``,
    ``name*1``, ... never inside a character.

    >>> encode_param("filename", "résumé.pdf")
    ["filename*=utf-8''r%C3%A9sum%C3%A9.pdf"]
    """
    if not _TOKEN_RE.fullmatch(name):
        raise _bad_value(f"bad MIME parameter name {name!r}")
    printable = _PRINTABLE_RE.fullmatch(value) is not None or (
        allow_utf8
        and not value.isascii()
        and _CONTROL_RE.search(value) is None
        and "\t" not in value
    )
    room = width - 2  # the leading space of a folded line and the ";" after the piece
    if printable:
        # Bare only with RFC 2231 attribute-chars: readers stumble on a bare "'", "*" or "%".
        bare = value and all(ord(c) < 128 and ord(c) in _ATTR_CHAR for c in value)
        single = value if bare else _quote_param(value)
        piece = f"{name}={single}"
        if len(piece.encode("utf-8")) <= room:
            return [piece]
        return _continuations(name, list(value), extended=False, room=room)
    encoded = [_pct_char(ch) for ch in value]
    piece = f"{name}*={_CHARSET}''{''.join(encoded)}"
    if len(piece) <= room:
        return [piece]
    return _continuations(name, encoded, extended=True, room=room)


def _continuations(name: str, units: list[str], *, extended: bool, room: int) -> list[str]:
    """Split *units* (characters, or their %-encodings) into numbered RFC 2231 sections."""
    pieces: list[str] = []
    chunk: list[str] = []
    size = 0

    def head(n: int) -> str:
        if extended:
            return f"{name}*{n}*=" + (f"{_CHARSET}''" if n == 0 else "")
        return f'{name}*{n}="'

    def flush() -> None:
        text = "".join(chunk)
        pieces.append(head(len(pieces)) + text + ("" if extended else '"'))

    for unit in units:
        if not extended:
            unit = unit.replace("\\", "\\\\").replace('"', '\\"')
        cost = len(unit.encode("utf-8"))
        limit = room - len(head(len(pieces))) - (0 if extended else 1)
        if chunk and size + cost > limit:
            flush()
            chunk, size = [], 0
        chunk.append(unit)
        size += cost
    if chunk or not pieces:
        flush()
    return pieces


# --------------------------------------------------------------------------------------------
# Transfer encodings (RFC 2045 section 6)

_QP_UNSAFE_RE = re.compile(rb"[^\x21-\x3c\x3e-\x7e \t]+")
_QP_SAFE = bytes(b for b in range(256) if 0x21 <= b <= 0x7E and b != 0x3D) + b" \t"


def _qp_escape(match: re.Match[bytes]) -> bytes:
    return b"=" + match[0].hex("=").upper().encode("ascii")


def encode_quoted_printable(data: bytes, *, line_length: int = 76) -> bytes:
    """Quoted-printable encoding of text whose line breaks are CRLF, with CRLF line endings.

    CRLF pairs stay hard line breaks; a lone CR or LF is encoded (``=0D``, ``=0A``). White space
    at the end of a line is encoded, ``=`` and bytes that are not printable ASCII become ``=XX``,
    and lines longer than *line_length* get soft breaks (``=`` at the end), never inside an
    ``=XX``. The result ends with CRLF: a soft break when *data* does not end with one.
    """
    if not data:
        return b""
    out: list[bytes] = []
    lines = data.split(b"\r\n")
    # Without a final CRLF the last line ends with a soft break, so nothing is added.
    last_soft = lines[-1] != b""
    if not last_soft:
        lines.pop()
    for index, line in enumerate(lines):
        line = _QP_UNSAFE_RE.sub(_qp_escape, line)
        if line and line[-1] in b" \t":
            line = line[:-1] + (b"=20" if line[-1] == 0x20 else b"=09")
        soft = last_soft and index == len(lines) - 1
        while len(line) > line_length - soft:
            cut = line_length - 1
            if line[cut - 1] == 0x3D:
                cut -= 1
            elif line[cut - 2] == 0x3D:
                cut -= 2
            out.append(line[:cut] + b"=")
            line = line[cut:]
        out.append(line + b"=" if soft else line)
    out.append(b"")
    return b"\r\n".join(out)


def encode_base64(data: bytes, *, line_length: int = 76) -> bytes:
    """Base64 in lines of *line_length* characters (76, RFC 2045), each ended by CRLF."""
    encoded = base64.b64encode(data)
    if not encoded:
        return b""
    lines = [encoded[i : i + line_length] for i in range(0, len(encoded), line_length)]
    lines.append(b"")
    return b"\r\n".join(lines)


def is_line_clean(data: bytes) -> bool:
    """No NUL, no bare CR or LF, no line over 998 octets."""
    if b"\0" in data:
        return False
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        return False
    return max(map(len, data.split(b"\r\n"))) <= 998


def choose_transfer_encoding(
    data: bytes, *, text: bool = True, allow_8bit: bool = False
) -> TransferEncoding:
    """The Content-Transfer-Encoding a part with this content should be sent with.

    ``7bit`` for ASCII in CRLF lines of at most 998 octets, without NUL; for text, ``8bit`` for
    the same with non-ASCII bytes when *allow_8bit* (the transport offers 8BITMIME), otherwise
    ``quoted-printable`` or ``base64``, whichever is shorter; ``base64`` for anything else.

    :param text: the content is text (whose CRLF line breaks quoted-printable can keep).
    """
    clean = is_line_clean(data)
    if clean and data.isascii():
        return "7bit"
    if not text:
        return "base64"
    if clean and allow_8bit:
        return "8bit"
    unsafe = len(data.translate(None, _QP_SAFE)) - data.count(b"\r\n") * 2
    qp_size = len(data) + 2 * unsafe
    b64_size = 4 * -(-len(data) // 3)
    return "quoted-printable" if qp_size <= b64_size else "base64"


def encode_transfer(data: bytes, encoding: TransferEncoding) -> bytes:
    """*data* in the given transfer encoding (``7bit``/``8bit`` leave it as it is)."""
    if encoding == "base64":
        return encode_base64(data)
    if encoding == "quoted-printable":
        return encode_quoted_printable(data)
    return data
