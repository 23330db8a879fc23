"""Bytes to POP3 events: command lines (server side) and reply lines (client side).

Every function takes one line without its line ending. A server-side syntax problem raises
:class:`~mailproto.errors.RemoteProtocolError` whose ``reply`` is the ``-ERR`` to send; a
client-side one raises it with a message naming what the server got wrong.
"""

from __future__ import annotations

import re
from typing import Final

from ..errors import ErrorKind, RemoteProtocolError, SASLError
from ..sasl import SASLCancelled, Secret, decode_sasl
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthResponse,
    Capa,
    Capability,
    Command,
    Dele,
    Err,
    Greeting,
    Lang,
    List,
    Noop,
    Pass,
    Quit,
    Retr,
    Rset,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)

__all__ = [
    "parse_auth_line",
    "parse_capability",
    "parse_command",
    "parse_greeting",
    "parse_lang_entry",
    "parse_number",
    "parse_scan_entry",
    "parse_status",
    "parse_uid_entry",
]

_NUMBER: Final = re.compile(rb"[0-9]{1,10}")
_WORD: Final = re.compile(rb"[A-Za-z0-9]{1,8}")
_TOKEN: Final = re.compile(rb"[\x21-\x7e]+")
_UID: Final = re.compile(rb"[\x21-\x7e]{1,70}")
_DIGEST: Final = re.compile(rb"[0-9A-Fa-f]{32}")
_CODE: Final = re.compile(rb"\[([A-Za-z0-9-]+(?:/[A-Za-z0-9-]+)*)\] ?")
_TIMESTAMP: Final = re.compile(r" ?(<[^<>\s]+>)")


def _bad(message: str, reply_text: str, kind: ErrorKind = ErrorKind.SYNTAX) -> RemoteProtocolError:
    return RemoteProtocolError(message, kind=kind, reply=Err(reply_text))


def parse_number(raw: bytes, what: str = "message number", *, minimum: int = 1) -> int:
    """A decimal argument; RemoteProtocolError (reply ``-ERR``) if it is not one."""
    # bytes.isdigit() accepts ASCII digits only: with the length, this is [0-9]{1,10}.
    if raw.isdigit() and len(raw) <= 10:
        number = int(raw)
        if number >= minimum:
            return number
    shown = raw[:20].decode("ascii", "replace")
    raise _bad(f"invalid {what}: {shown!r}", f"invalid {what}", ErrorKind.BAD_PARAMETER)


def _argument_text(raw: bytes, what: str, *, utf8: bool) -> str:
    try:
        text = raw.decode("utf-8") if utf8 else raw.decode("ascii")
    except UnicodeDecodeError:
        need = "UTF-8" if utf8 else "ASCII (send UTF8 first for UTF-8)"
        raise _bad(
            f"the {what} is not {need}", f"{what} must be {need}", ErrorKind.BAD_PARAMETER
        ) from None
    if not text or "\x00" in text:
        raise _bad(f"empty or NUL in {what}", f"invalid {what}", ErrorKind.BAD_PARAMETER)
    return text


