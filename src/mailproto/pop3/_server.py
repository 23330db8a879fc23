"""The POP3 server connection.

The connection keeps the protocol's books itself: it answers CAPA, USER, NOOP, STAT, LIST, UIDL,
DELE, RSET, STLS, UTF8 and LANG, checks passwords, APOP digests and SASL exchanges through the
application's :class:`~mailproto.sasl.Authenticator`, and validates every message number. It
asks the application, through events, only for what the application alone knows:

* :class:`~mailproto.pop3.OpenMaildrop`: lock and list the maildrop (answer
  :class:`~mailproto.pop3.Maildrop` or :class:`~mailproto.pop3.Err`);
* :class:`~mailproto.pop3.RetrieveMessage`: send message *n* (answer
  :class:`~mailproto.pop3.MessageStart`, :class:`~mailproto.pop3.MessageData` chunks,
  :class:`~mailproto.pop3.MessageEnd`, or :class:`~mailproto.pop3.Err`);
* :class:`~mailproto.pop3.Update`: delete these messages (answer
  :class:`~mailproto.pop3.Ok` or :class:`~mailproto.pop3.Err`).

A bad command raises :class:`~mailproto.errors.RemoteProtocolError` whose ``reply`` is the
:class:`~mailproto.pop3.Err` to send; send it (or another ``Err``) and carry on.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Callable, Sequence
from typing import Final

from .._buffer import ReceiveBuffer
from .._dotstuff import DotStuffer, dot_stuff_parts
from ..connection import NEED_DATA, BaseConnection, Event, Role, Sentinel
from ..errors import ErrorKind, LocalProtocolError, RemoteProtocolError, SASLError
from ..sasl import (
    Authenticator,
    Challenge,
    Secret,
    ServerMechanism,
    Success,
    server_mechanism,
)
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthChallenge,
    Capa,
    Capabilities,
    Capability,
    Command,
    Dele,
    Err,
    Lang,
    LangListing,
    List,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Noop,
    Ok,
    OpenMaildrop,
    Pass,
    Quit,
    Retr,
    RetrieveMessage,
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
    Update,
    User,
    Utf8,
    apop_digest,
)
from ._parse import parse_auth_line, parse_command
from ._serialize import serialize_reply, status_line
from ._state import ALLOWED, State

__all__ = ["POP3Server"]

#: The SASL mechanisms offered by default (EXTERNAL needs a TLS client certificate).
DEFAULT_MECHANISMS: Final = ("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN")
_PLAINTEXT_MECHANISMS: Final = frozenset({"PLAIN", "LOGIN"})


# Enum members the hot paths use, as module names (see "Speed" in docs/design.rst).
_TRANSACTION: Final = State.TRANSACTION
_AUTHORIZATION: Final = State.AUTHORIZATION
#: ``RETR n`` written the usual way (parse_command takes every other spelling).
_RETR_LINE: Final = re.compile(rb"(?i:RETR) ([1-9][0-9]{0,9})").fullmatch


class _Expect:
    """What the application must answer next."""

    ERROR = "error"
    MAILDROP = "maildrop"
    MESSAGE = "message"
    STREAM = "stream"
    UPDATE = "update"


class _TopFilter:
    """Cuts a message after its header and the first ``lines`` lines of its body (TOP)."""

    __slots__ = ("done", "first", "in_header", "line_length", "remaining")

    def __init__(self, lines: int) -> None:
        self.remaining = lines
        self.in_header = True
        self.done = False
        self.line_length = 0  # bytes of the current header line seen so far
        self.first = b""  # the first byte of the current header line

    def feed(self, data: bytes) -> bytes:
        if self.done:
            return b""
        pos = 0
        while self.in_header:
            end = data.find(b"\n", pos)
            if end < 0:
                if pos < len(data):
                    if not self.line_length:
                        self.first = data[pos : pos + 1]
                    self.line_length += len(data) - pos
                return data
            length = self.line_length + end - pos
            first = self.first if self.line_length else data[pos : pos + 1]
            self.line_length = 0
            pos = end + 1
            if length == 0 or (length == 1 and first == b"\r"):
                self.in_header = False
        if self.remaining == 0:
            self.done = True
            return data[:pos]
        count = data.count(b"\n", pos)
        if count < self.remaining:
            self.remaining -= count
            return data
        for _ in range(self.remaining):
            pos = data.find(b"\n", pos) + 1
        self.done = True
        return data[:pos]


_ANY_EOL: Final = re.compile(rb"\r\n|\r|\n")


class _Normalizer:
    """Rewrites bare CR and bare LF as CRLF, in chunks, before TOP counts the lines."""

    __slots__ = ("carry",)

    def __init__(self) -> None:
        self.carry = b""  # a CR at the end of the last chunk, whose LF may come next

    def feed(self, data: bytes) -> bytes:
        if self.carry:
            data = self.carry + data
            self.carry = b""
        if data[-1:] == b"\r":
            data = data[:-1]
            self.carry = b"\r"
        return _ANY_EOL.sub(b"\r\n", data)

    def finish(self) -> bytes:
        carry, self.carry = self.carry, b""
        return b"\r\n" if carry else b""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class POP3Server(BaseConnection):
    """The server side of a POP3 session; the greeting is queued on construction.

    :param authenticator: checks USER/PASS, APOP and AUTH credentials. Without one the
        application checks USER/PASS and APOP itself when it answers
        :class:`~mailproto.pop3.OpenMaildrop`, and AUTH is not offered.
    :param greeting: the text of the greeting line.
    :param apop_timestamp: the APOP challenge (``<unique@host>``), or ``None`` not to offer APOP.
        It must be unique per connection; the application makes it (the core has no clock).
    :param signoff: the ``+OK`` text for QUIT in the AUTHORIZATION state.
    :param tls_available: offer STLS (the driver must then be able to start TLS).
    :param tls_active: the connection is already encrypted (POP3S on port 995).
    :param plaintext_without_tls: allow USER/PASS and the PLAIN and LOGIN mechanisms before TLS.
    :param mechanisms: the SASL mechanisms to offer (any names ``server_mechanism`` accepts).
    :param implementation: the IMPLEMENTATION capability's argument, or ``None``.
    :param login_delay: the LOGIN-DELAY capability's argument (seconds), or ``None``.
    :param expire: the EXPIRE capability's argument (``"NEVER"`` or days), or ``None``.
    :param uidl: offer UIDL (the application then gives UIDs in :class:`Maildrop`).
    :param utf8: offer the UTF8 command (RFC 6856).
    :param languages: ``(tag, description)`` pairs for LANG; the first is the default.
    :param auth_resp_code: list AUTH-RESP-CODE (RFC 3206) among the capabilities.
    :param crlf_messages: the application promises that the messages it sends already end every
        line with CRLF (no bare CR or LF), so the server skips checking and rewriting their line
        endings, which is most of its work on large messages. A dot is then stuffed after every
        LF, bare or not, so a message that breaks the promise still cannot end the answer
        early; but its bare line endings reach the client unchanged. By default (``False``)
        bare CR and bare LF are sent as CRLF.
    :param max_line_length: the longest command line accepted.
    :param max_sasl_line_length: the longest SASL response line accepted.
    :param max_buffer_size: the most received bytes held unparsed (pipelined commands).
    :param max_failed_logins: failed logins after which the session is closed.
    :param max_errors: bad commands after which the session is closed.
    :param hostname: the server's name for mechanisms that need it (CRAM-MD5).
    :param random_bytes: the random source the SASL mechanisms use.
    """

    def __init__(
        self,
        *,
        authenticator: Authenticator | None = None,
        greeting: str = "POP3 server ready",
        apop_timestamp: str | None = None,
        signoff: str = "POP3 server signing off",
        tls_available: bool = False,
        tls_active: bool = False,
        plaintext_without_tls: bool = True,
        mechanisms: Sequence[str] = DEFAULT_MECHANISMS,
        implementation: str | None = None,
        login_delay: int | None = None,
        expire: str | None = None,
        uidl: bool = True,
        utf8: bool = True,
        languages: Sequence[tuple[str, str]] = (),
        auth_resp_code: bool = True,
        crlf_messages: bool = False,
        max_line_length: int = 1024,
        max_sasl_line_length: int = 16384,
        max_buffer_size: int = 1 << 20,
        max_failed_logins: int = 3,
        max_errors: int = 20,
        hostname: str = "localhost",
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        buffer = ReceiveBuffer(
            max_line_length=max(max_line_length, max_sasl_line_length),
            max_buffer_size=max(max_buffer_size, max_sasl_line_length, max_line_length),
        )
        super().__init__(Role.SERVER, buffer)
        self._tls_active = tls_active
        self._authenticator = authenticator
        self._apop_timestamp = apop_timestamp
        self._signoff = signoff
        self._tls_available = tls_available
        self._plaintext_without_tls = plaintext_without_tls
        self._mechanisms = tuple(m.upper() for m in mechanisms)
        self._implementation = implementation
        self._login_delay = login_delay
        self._expire = expire
        self._uidl = uidl
        self._utf8_offered = utf8
        self._languages = tuple(languages)
        self._auth_resp_code = auth_resp_code
        self.crlf_messages = crlf_messages
        self.max_line_length = max_line_length
        self.max_sasl_line_length = max_sasl_line_length
        self.max_failed_logins = max_failed_logins
        self.max_errors = max_errors
        self._hostname = hostname
        self._random_bytes = random_bytes

        self._state = State.AUTHORIZATION
        self._expect: str | None = None
        self._close_after_reply = False
        self._errors = 0
        self._failed_logins = 0
        self._user: str | None = None
        self._sasl: ServerMechanism | None = None
        self._sasl_success: Success | None = None  # waiting for the empty line after data
        self._login: OpenMaildrop | None = None
        self._request: RetrieveMessage | None = None
        self._stuffer: DotStuffer | None = None
        self._top: _TopFilter | None = None
        self._top_normalizer: _Normalizer | None = None
        self._utf8 = False
        self._language: str | None = languages[0][0] if languages else None
        self._username = ""
        self._sizes: tuple[int, ...] = ()
        self._uids: tuple[str, ...] | None = None
        self._deleted: set[int] = set()
        self._count = 0
        self._octets = 0
        timestamp = apop_timestamp
        text = f"{greeting} {timestamp}" if timestamp else greeting
        self._write(status_line(True, text))

    # -- public properties ------------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The session state (AUTHORIZATION, TRANSACTION, UPDATE or CLOSED)."""
        return self._state

    @property
    def username(self) -> str:
        """The user whose maildrop is open (``""`` before TRANSACTION)."""
        return self._username

    @property
    def utf8(self) -> bool:
        """Whether the client has switched the session to UTF-8 (RFC 6856)."""
        return self._utf8

    @property
    def language(self) -> str | None:
        """The language tag chosen with LANG (the first configured one by default)."""
        return self._language

    @property
    def deleted(self) -> frozenset[int]:
        """The message numbers marked deleted so far."""
        return frozenset(self._deleted)

    @property
    def message_wanted(self) -> bool:
        """While streaming a message: ``False`` once TOP has all it needs (skip the rest)."""
        return self._top is None or not self._top.done

    def capabilities(self) -> Capabilities:
        """The CAPA answer for the current state."""
        caps = [Capability("TOP")]
        authorization = self._state is State.AUTHORIZATION
        plaintext_ok = self._plaintext_without_tls or self._tls_active
        if plaintext_ok:
            caps.append(Capability("USER"))
        mechanisms = self._offered_mechanisms()
        if authorization and mechanisms:
            caps.append(Capability("SASL", mechanisms))
        caps.append(Capability("RESP-CODES"))
        if self._auth_resp_code:
            caps.append(Capability("AUTH-RESP-CODE"))
        if self._login_delay is not None:
            caps.append(Capability("LOGIN-DELAY", (str(self._login_delay),)))
        caps.append(Capability("PIPELINING"))
        if self._expire is not None:
            caps.append(Capability("EXPIRE", (self._expire,)))
        if self._uidl:
            caps.append(Capability("UIDL"))
        if self._implementation is not None:
            caps.append(Capability("IMPLEMENTATION", (self._implementation,)))
        if authorization and self._tls_available and not self._tls_active:
            caps.append(Capability("STLS"))
        if self._utf8_offered:
            caps.append(Capability("UTF8", ("USER",) if plaintext_ok else ()))
        if self._languages:
            caps.append(Capability("LANG"))
        return Capabilities(tuple(caps))

    def _offered_mechanisms(self) -> tuple[str, ...]:
        if self._authenticator is None:
            return ()  # SASL needs an Authenticator's callbacks
        if self._plaintext_without_tls or self._tls_active:
            return self._mechanisms
        return tuple(m for m in self._mechanisms if m not in _PLAINTEXT_MECHANISMS)

    # -- receiving --------------------------------------------------------------------------------

    def next_event(self) -> Event | Sentinel:
        """Parse and return the next command or request for the application, or NEED_DATA."""
        if (
            self._state is _TRANSACTION
            and self._expect is None
            and not self._eof
            and not self._should_close
        ):
            # A command line in the TRANSACTION state: nothing for the base class to do first
            # (TLS can only start from AUTHORIZATION, and the peer has not closed).
            event = self._command()
            if event is not None:
                return event
        return super().next_event()

    def _next_event(self) -> Event | Sentinel:
        if self._expect is not None:
            raise LocalProtocolError(
                f"answer the previous event first (the server is waiting for a {self._expect} "
                "reply)"
            )
        while True:
            if self._state is State.CLOSED or self._should_close:
                # Whatever comes after QUIT or a fatal error is ignored.
                self._buffer.clear()
                return NEED_DATA
            if self._sasl is not None or self._sasl_success is not None:
                event = self._sasl_line()
            else:
                event = self._command()
            if event is not None:
                return event

    def _on_buffer_full(self, error: RemoteProtocolError) -> None:
        if self._expect is None and self._state is not State.CLOSED:
            error.reply = Err("too much unread input, closing", "SYS/TEMP")
            self._expect = _Expect.ERROR
            self._close_after_reply = True

    def _read_line(self, limit: int) -> bytes | None:
        try:
            return self._buffer.read_line(limit)
        except RemoteProtocolError as error:
            if error.kind is ErrorKind.LINE_TOO_LONG:
                self._sasl = None
                self._sasl_success = None
                raise self._error(error.message, Err("line too long"), error.kind) from None
            raise

    def _error(
        self, message: str, reply: Err, kind: ErrorKind, *, count: bool = True
    ) -> RemoteProtocolError:
        """Make the error to raise; the application must then send ``reply`` (or another Err)."""
        if count:
            self._errors += 1
        fatal = False
        if self._errors >= self.max_errors:
            fatal = True
            kind = ErrorKind.TOO_MANY_ERRORS
            message = f"{message}; too many bad commands, closing"
            reply = Err("too many bad commands, closing")
        self._expect = _Expect.ERROR
        self._close_after_reply = fatal
        return RemoteProtocolError(message, kind=kind, reply=reply, fatal=fatal)

    def _command(self) -> Event | Sentinel | None:
        line = self._read_line(self.max_line_length)
        if line is None:
            return NEED_DATA
        if self._state is _TRANSACTION and (retr := _RETR_LINE(line)) is not None:
            # The command a download repeats, for a message that exists: the general path
            # below gives the same event (and the errors for any other case).
            msg = int(retr[1])
            if msg <= len(self._sizes) and msg not in self._deleted:
                return self._retrieve(msg, msg - 1, None)
        try:
            command = parse_command(line, utf8=self._utf8)
        except RemoteProtocolError as error:
            reply = error.reply if isinstance(error.reply, Err) else Err("invalid command")
            raise self._error(error.message, reply, error.kind) from None
        if type(command) not in ALLOWED[self._state]:
            name = type(command).__name__.upper()
            raise self._error(
                f"{name} is not allowed in the {self._state.value} state",
                Err(f"{name} not allowed now"),
                ErrorKind.BAD_SEQUENCE,
            )
        if self._state is _AUTHORIZATION:
            return self._authorization(command)
        return self._transaction(command)

    # -- AUTHORIZATION --------------------------------------------------------------------------

    def _authorization(self, command: Command) -> Event | None:
        if not isinstance(command, Pass):
            self._user = None  # PASS must come right after USER (RFC 1939 section 7)
        match command:
            case User(name):
                if not (self._plaintext_without_tls or self._tls_active):
                    raise self._error(
                        "USER before TLS", Err("use STLS first", "AUTH"), ErrorKind.BAD_SEQUENCE
                    )
                self._user = name
                self._write(status_line(True, "send PASS"))
            case Pass(password):
                if self._user is None:
                    raise self._error(
                        "PASS without USER", Err("send USER first"), ErrorKind.BAD_SEQUENCE
                    )
                user, self._user = self._user, None
                if self._authenticator is None:
                    return self._open(user, "USER", verified=False, password=password)
                if self._authenticator.check_password(user, password, ""):
                    return self._open(user, "USER")
                raise self._login_failed(f"wrong password for {user!r}")
            case Apop(name, digest):
                if self._apop_timestamp is None:
                    raise self._error(
                        "APOP is not offered", Err("APOP not supported"), ErrorKind.UNKNOWN_COMMAND
                    )
                if self._authenticator is None:
                    return self._open(
                        name,
                        "APOP",
                        verified=False,
                        digest=digest,
                        timestamp=self._apop_timestamp,
                    )
                secret = self._authenticator.lookup_password(name)
                expected = apop_digest(self._apop_timestamp, secret.reveal()) if secret else ""
                if secret is not None and hmac.compare_digest(expected, digest):
                    return self._open(name, "APOP")
                raise self._login_failed(f"APOP digest for {name!r} does not match")
            case Auth(mechanism, initial):
                return self._auth(mechanism, initial)
            case Capa():
                self._write(serialize_reply(self.capabilities()))
            case Quit():
                self._write(status_line(True, self._signoff))
                self._state = State.CLOSED
                self._close()
            case Stls():
                if self._tls_active:
                    raise self._error(
                        "STLS when TLS is already active",
                        Err("Command not permitted when TLS active"),
                        ErrorKind.BAD_SEQUENCE,
                    )
                if not self._tls_available:
                    raise self._error(
                        "STLS is not available", Err("STLS not available"), ErrorKind.BAD_SEQUENCE
                    )
                self._write(status_line(True, "Begin TLS negotiation"))
                self._begin_tls()
                self._tls_active = True
                tls = self._tls_pending
                self._tls_pending = None
                return tls
            case Utf8():
                if not self._utf8_offered:
                    raise self._error(
                        "UTF8 is not offered", Err("unknown command"), ErrorKind.UNKNOWN_COMMAND
                    )
                self._utf8 = True
                self._write(status_line(True, "UTF8 enabled"))
            case Lang(tag):
                self._lang(tag)
        return None

    def _login_failed(self, message: str) -> RemoteProtocolError:
        self._failed_logins += 1
        error = self._error(
            message, Err("authentication failed", "AUTH"), ErrorKind.AUTHENTICATION, count=False
        )
        if self._failed_logins >= self.max_failed_logins:
            error.fatal = True
            error.reply = Err("too many failed logins, closing", "AUTH")
            self._close_after_reply = True
        return error

    def _open(
        self,
        username: str,
        mechanism: str,
        *,
        verified: bool = True,
        password: Secret | None = None,
        digest: str | None = None,
        timestamp: str | None = None,
    ) -> OpenMaildrop:
        self._login = OpenMaildrop(username, mechanism, verified, password, digest, timestamp)
        self._expect = _Expect.MAILDROP
        return self._login

    def _auth(self, mechanism: str, initial: bytes | None) -> Event | None:
        if mechanism not in self._offered_mechanisms():
            raise self._error(
                f"mechanism {mechanism} is not offered",
                Err("unsupported authentication mechanism"),
                ErrorKind.BAD_PARAMETER,
            )
        authenticator = self._authenticator
        if authenticator is None:  # pragma: no cover - no mechanisms are offered then
            raise self._error(
                "AUTH needs an authenticator", Err("AUTH not available"), ErrorKind.UNKNOWN_COMMAND
            )
        try:
            mech = server_mechanism(
                mechanism,
                authenticator,
                hostname=self._hostname,
                random_bytes=self._random_bytes,
            )
        except ValueError:
            raise self._error(
                f"mechanism {mechanism} is not implemented",
                Err("unsupported authentication mechanism"),
                ErrorKind.BAD_PARAMETER,
            ) from None
        self._sasl = mech
        try:
            result = mech.start(initial)
        except SASLError as error:
            self._sasl = None
            raise self._login_failed(error.message) from None
        return self._sasl_result(result)

    def _sasl_result(self, result: Challenge | Success) -> Event | None:
        if isinstance(result, Challenge):
            self._write(serialize_reply(AuthChallenge(result.data)))
            return None
        self._sasl = None
        if result.data is not None:
            # RFC 5034 section 4: additional data goes in a challenge the client answers empty.
            self._sasl_success = result
            self._write(serialize_reply(AuthChallenge(result.data)))
            return None
        return self._sasl_done(result)

    def _sasl_done(self, result: Success) -> OpenMaildrop:
        username = result.authzid or result.authcid
        authenticator = self._authenticator
        if (
            result.authzid
            and authenticator is not None
            and not authenticator.authorize(result.authcid, result.authzid)
        ):
            raise self._login_failed(f"{result.authcid!r} may not act as {result.authzid!r}")
        return self._open(username, "AUTH")

    def _sasl_line(self) -> Event | Sentinel | None:
        line = self._read_line(self.max_sasl_line_length)
        if line is None:
            return NEED_DATA
        try:
            response = parse_auth_line(line)
        except RemoteProtocolError as error:
            self._sasl = None
            self._sasl_success = None
            raise self._login_failed(error.message) from None
        if isinstance(response, AuthCancel):
            self._sasl = None
            self._sasl_success = None
            raise self._error(
                "the client cancelled AUTH",
                Err("authentication cancelled"),
                ErrorKind.AUTHENTICATION,
                count=False,
            )
        success = self._sasl_success
        if success is not None:
            self._sasl_success = None
            if response.data:
                raise self._login_failed("non-empty response after the final SASL data")
            return self._sasl_done(success)
        mech = self._sasl
        if mech is None:  # pragma: no cover - guarded by the caller
            return None
        try:
            result = mech.step(response.data)
        except SASLError as error:
            self._sasl = None
            raise self._login_failed(error.message) from None
        return self._sasl_result(result)

    def _lang(self, tag: str | None) -> None:
        if not self._languages:
            raise self._error(
                "LANG is not offered", Err("unknown command"), ErrorKind.UNKNOWN_COMMAND
            )
        if tag is None:
            self._write(serialize_reply(LangListing(self._languages)))
            return
        if tag == "*":
            chosen = self._languages[0][0]
        else:
            wanted = tag.lower()
            matches = [t for t, _ in self._languages if t.lower() == wanted]
            if not matches:
                raise self._error(
                    f"unknown language {tag!r}",
                    Err(f"{tag} is not a known language"),
                    ErrorKind.BAD_PARAMETER,
                )
            chosen = matches[0]
        self._language = chosen
        self._write(status_line(True, f"{chosen} language changed"))

    # -- TRANSACTION ----------------------------------------------------------------------------

    def _message(self, msg: int, *, listing: bool = False) -> int:
        """Check a message number; return its index."""
        if msg > len(self._sizes):
            text = (
                f"no such message, only {_plural(len(self._sizes), 'message')} in maildrop"
                if listing
                else "no such message"
            )
            raise self._error(f"message {msg} does not exist", Err(text), ErrorKind.BAD_PARAMETER)
        if msg in self._deleted:
            raise self._error(
                f"message {msg} is deleted",
                Err(f"message {msg} already deleted"),
                ErrorKind.BAD_PARAMETER,
            )
        return msg - 1

    def _summary(self) -> str:
        return f"{_plural(self._count, 'message')} ({self._octets} octets)"

    def _transaction(self, command: Command) -> Event | None:
        match command:
            case Retr(msg):
                index = self._message(msg)
                return self._retrieve(msg, index, None)
            case Stat():
                self._write(serialize_reply(StatReply(self._count, self._octets)))
            case List(None):
                deleted = self._deleted
                entries = tuple(
                    (n, size) for n, size in enumerate(self._sizes, 1) if n not in deleted
                )
                self._write(serialize_reply(ScanListing(entries, self._summary())))
            case List(int() as msg):
                index = self._message(msg, listing=True)
                self._write(serialize_reply(ScanLine(msg, self._sizes[index])))
            case Uidl(msg):
                uids = self._uids
                if uids is None:
                    raise self._error(
                        "UIDL is not offered", Err("unknown command"), ErrorKind.UNKNOWN_COMMAND
                    )
                if msg is None:
                    deleted = self._deleted
                    uid_entries = tuple(
                        (n, uid) for n, uid in enumerate(uids, 1) if n not in deleted
                    )
                    self._write(serialize_reply(UidListing(uid_entries)))
                else:
                    index = self._message(msg, listing=True)
                    self._write(serialize_reply(UidLine(msg, uids[index])))
            case Top(msg, lines):
                index = self._message(msg)
                return self._retrieve(msg, index, lines)
            case Dele(msg):
                index = self._message(msg)
                self._deleted.add(msg)
                self._count -= 1
                self._octets -= self._sizes[index]
                self._write(status_line(True, f"message {msg} deleted"))
            case Noop():
                self._write(b"+OK\r\n")
            case Rset():
                self._deleted.clear()
                self._count = len(self._sizes)
                self._octets = sum(self._sizes)
                self._write(status_line(True, f"maildrop has {self._summary()}"))
            case Quit():
                self._state = State.UPDATE
                self._expect = _Expect.UPDATE
                marked = tuple(sorted(self._deleted))
                uids = None if self._uids is None else tuple(self._uids[n - 1] for n in marked)
                return Update(marked, uids, self._count)
            case Capa():
                self._write(serialize_reply(self.capabilities()))
            case Lang(tag):
                self._lang(tag)
        return None

    def _retrieve(self, msg: int, index: int, top: int | None) -> RetrieveMessage:
        uid = None if self._uids is None else self._uids[index]
        self._request = RetrieveMessage(msg, self._sizes[index], uid, top)
        self._expect = _Expect.MESSAGE
        return self._request

    # -- sending --------------------------------------------------------------------------------

    def send(self, event: Event) -> None:
        """Queue the application's answer to the last event (see the module's description).

        :raises LocalProtocolError: the event does not answer what is pending; nothing changed.
        """
        expect = self._expect
        if expect == _Expect.STREAM:
            self._send_stream(event)
            return
        if expect is None:
            raise LocalProtocolError(f"nothing to answer; cannot send {event!r} now")
        if expect == _Expect.ERROR:
            if not isinstance(event, Err):
                raise LocalProtocolError(f"answer the bad command with Err, not {event!r}")
            self._write(serialize_reply(event))
            self._expect = None
            if self._close_after_reply:
                self._state = State.CLOSED
                self._close()
            return
        if expect == _Expect.MAILDROP:
            self._send_maildrop(event)
        elif expect == _Expect.MESSAGE:
            self._send_message_start(event)
        elif expect == _Expect.UPDATE:
            if not isinstance(event, (Ok, Err)):
                raise LocalProtocolError(f"answer Update with Ok or Err, not {event!r}")
            self._write(serialize_reply(event))
            self._expect = None
            self._state = State.CLOSED
            self._close()

    def _send_maildrop(self, event: Event) -> None:
        login = self._login
        if login is None:  # pragma: no cover - set together with _expect
            raise LocalProtocolError("no login pending")
        if isinstance(event, Err):
            self._write(serialize_reply(event))
            self._expect = None
            self._login = None
            if not login.verified:
                self._failed_logins += 1
                if self._failed_logins >= self.max_failed_logins:
                    self._state = State.CLOSED
                    self._close()
            return
        if not isinstance(event, Maildrop):
            raise LocalProtocolError(f"answer OpenMaildrop with Maildrop or Err, not {event!r}")
        sizes = tuple(event.sizes)
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in sizes):
            raise LocalProtocolError("message sizes must be integers >= 0")
        uids = None if event.uids is None else tuple(event.uids)
        if uids is not None and len(uids) != len(sizes):
            raise LocalProtocolError("Maildrop needs as many uids as sizes")
        if uids is None and self._uidl:
            raise LocalProtocolError("UIDL is offered, so Maildrop needs uids")
        octets = sum(sizes)
        text = event.text
        if text is None:
            text = f"{login.username}'s maildrop has {_plural(len(sizes), 'message')} "
            text += f"({octets} octets)"
        reply = status_line(True, text)
        self._sizes, self._uids = sizes, uids
        self._count, self._octets = len(sizes), octets
        self._deleted = set()
        self._username = login.username
        self._state = State.TRANSACTION
        self._expect = None
        self._login = None
        self._write(reply)

    def _send_message_start(self, event: Event) -> None:
        request = self._request
        if request is None:  # pragma: no cover - set together with _expect
            raise LocalProtocolError("no message request pending")
        if isinstance(event, Err):
            self._write(serialize_reply(event))
            self._expect = None
            self._request = None
            return
        if not isinstance(event, MessageStart):
            raise LocalProtocolError(
                f"answer RetrieveMessage with MessageStart or Err, not {event!r}"
            )
        text = event.text
        top = request.top_lines
        if text:
            self._write(status_line(True, text))
        elif top is None:
            self._write(b"+OK %d octets\r\n" % request.size)
        else:
            self._write(b"+OK\r\n")
        self._stuffer = DotStuffer(assume_crlf=self.crlf_messages)
        self._top = None if top is None else _TopFilter(top)
        # TOP counts lines as the client will see them, so bare CR and LF are rewritten first.
        self._top_normalizer = None if top is None or self.crlf_messages else _Normalizer()
        self._expect = _Expect.STREAM

    def _send_stream(self, event: Event) -> None:
        stuffer = self._stuffer
        if stuffer is None:  # pragma: no cover - set together with _expect
            raise LocalProtocolError("no message being sent")
        if isinstance(event, MessageData):
            data = event.data
            if self._top is not None:
                if self._top_normalizer is not None:
                    data = self._top_normalizer.feed(data)
                data = self._top.feed(data)
            if data:
                out = stuffer.stuff(data)
                if out:
                    self._outgoing.append(out)
            return
        if isinstance(event, MessageEnd):
            if self._top is not None and self._top_normalizer is not None:
                tail = self._top.feed(self._top_normalizer.finish())
                if tail:
                    self._outgoing.append(stuffer.stuff(tail))
            self._outgoing.append(stuffer.finish())
            self._top_normalizer = None
            self._stuffer = None
            self._top = None
            self._request = None
            self._expect = None
            return
        raise LocalProtocolError(f"send MessageData or MessageEnd, not {event!r}")

    def send_message(self, data: bytes, text: str = "") -> None:
        """Answer a :class:`RetrieveMessage` with a whole message in one call."""
        request = self._request
        if (
            self._expect is _Expect.MESSAGE
            and request is not None
            and request.top_lines is None
            and not text
            and type(data) is bytes
        ):
            # What the three sends below do for a RETR, without the events in between.
            body, end = dot_stuff_parts(data, assume_crlf=self.crlf_messages)
            self._outgoing += (b"+OK %d octets\r\n" % request.size, body, end)
            self._request = None
            self._expect = None
            return
        self.send(MessageStart(text))
        self.send(MessageData(data))
        self.send(MessageEnd())
