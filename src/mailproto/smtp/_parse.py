"""Bytes to events: SMTP command lines (what a server reads) and reply lines (what a client reads).

Parsing never decodes peer bytes with a codec that can fail unnoticed: command lines are decoded
as UTF-8 (needed for SMTPUTF8 addresses) and a failure becomes a :class:`RemoteProtocolError`
carrying the reply the server should send; reply text, which is only shown to people, is decoded
with ``surrogateescape`` so that no byte is lost and serialising gives the same bytes back.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Final, cast

from ..errors import ErrorKind, RemoteProtocolError
from ._events import (
    Auth,
    Bdat,
    Command,
    Data,
    Expand,
    Hello,
    HelloCommand,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    StartTLSCommand,
    Verify,
)

__all__ = [
    "MAILBOX_RE",
    "REPLY_CODES",
    "ParamError",
    "decode_base64",
    "parse_command",
    "parse_ehlo_keywords",
    "parse_params",
    "parse_reply_line",
    "quick_reply",
    "reply_from_lines",
    "reply_line_code",
    "syntax_error",
]

# -- the RFC 5321 / 6531 address grammar, on str (non-ASCII is checked separately) --------------

_UTF8_NON_ASCII: Final = "\u0080-\U0010ffff"
_ATEXT: Final = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-{_UTF8_NON_ASCII}]"
_DOT_STRING: Final = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED_STRING: Final = rf'"(?:[\x20\x21\x23-\x5b\x5d-\x7e{_UTF8_NON_ASCII}]|\\[\x20-\x7e])*"'
_LETDIG: Final = rf"[A-Za-z0-9{_UTF8_NON_ASCII}]"
_SUB_DOMAIN: Final = rf"{_LETDIG}(?:[A-Za-z0-9\-{_UTF8_NON_ASCII}]*{_LETDIG})?"
_DOMAIN: Final = rf"{_SUB_DOMAIN}(?:\.{_SUB_DOMAIN})*"
_ADDRESS_LITERAL: Final = r"\[[\x21-\x5a\x5e-\x7e]+\]"
_MAILBOX: Final = rf"(?:{_DOT_STRING}|{_QUOTED_STRING})@(?:{_DOMAIN}|{_ADDRESS_LITERAL})"
_ADL: Final = rf"@{_DOMAIN}(?:,@{_DOMAIN})*:"

#: A mailbox (``local-part@domain``) as RFC 5321 and RFC 6531 allow it.
MAILBOX_RE: Final = re.compile(_MAILBOX)
_DOMAIN_RE: Final = re.compile(rf"(?:{_DOMAIN}|{_ADDRESS_LITERAL})")

# "FROM:" / "TO:", an optional space (common, though not in the grammar), the path, the rest.
_MAIL_RE: Final = re.compile(rf"FROM: ?<(?:(?:{_ADL})?({_MAILBOX}))?>(.*)", re.IGNORECASE)
_RCPT_RE: Final = re.compile(rf"TO: ?<(?:(?:{_ADL})?({_MAILBOX})|(postmaster))>(.*)", re.IGNORECASE)
_KEYWORD_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
_VALUE_RE: Final = re.compile(rf"[\x21-\x3c\x3e-\x7e{_UTF8_NON_ASCII}]+")
_BDAT_RE: Final = re.compile(r"([0-9]{1,18})(?: +(LAST))? *", re.IGNORECASE)
_MECHANISM_RE: Final = re.compile(r"[A-Z0-9\-_]{1,20}")

_REPLY_RE: Final = re.compile(rb"([2-5][0-5][0-9])(?:([ -])(.*))?", re.DOTALL)
_ENHANCED_RE: Final = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |$)")


def syntax_error(
    message: str,
    code: int = 500,
    enhanced: str = "5.5.2",
    text: str = "Syntax error, command unrecognized",
    kind: ErrorKind = ErrorKind.SYNTAX,
) -> RemoteProtocolError:
    """A RemoteProtocolError carrying the reply a server sends for it."""
    return RemoteProtocolError(message, kind=kind, reply=Reply(code, (text,), enhanced))


class ParamError(Exception):
    """An ESMTP parameter list is malformed (turned into a 501 by the caller)."""


def parse_params(text: str) -> dict[str, str | None]:
    """Parse ``KEY=value KEY2`` into a dict with upper-cased keys; raise ParamError if bad."""
    params: dict[str, str | None] = {}
    for item in text.split():
        key, eq, value = item.partition("=")
        if not _KEYWORD_RE.fullmatch(key):
            raise ParamError(f"bad parameter keyword {key!r}")
        if eq:
            if not _VALUE_RE.fullmatch(value):
                raise ParamError(f"bad value for parameter {key}")
            params[key.upper()] = value
        else:
            params[key.upper()] = None
    return params


def _path_and_params(
    match: re.Match[str] | None, what: str, rest_group: int
) -> tuple[str, dict[str, str | None]]:
    if match is None:
        raise syntax_error(
            f"malformed {what} command",
            501,
            "5.5.4",
            f"Syntax error in {what} address",
            ErrorKind.BAD_PARAMETER,
        )
    rest = match.group(rest_group)
    if rest and rest[0] != " ":
        raise syntax_error(
            f"malformed {what} command",
            501,
            "5.5.4",
            f"Syntax error in {what} address",
            ErrorKind.BAD_PARAMETER,
        )
    try:
        params = parse_params(rest) if rest else {}
    except ParamError as exc:
        raise syntax_error(
            str(exc), 501, "5.5.4", "Syntax error in parameters", ErrorKind.BAD_PARAMETER
        ) from None
    return match.group(1) or "", params


def _parse_mail(arg: str) -> Command:
    path, params = _path_and_params(_MAIL_RE.fullmatch(arg.rstrip(" ")), "MAIL", 2)
    return MailFrom(path, params)


def _parse_rcpt(arg: str) -> Command:
    match = _RCPT_RE.fullmatch(arg.rstrip(" "))
    path, params = _path_and_params(match, "RCPT", 3)
    if match is not None and match.group(2):
        path = match.group(2)
    return RcptTo(path, params)


def _parse_hello(verb: str) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        arg = arg.strip(" ")
        if not arg or " " in arg:
            raise syntax_error(
                f"{verb} needs one argument",
                501,
                "5.5.4",
                f"Syntax: {verb} hostname",
                ErrorKind.BAD_PARAMETER,
            )
        return Hello(cast(HelloCommand, verb), arg)

    return parse


def _no_argument(event: Command, verb: str) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        if arg.strip(" "):
            raise syntax_error(
                f"{verb} takes no argument",
                501,
                "5.5.4",
                f"Syntax: {verb}",
                ErrorKind.BAD_PARAMETER,
            )
        return event

    return parse


def _needs_argument(cls: type[Verify] | type[Expand], verb: str) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        if not arg.strip(" "):
            raise syntax_error(
                f"{verb} needs an argument",
                501,
                "5.5.4",
                f"Syntax: {verb} string",
                ErrorKind.BAD_PARAMETER,
            )
        return cls(arg)

    return parse


def _parse_bdat(arg: str) -> Command:
    match = _BDAT_RE.fullmatch(arg.strip(" "))
    if match is None:
        raise syntax_error(
            "malformed BDAT command",
            501,
            "5.5.4",
            "Syntax: BDAT size [LAST]",
            ErrorKind.BAD_PARAMETER,
        )
    return Bdat(int(match.group(1)), match.group(2) is not None)


def decode_base64(text: str | bytes) -> bytes:
    """Strict base64 (RFC 4648) as SASL uses it; ``=`` alone is the empty string."""
    if text in ("=", b"="):
        return b""
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise syntax_error(
            "malformed base64", 501, "5.5.2", "Cannot decode base64", ErrorKind.AUTHENTICATION
        ) from None


def _parse_auth(arg: str) -> Command:
    parts = arg.split()
    if not 1 <= len(parts) <= 2 or not _MECHANISM_RE.fullmatch(parts[0].upper()):
        raise syntax_error(
            "malformed AUTH command",
            501,
            "5.5.4",
            "Syntax: AUTH mechanism [initial-response]",
            ErrorKind.BAD_PARAMETER,
        )
    initial = decode_base64(parts[1]) if len(parts) == 2 else None
    return Auth(parts[0].upper(), initial)


_COMMANDS: Final[dict[bytes, Callable[[str], Command]]] = {
    b"EHLO": _parse_hello("EHLO"),
    b"HELO": _parse_hello("HELO"),
    b"LHLO": _parse_hello("LHLO"),
    b"MAIL": _parse_mail,
    b"RCPT": _parse_rcpt,
    b"DATA": _no_argument(Data(), "DATA"),
    b"BDAT": _parse_bdat,
    b"RSET": _no_argument(Reset(), "RSET"),
    b"VRFY": _needs_argument(Verify, "VRFY"),
    b"EXPN": _needs_argument(Expand, "EXPN"),
    b"HELP": lambda arg: Help(arg.strip(" ")),
    b"NOOP": lambda arg: Noop(arg.strip(" ")),
    b"QUIT": _no_argument(Quit(), "QUIT"),
    b"STARTTLS": _no_argument(StartTLSCommand(), "STARTTLS"),
    b"AUTH": _parse_auth,
}

#: Known commands this implementation does not offer: 502 rather than 500.
_NOT_IMPLEMENTED: Final = frozenset({b"TURN", b"ETRN", b"ATRN", b"SEND", b"SOML", b"SAML"})

_NOOP: Final = Noop()
_QUIT: Final = Quit()
_RSET: Final = Reset()
_DATA: Final = Data()
_FAST: Final[dict[bytes, Command]] = {
    b"NOOP": _NOOP,
    b"noop": _NOOP,
    b"QUIT": _QUIT,
    b"quit": _QUIT,
    b"RSET": _RSET,
    b"rset": _RSET,
    b"DATA": _DATA,
    b"data": _DATA,
}


def parse_command(line: bytes) -> Command:
    """Parse one command line (without its CRLF) into a command event.

    :raises RemoteProtocolError: with :attr:`~mailproto.errors.ProtocolError.reply` set to the
        reply the server should send (500, 501, 502).
    """
    fast = _FAST.get(line)
    if fast is not None:
        return fast
    verb, _, rest = line.partition(b" ")
    verb = verb.upper()
    parser = _COMMANDS.get(verb)
    if parser is None:
        if verb in _NOT_IMPLEMENTED:
            raise syntax_error(
                "command not implemented",
                502,
                "5.5.1",
                "Command not implemented",
                ErrorKind.UNKNOWN_COMMAND,
            )
        raise syntax_error("unknown command", kind=ErrorKind.UNKNOWN_COMMAND)
    try:
        arg = rest.decode("utf-8")
    except UnicodeDecodeError:
        raise syntax_error(
            "command argument is not valid UTF-8",
            500,
            "5.5.2",
            "Syntax error, invalid characters",
        ) from None
    if "\r" in arg or "\x00" in arg:
        raise syntax_error("control character in command", 500, "5.5.2", "Syntax error")
    return parser(arg)


def parse_reply_line(line: bytes) -> tuple[int, bool, str]:
    """Split one reply line into (code, is_last, text).

    :raises RemoteProtocolError: if the line is not ``NNN[ text]`` or ``NNN-text``.
    """
    match = _REPLY_RE.fullmatch(line)
    if match is None:
        raise RemoteProtocolError(
            f"malformed reply line {bytes(line[:40])!r}", kind=ErrorKind.SYNTAX, fatal=True
        )
    sep = match.group(2)
    text = match.group(3) or b""
    return (
        int(match.group(1)),
        sep != b"-",
        text.decode("utf-8", "surrogateescape"),
    )


#: The reply codes RFC 5321's grammar allows (2xx to 5xx, second digit 0 to 5), as bytes.
REPLY_CODES: Final = {b"%d" % code: code for code in range(200, 560) if code % 100 < 60}


def reply_line_code(line: bytes) -> tuple[int, bool]:
    """The (code, is_last) of one reply line, as :func:`parse_reply_line` without the text.

    :raises RemoteProtocolError: if the line is not ``NNN[ text]`` or ``NNN-text``.
    """
    code = REPLY_CODES.get(line[:3])
    if code is not None:
        separator = line[3:4]
        if separator == b"-":
            return code, False
        if separator == b" " or len(line) == 3:
            return code, True
    match = _REPLY_RE.fullmatch(line)
    if match is None:
        raise RemoteProtocolError(
            f"malformed reply line {bytes(line[:40])!r}", kind=ErrorKind.SYNTAX, fatal=True
        )
    return int(match.group(1)), match.group(2) != b"-"


def build_reply(code: int, texts: list[str]) -> Reply:
    """Build a :class:`Reply`, taking out an enhanced status code written on every line."""
    first = texts[0]
    if first[:1].isdigit():
        match = _ENHANCED_RE.match(first)
        if match is not None and int(match.group(1)) == code // 100:
            status = first[: match.end()].rstrip(" ")
            prefix = status + " "
            cut = len(prefix)
            if len(texts) == 1:
                return Reply(code, (first[cut:],), status)
            stripped = [t[cut:] for t in texts if t[:cut] == prefix]
            if len(stripped) == len(texts):
                return Reply(code, tuple(stripped), status)
            if all(t == status or t.startswith(prefix) for t in texts):
                return Reply(code, tuple(t[cut:] for t in texts), status)
    return Reply(code, tuple(texts), None)


_ENHANCED_FIRST_RE: Final = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |(?=\n)|\Z)")


def quick_reply(code: int, raw: list[bytes]) -> Reply | None:
    """:func:`reply_from_lines` for the usual multi-line reply, or ``None`` for another.

    The usual reply has an enhanced status code on every line, and all lines but the last
    begin with the first line's code, its ``-`` and its enhanced status: that is checked here
    (so the lines but the last need not have been checked), and the codes and status are cut
    out with one replace. The last line must have been checked by the caller.
    """
    count = len(raw)
    if count < 2:
        return None
    head = b"\n".join(raw[:-1]).decode("utf-8", "surrogateescape")
    match = _ENHANCED_FIRST_RE.match(head, 4)
    # The status's class must be the code's: compare the first digits of both.
    if match is None or ord(head[4]) != raw[0][0] or head[3:4] != "-":
        return None
    end = match.end()
    # "250-2.0.0 "; when the first line is the status alone, the other lines decide.
    lead = head[:end] if head[end - 1 : end] == " " else head[:end] + " "
    # Splitting at each line start that repeats the lead both checks every line and cuts.
    texts = head[len(lead) :].split("\n" + lead) if head.startswith(lead) else []
    if len(texts) != count - 1:
        return None
    prefix = lead[4:]
    last = raw[-1][4:].decode("utf-8", "surrogateescape")
    if not last.startswith(prefix):
        return None
    texts.append(last[len(prefix) :])
    return Reply(code, tuple(texts), prefix[:-1])


def reply_from_lines(code: int, raw: list[bytes]) -> Reply:
    """Build the :class:`Reply` for a complete reply from its raw lines (without line endings).

    Every line but the last begins ``NNN-`` and the last ``NNN`` (then nothing, or a space and
    the text), all with ``code``: the caller has checked that line by line. The same as
    :func:`build_reply` over the lines' texts, but the texts are cut out, decoded and searched
    for an enhanced status code all at once, over the lines joined with LF (which never occurs
    inside a line, nor within a UTF-8 sequence).
    """
    if len(raw) == 1:
        joined = raw[0][4:]
    else:
        quick = quick_reply(code, raw)
        if quick is not None:
            return quick
        head = b"\n".join(raw[:-1])[4:]
        if len(raw) > 2:
            head = head.replace(b"\n" + raw[0][:4], b"\n")
        joined = head + b"\n" + raw[-1][4:]
    text = joined.decode("utf-8", "surrogateescape")
    if text[:1].isdigit():
        match = _ENHANCED_FIRST_RE.match(text)
        if match is not None and int(match.group(1)) == code // 100:
            status = text[: match.end()].rstrip(" ")
            prefix = status + " "
            cut = len(prefix)
            breaks = text.count("\n")
            if not breaks:
                return Reply(code, (text[cut:],), status)
            if text.startswith(prefix) and text.count("\n" + prefix) == breaks:
                return Reply(
                    code, tuple(text[cut:].replace("\n" + prefix, "\n").split("\n")), status
                )
            texts = text.split("\n")
            if all(t == status or t.startswith(prefix) for t in texts):
                return Reply(code, tuple(t[cut:] for t in texts), status)
            return Reply(code, tuple(texts), None)
    return Reply(code, tuple(text.split("\n")), None)


def parse_ehlo_keywords(reply: Reply) -> dict[str, str]:
    """The extensions an EHLO/LHLO reply offers: keyword (upper-cased) to its parameters."""
    extensions: dict[str, str] = {}
    for line in reply.lines[1:]:
        keyword, _, params = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword.startswith("AUTH="):
            # The pre-standard form some servers still send beside (or instead of) AUTH.
            legacy = " ".join([keyword[5:], params.strip()]).strip()
            extensions.setdefault("AUTH", legacy)
        elif keyword:
            extensions[keyword] = params.strip()
    return extensions


def is_domain(text: str) -> bool:
    """Whether ``text`` is a domain or an address literal."""
    return _DOMAIN_RE.fullmatch(text) is not None


#: A byte that is not ASCII.
_NON_ASCII: Final = re.compile(rb"[\x80-\xff]")
#: The reply codes, as text.
_TEXT_CODES: Final = {key.decode(): code for key, code in REPLY_CODES.items()}
#: The start of a reply line with an enhanced status code, "250-2.1.0 " (the status's
#: class is checked against the code's separately).
_LEAD_STATUS: Final = re.compile(r"[2-5][0-5][0-9]-([245]\.[0-9]{1,3}\.[0-9]{1,3}) ")
#: Such starts seen before: the code, the status, the start itself and how the last line
#: begins (after the CRLF before it).
_LEADS: dict[str, tuple[int, str, str, str]] = {}


def _too_long(raw: bytes, limit: int) -> bool:
    """Whether one of the CRLF-separated lines is longer than ``limit``."""
    return max(map(len, raw.split(b"\r\n"))) > limit


def parse_plain_replies(
    blob: bytes, limit: int, max_length: int, max_lines: int, cache: dict[str, Reply]
) -> tuple[list[Reply], list[int]]:
    """Parse up to ``limit`` whole replies from the start of ``blob``, while they are plain.

    A plain reply is one :func:`reply_from_lines` and the client's line checks take without
    complaint: ASCII, a known code, lines ending in CRLF and within ``max_length``, and for a
    multi-line reply (fewer than ``max_lines`` lines), every line but the last beginning with
    the first line's code and ``-`` and the last with the code and a space. Then the lines
    are exactly the text between the CRLFs, so a reply's end is found, its lines checked and
    its texts cut out with a few scans, not a step per line. Parsing stops before the first
    reply that is not plain or not complete; the caller reads that one the general way.

    Returns the replies in order and where each one's bytes end (after a leading ``0``).
    ``cache`` maps single-line reply texts to their replies, and is filled as they are met.
    """
    if not blob.isascii():
        other = _NON_ASCII.search(blob)
        blob = blob[: other.start()] if other is not None else blob
    text = blob.decode("ascii")  # so offsets in the text are offsets in the bytes
    codes = _TEXT_CODES
    leads = _LEADS
    replies: list[Reply] = []
    ends: list[int] = [0]  # where each reply's bytes end (and the next one's begin)
    pos = 0
    while len(replies) < limit:
        # The usual multi-line reply: the same "NNN-x.y.z " begins every line. Its start
        # is most often one seen before.
        known = leads.get(text[pos : pos + 10])
        if known is None:
            found = codes.get(text[pos : pos + 3])
            if found is None:
                break
            code = found
            if text[pos + 3 : pos + 4] == "-":
                match = _LEAD_STATUS.match(text, pos)
                if match is not None and text[pos + 4] == text[pos]:
                    lead = match.group()
                    known = (code, match.group(1), lead, f"\r\n{lead[:3]} {lead[4:]}")
                    if len(leads) < 256:
                        leads[lead] = known
        if known is not None:
            code, status, lead, final = known
            last = text.find(final, pos)
            if last < 0:
                break
            end = text.find("\n", last + 2)
            texts = text[pos + len(lead) : last].split("\r\n" + lead)
            if (
                end < 0
                or text[end - 1] != "\r"
                or text.count("\n", pos, last) != len(texts) - 1
                or len(texts) >= max_lines
            ):
                break  # unfinished, a line that does not continue it, too many lines
            if end - pos > max_length and _too_long(blob[pos : end - 1], max_length):
                break
            texts.append(text[last + len(final) : end - 1])
            reply = Reply(code, tuple(texts), status)
        elif text[pos + 3 : pos + 4] == "-":
            last = text.find(f"\r\n{text[pos : pos + 3]} ", pos)
            end = text.find("\n", last + 2) if last >= 0 else -1
            breaks = text.count("\n", pos, last)
            if (
                end < 0
                or text[end - 1] != "\r"
                or text.count(f"\n{text[pos : pos + 4]}", pos, last) != breaks
                or text.count("\r\n", pos, end + 1) != breaks + 2
                or breaks + 2 > max_lines
            ):
                break
            raw = blob[pos : end - 1]
            if end - pos > max_length and _too_long(raw, max_length):
                break
            reply = reply_from_lines(code, raw.split(b"\r\n"))
        else:
            end = text.find("\n", pos + 3)
            if (
                end < 0
                or text[end - 1] != "\r"
                or (text[pos + 3] != " " and end != pos + 4)
                or end - 1 - pos > max_length
            ):
                break
            line = text[pos : end - 1]
            cached = cache.get(line)
            if cached is None:
                reply = reply_from_lines(code, [blob[pos : end - 1]])
                if len(cache) < 64:
                    cache[line] = reply
            else:
                reply = cached
        replies.append(reply)
        pos = end + 1
        ends.append(pos)
    return replies, ends
