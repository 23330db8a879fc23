"""POP3 events to bytes: command lines, status lines and the multi-line listings.

Message bodies (RETR, TOP) are not written here: the server connection streams them through a
:class:`~mailproto._dotstuff.DotStuffer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from ..errors import LocalProtocolError
from ..sasl import Secret, encode_sasl
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Command,
    Dele,
    Err,
    Greeting,
    Lang,
    LangListing,
    List,
    Noop,
    Ok,
    Pass,
    Quit,
    Reply,
    Retr,
    Rset,
    ScanLine,
    ScanListing,
    Stat,
    StatReply,
    Stls,
    Top,
    Uidl,
    UidLine,
    UidListing,
    User,
    Utf8,
)

__all__ = ["serialize_command", "serialize_reply", "status_line"]

_CRLF: Final = b"\r\n"
_BAD_TEXT = re.compile(r"[\r\n\x00]")
_BAD_TOKEN = re.compile(r"[\x00-\x20\x7f]")
_CODE = re.compile(r"[A-Za-z0-9-]+(?:/[A-Za-z0-9-]+)*")


def _text(value: str, what: str) -> bytes:
    if _BAD_TEXT.search(value):
        raise LocalProtocolError(f"{what} must not contain CR, LF or NUL: {value!r}")
    return value.encode("utf-8")


def _token(value: str, what: str) -> bytes:
    if not value or _BAD_TOKEN.search(value):
        raise LocalProtocolError(f"{what} must be non-empty without spaces or controls: {value!r}")
    return value.encode("utf-8")


def _number(value: int, what: str, *, minimum: int = 1) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LocalProtocolError(f"{what} must be an integer >= {minimum}, not {value!r}")
    return b"%d" % value


def serialize_command(command: Command) -> bytes:
    """The line (with CRLF) that sends ``command``; LocalProtocolError if it cannot be sent."""
    if type(command) is Retr:  # the command a download sends most, without the match
        number = command.msg
        if type(number) is int and number >= 1:
            return b"RETR %d\r\n" % number
    match command:
        case Stat():
            return b"STAT\r\n"
        case Retr(msg):
            return b"RETR " + _number(msg, "message number") + _CRLF
        case Dele(msg):
            return b"DELE " + _number(msg, "message number") + _CRLF
        case List(msg) | Uidl(msg):
            word = b"LIST" if isinstance(command, List) else b"UIDL"
            if msg is None:
                return word + _CRLF
            return word + b" " + _number(msg, "message number") + _CRLF
        case Top(msg, lines):
            return (
                b"TOP "
                + _number(msg, "message number")
                + b" "
                + _number(lines, "line count", minimum=0)
                + _CRLF
            )
        case Noop():
            return b"NOOP\r\n"
        case Rset():
            return b"RSET\r\n"
        case Quit():
            return b"QUIT\r\n"
        case Capa():
            return b"CAPA\r\n"
        case Stls():
            return b"STLS\r\n"
        case Utf8():
            return b"UTF8\r\n"
        case User(name):
            return b"USER " + _token(name, "user name") + _CRLF
        case Pass(password):
            value = password.reveal() if isinstance(password, Secret) else str(password)
            if not value:
                raise LocalProtocolError("PASS needs a non-empty password")
            return b"PASS " + _text(value, "password") + _CRLF
        case Apop(name, digest):
            if not re.fullmatch(r"[0-9a-f]{32}", digest):
                raise LocalProtocolError(
                    f"APOP digest must be 32 lower-case hex digits: {digest!r}"
                )
            return b"APOP " + _token(name, "user name") + b" " + digest.encode() + _CRLF
        case Auth(mechanism, initial):
            line = b"AUTH " + _token(mechanism, "mechanism")
            if initial is not None:
                line += b" " + encode_sasl(initial, initial=True)
            return line + _CRLF
        case AuthResponse(data):
            return encode_sasl(data) + _CRLF
        case AuthCancel():
            return b"*\r\n"
        case Lang(tag):
            if tag is None:
                return b"LANG\r\n"
            return b"LANG " + _token(tag, "language tag") + _CRLF
    raise LocalProtocolError(f"not a POP3 command: {command!r}")


def status_line(ok: bool, text: str = "", code: str | None = None) -> bytes:
    """``+OK``/``-ERR`` with an optional ``[CODE]`` and text, CRLF included."""
    line = b"+OK" if ok else b"-ERR"
    if code is not None:
        if not _CODE.fullmatch(code):
            raise LocalProtocolError(f"not a valid response code: {code!r}")
        line += b" [" + code.encode("ascii") + b"]"
    if text:
        line += b" " + _text(text, "reply text")
    return line + _CRLF


def _listing(head: str, lines: Iterable[bytes]) -> bytes:
    out = [status_line(True, head)]
    for line in lines:
        out.append(b"." + line if line[:1] == b"." else line)
        out.append(_CRLF)
    out.append(b".\r\n")
    return b"".join(out)


def serialize_reply(reply: Reply) -> bytes:
    """The bytes of a reply other than the message stream (which the server stuffs itself)."""
    match reply:
        case Ok(text, code):
            return status_line(True, text, code)
        case Err(text, code):
            return status_line(False, text, code)
        case Greeting(text, timestamp):
            if timestamp is not None:
                if not re.fullmatch(r"<[^<>\s]+>", timestamp):
                    raise LocalProtocolError(f"APOP timestamp must look like <...>: {timestamp!r}")
                text = f"{text} {timestamp}" if text else timestamp
            return status_line(True, text)
        case StatReply(count, size):
            return (
                b"+OK "
                + _number(count, "count", minimum=0)
                + b" "
                + _number(size, "size", minimum=0)
                + _CRLF
            )
        case ScanLine(msg, size):
            return (
                b"+OK "
                + _number(msg, "message number")
                + b" "
                + _number(size, "size", minimum=0)
                + _CRLF
            )
        case UidLine(msg, uid):
            return b"+OK " + _number(msg, "message number") + b" " + _uid(uid) + _CRLF
        case ScanListing(entries, text):
            return _listing(
                text,
                (
                    _number(msg, "message number") + b" " + _number(size, "size", minimum=0)
                    for msg, size in entries
                ),
            )
        case UidListing(entries, text):
            return _listing(
                text, (_number(msg, "message number") + b" " + _uid(uid) for msg, uid in entries)
            )
        case Capabilities(capabilities, text):
            return _listing(
                text,
                (
                    b" ".join(
                        [_token(cap.name, "capability")]
                        + [_token(arg, "capability argument") for arg in cap.args]
                    )
                    for cap in capabilities
                ),
            )
        case LangListing(entries, text):
            return _listing(
                text,
                (
                    _token(tag, "language tag")
                    + (b" " + _text(desc, "description") if desc else b"")
                    for tag, desc in entries
                ),
            )
        case AuthChallenge(data):
            return b"+ " + encode_sasl(data) + _CRLF
    raise LocalProtocolError(f"not a POP3 reply that serializes on its own: {reply!r}")


def _uid(uid: str) -> bytes:
    # RFC 1939: 1 to 70 characters in the range 0x21 to 0x7E.
    if not re.fullmatch(r"[\x21-\x7e]{1,70}", uid):
        raise LocalProtocolError(f"a unique id is 1-70 printable ASCII characters: {uid!r}")
    return uid.encode("ascii")
