"""Events to bytes: command lines (what a client writes) and replies (what a server writes).

Everything written is validated first, so that no CR, LF or malformed address can be smuggled
into the stream through an event's fields: invalid input raises
:class:`~mailproto.errors.LocalProtocolError`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Final

from ..errors import LocalProtocolError
from ._events import (
    Auth,
    AuthResponse,
    Bdat,
    Command,
    Data,
    Expand,
    Hello,
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
from ._parse import _KEYWORD_RE, _MECHANISM_RE, _VALUE_RE, MAILBOX_RE, is_domain

__all__ = ["SIMPLE_MAILBOX_RE", "serialize_command", "serialize_reply"]

_ENHANCED_RE: Final = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_ATOM: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]++"
#: A domain label: letters and digits, with hyphens only between them. Runs of each kind
#: alternate, so every quantifier can be possessive and nothing is looked at twice.
_LABEL: Final = r"[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+"
#: The everyday ASCII ``dot-atom@domain`` mailbox: a strict subset of MAILBOX_RE that is
#: quicker to match, tried first when writing RCPT commands.
SIMPLE_MAILBOX_RE: Final = re.compile(rf"{_ATOM}(?:\.{_ATOM})*+@{_LABEL}(?:\.{_LABEL})*+")
_BAD_TEXT: Final = re.compile(r"[\r\n\x00]")


def _check_text(text: str, what: str) -> None:
    if _BAD_TEXT.search(text):
        raise LocalProtocolError(f"{what} must not contain CR, LF or NUL: {text!r}")


def _params(params: Mapping[str, str | None]) -> str:
    out = []
    for key, value in params.items():
        if not _KEYWORD_RE.fullmatch(key):
            raise LocalProtocolError(f"bad ESMTP parameter keyword {key!r}")
        if value is None:
            out.append(" " + key)
        else:
            if not _VALUE_RE.fullmatch(value):
                raise LocalProtocolError(f"bad value for ESMTP parameter {key}: {value!r}")
            out.append(f" {key}={value}")
    return "".join(out)


def _path(path: str, *, allow_null: bool, allow_postmaster: bool) -> str:
    if path == "" and allow_null:
        return "<>"
    if allow_postmaster and path.lower() == "postmaster":
        return f"<{path}>"
    if MAILBOX_RE.fullmatch(path) is None:
        raise LocalProtocolError(f"not a valid SMTP mailbox: {path!r}")
    return f"<{path}>"


def serialize_command(command: Command) -> bytes:
    """The command line, CRLF included, for a command event."""
    if type(command) is RcptTo:
        line = "RCPT TO:" + _path(command.forward_path, allow_null=False, allow_postmaster=True)
        if command.params:
            line += _params(command.params)
    elif isinstance(command, MailFrom):
        line = (
            "MAIL FROM:"
            + _path(command.reverse_path, allow_null=True, allow_postmaster=False)
            + _params(command.params)
        )
    elif isinstance(command, RcptTo):
        line = (
            "RCPT TO:"
            + _path(command.forward_path, allow_null=False, allow_postmaster=True)
            + _params(command.params)
        )
    elif isinstance(command, Hello):
        if command.command not in ("EHLO", "HELO", "LHLO"):
            raise LocalProtocolError(f"unknown greeting command {command.command!r}")
        if not is_domain(command.domain):
            raise LocalProtocolError(f"not a domain or address literal: {command.domain!r}")
        line = f"{command.command} {command.domain}"
    elif isinstance(command, Bdat):
        if command.size < 0:
            raise LocalProtocolError("BDAT size must not be negative")
        line = f"BDAT {command.size} LAST" if command.last else f"BDAT {command.size}"
    elif isinstance(command, Auth):
        if not _MECHANISM_RE.fullmatch(command.mechanism):
            raise LocalProtocolError(f"bad SASL mechanism name {command.mechanism!r}")
        line = "AUTH " + command.mechanism
        if command.initial_response is not None:
            line += " " + (base64.b64encode(command.initial_response).decode() or "=")
    elif isinstance(command, AuthResponse):
        return b"*\r\n" if command.cancel else base64.b64encode(command.data) + b"\r\n"
    elif isinstance(command, Verify | Expand | Help | Noop):
        verb = _VERBS[type(command)]
        arg = command.argument
        _check_text(arg, "a command argument")
        if isinstance(command, Verify | Expand) and not arg.strip(" "):
            raise LocalProtocolError(f"{verb} needs an argument")
        if arg != arg.strip(" "):
            raise LocalProtocolError(f"{verb} argument must not begin or end with a space")
        line = f"{verb} {arg}" if arg else verb
    else:
        fixed = _VERBS.get(type(command))
        if fixed is None:
            raise LocalProtocolError(f"{type(command).__name__} is not an SMTP command")
        return _FIXED[fixed]
    try:
        return line.encode("utf-8") + b"\r\n"
    except UnicodeEncodeError:
        raise LocalProtocolError("command text cannot be encoded as UTF-8") from None


_VERBS: Final[dict[type[Command], str]] = {
    Data: "DATA",
    Reset: "RSET",
    Quit: "QUIT",
    StartTLSCommand: "STARTTLS",
    Verify: "VRFY",
    Expand: "EXPN",
    Help: "HELP",
    Noop: "NOOP",
}
_FIXED: Final = {verb: verb.encode() + b"\r\n" for verb in _VERBS.values()}

_REPLY_CACHE: dict[Reply, bytes] = {}


def serialize_reply(reply: Reply) -> bytes:
    """The reply's lines, each ending in CRLF."""
    try:
        return _REPLY_CACHE[reply]
    except (KeyError, TypeError):
        pass
    code = reply.code
    if type(code) is not int or not 200 <= code <= 599:
        raise LocalProtocolError(f"reply code must be an int from 200 to 599, not {code!r}")
    lines = reply.lines
    if not lines:
        raise LocalProtocolError("a reply needs at least one line")
    status = reply.enhanced_status
    if status is not None and (not _ENHANCED_RE.fullmatch(status) or int(status[0]) != code // 100):
        raise LocalProtocolError(f"bad enhanced status code {status!r} for {code}")
    out = []
    last = len(lines) - 1
    for i, text in enumerate(lines):
        _check_text(text, "reply text")
        if status is not None:
            text = f"{status} {text}" if text else status
        if i < last:
            out.append(f"{code}-{text}")
        else:
            out.append(f"{code} {text}" if text else str(code))
    try:
        data = ("\r\n".join(out) + "\r\n").encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise LocalProtocolError("reply text cannot be encoded as UTF-8") from None
    if len(_REPLY_CACHE) < 256:
        _REPLY_CACHE[reply] = data
    return data