def _arity(keyword: str, args: list[bytes], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        if low == high:
            want = f"{low} argument" + ("s" if low != 1 else "")
        else:
            want = f"{low} to {high} arguments"
        raise _bad(
            f"{keyword} takes {want}, got {len(args)}",
            f"{keyword} takes {want}",
            ErrorKind.BAD_PARAMETER,
        )


_SIMPLE: Final[dict[bytes, Command]] = {
    b"STAT": Stat(),
    b"NOOP": Noop(),
    b"RSET": Rset(),
    b"QUIT": Quit(),
    b"CAPA": Capa(),
    b"STLS": Stls(),
    b"UTF8": Utf8(),
}


def parse_command(line: bytes, *, utf8: bool = False) -> Command:
    """Parse one command line (without CRLF) received by a server.

    Keywords are case-insensitive. ``USER`` and ``PASS`` take the rest of the line as their
    argument (RFC 1939 allows spaces in a password); with ``utf8`` (after the UTF8 command)
    user names and passwords may be UTF-8, before it they must be ASCII.

    :raises RemoteProtocolError: with ``reply`` set to the ``-ERR`` answer.
    """
    keyword_raw, _, rest = line.partition(b" ")
    if _WORD.fullmatch(keyword_raw) is None:
        shown = keyword_raw[:20].decode("ascii", "replace")
        raise _bad(f"not a command: {shown!r}", "unknown command", ErrorKind.UNKNOWN_COMMAND)
    keyword = keyword_raw.upper()
    if keyword in (b"USER", b"PASS"):
        if not rest:
            raise _bad(
                f"{keyword.decode()} needs an argument",
                f"{keyword.decode()} takes 1 argument",
                ErrorKind.BAD_PARAMETER,
            )
        if keyword == b"USER":
            return User(_argument_text(rest, "user name", utf8=utf8))
        return Pass(Secret(_argument_text(rest, "password", utf8=utf8)))
    args = rest.split()
    simple = _SIMPLE.get(keyword)
    if simple is not None:
        _arity(keyword.decode(), args, 0, 0)
        return simple
    if keyword in (b"RETR", b"DELE"):
        if len(args) != 1:
            _arity(keyword.decode(), args, 1, 1)
        number = parse_number(args[0])
        return Retr(number) if keyword == b"RETR" else Dele(number)
    if keyword in (b"LIST", b"UIDL"):
        _arity(keyword.decode(), args, 0, 1)
        msg = parse_number(args[0]) if args else None
        return List(msg) if keyword == b"LIST" else Uidl(msg)
    if keyword == b"TOP":
        _arity("TOP", args, 2, 2)
        return Top(parse_number(args[0]), parse_number(args[1], "line count", minimum=0))
    if keyword == b"APOP":
        _arity("APOP", args, 2, 2)
        if _DIGEST.fullmatch(args[1]) is None:
            raise _bad("APOP digest is not 32 hex digits", "invalid APOP digest")
        name = _argument_text(args[0], "user name", utf8=utf8)
        return Apop(name, args[1].decode("ascii").lower())
    if keyword == b"AUTH":
        _arity("AUTH", args, 1, 2)
        if _TOKEN.fullmatch(args[0]) is None:
            raise _bad("invalid mechanism name", "invalid mechanism name")
        mechanism = args[0].decode("ascii").upper()
        initial = None
        if len(args) == 2:
            try:
                initial = decode_sasl(args[1], initial=True)
            except SASLError:
                raise _bad(
                    "AUTH initial response is not base64",
                    "invalid base64 in initial response",
                    ErrorKind.AUTHENTICATION,
                ) from None
        return Auth(mechanism, initial)
    if keyword == b"LANG":
        _arity("LANG", args, 0, 1)
        if not args:
            return Lang()
        if _TOKEN.fullmatch(args[0]) is None:
            raise _bad("invalid language tag", "invalid language tag", ErrorKind.BAD_PARAMETER)
        return Lang(args[0].decode("ascii"))
    shown = keyword.decode("ascii")
    raise _bad(f"unknown command {shown}", "unknown command", ErrorKind.UNKNOWN_COMMAND)


def parse_auth_line(line: bytes) -> AuthResponse | AuthCancel:
    """A client's line during AUTH: base64 data or ``*``."""
    try:
        return AuthResponse(decode_sasl(line.strip()))
    except SASLCancelled:
        return AuthCancel()
    except SASLError:
        raise _bad(
            "AUTH response is not base64", "invalid base64 in response", ErrorKind.AUTHENTICATION
        ) from None


# -- the client side ------------------------------------------------------------------------------


def _server_error(message: str, kind: ErrorKind = ErrorKind.SYNTAX) -> RemoteProtocolError:
    return RemoteProtocolError(message, kind=kind)


def _shown(line: bytes) -> str:
    return repr(line[:80].decode("utf-8", "replace"))


def parse_status(line: bytes) -> tuple[bool, str | None, str]:
    """``(ok, code, text)`` from a ``+OK``/``-ERR`` line.

    The text is decoded as UTF-8 with replacement characters: it is for people, and servers
    write it in whatever charset they like.
    """
    if line[:4] == b"+OK " and line[4:5] != b"[":
        return True, None, line[4:].decode("utf-8", "replace")  # the usual case, shorter
    if line.startswith(b"+OK"):
        ok, rest = True, line[3:]
    elif line.startswith(b"-ERR"):
        ok, rest = False, line[4:]
    else:
        raise _server_error(f"the server's reply is neither +OK nor -ERR: {_shown(line)}")
    if rest and rest[:1] not in b" \t":
        raise _server_error(f"the server's reply has junk after the status: {_shown(line)}")
    rest = rest[1:]
    code = None
    if rest[:1] == b"[":
        match = _CODE.match(rest)
        if match is not None:
            code = match.group(1).decode("ascii")
            rest = rest[match.end() :]
    return ok, code, rest.decode("utf-8", "replace")


def parse_greeting(line: bytes) -> Greeting | Err:
    """The server's first line; the APOP timestamp is split off the text."""
    ok, code, text = parse_status(line)
    if not ok:
        return Err(text, code)
    timestamp = None
    found = None
    for match in _TIMESTAMP.finditer(text):
        found = match
    if found is not None:
        timestamp = found.group(1)
        text = text[: found.start()] + text[found.end() :]
    return Greeting(text, timestamp)


def _two(line: bytes, what: str) -> tuple[bytes, bytes]:
    parts = line.split()
    if len(parts) < 2:
        raise _server_error(f"malformed {what}: {_shown(line)}")
    return parts[0], parts[1]


def _server_number(raw: bytes, what: str, *, minimum: int = 0) -> int:
    if _NUMBER.fullmatch(raw) is None or int(raw) < minimum:
        raise _server_error(f"the server sent an invalid {what}: {_shown(raw)}")
    return int(raw)


def parse_scan_entry(line: bytes) -> tuple[int, int]:
    """``msg size`` (a LIST line or the text of ``+OK msg size``); extra words are ignored."""
    msg, size = _two(line, "scan listing")
    return _server_number(msg, "message number", minimum=1), _server_number(size, "size")


def parse_uid_entry(line: bytes) -> tuple[int, str]:
    """``msg uid`` (a UIDL line or the text of ``+OK msg uid``)."""
    msg, uid = _two(line, "unique-id listing")
    if _UID.fullmatch(uid) is None:
        raise _server_error(f"the server sent an invalid unique id: {_shown(uid)}")
    return _server_number(msg, "message number", minimum=1), uid.decode("ascii")


def parse_capability(line: bytes) -> Capability:
    """One line of a CAPA listing."""
    words = line.split()
    if not words:
        raise _server_error("empty line in the capability list")
    try:
        name, *args = (word.decode("utf-8") for word in words)
    except UnicodeDecodeError:
        raise _server_error(f"capability line is not UTF-8: {_shown(line)}") from None
    return Capability(name.upper(), tuple(args))


def parse_lang_entry(line: bytes) -> tuple[str, str]:
    """One line of a LANG listing: a tag and its description."""
    tag, _, description = line.partition(b" ")
    if _TOKEN.fullmatch(tag) is None:
        raise _server_error(f"malformed language listing line: {_shown(line)}")
    return tag.decode("ascii"), description.decode("utf-8", "replace")
