"""What every SASL mechanism shares: secrets, framing, results, the two mechanism interfaces."""

from __future__ import annotations

import abc
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..errors import SASLError

__all__ = [
    "SASL_CANCEL",
    "Challenge",
    "ClientMechanism",
    "OneMessageClient",
    "SASLCancelled",
    "Secret",
    "ServerMechanism",
    "Success",
    "decode_sasl",
    "encode_sasl",
]

#: What a client sends instead of a response to abandon an exchange (SMTP, POP3 and IMAP alike).
SASL_CANCEL: Final = b"*"


class SASLCancelled(SASLError):
    """The client abandoned the exchange by answering ``*``."""


class Secret:
    """A credential (password or token) whose ``repr`` and ``str`` never show the value.

    Two secrets compare equal, in constant time, when their values are equal, so events that
    carry one keep comparing by content.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the wrapped value; call it only where the value is really needed."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(_utf8(self._value), _utf8(other._value))

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def reveal(value: str | Secret | None) -> str | None:
    """The plain value of a credential given either as ``str`` or as :class:`Secret`."""
    if value is None or isinstance(value, str):
        return value
    return value.reveal()


def encode_sasl(data: bytes, *, initial: bool = False) -> bytes:
    """Encode a challenge or response for the wire (base64, no line breaks).

    :param initial: ``True`` for an initial response sent with the command (SMTP ``AUTH``, IMAP
        ``AUTHENTICATE`` with SASL-IR, POP3 ``AUTH``), where an empty response is written ``=``
        so that it differs from no response at all.
    """
    if initial and not data:
        return b"="
    return binascii.b2a_base64(data, newline=False)


def decode_sasl(line: bytes, *, initial: bool = False) -> bytes:
    """Decode a challenge or response line received from the peer.

    :param initial: ``True`` for an initial response, where ``=`` stands for an empty one.
    :raises SASLCancelled: the line is ``*``, the client abandoned the exchange.
    :raises SASLError: the line is not valid base64.
    """
    if line == SASL_CANCEL:
        raise SASLCancelled("the client cancelled the authentication exchange")
    if initial and line == b"=":
        return b""
    try:
        return binascii.a2b_base64(line, strict_mode=True)
    except (binascii.Error, ValueError):
        raise SASLError("the SASL data is not valid base64") from None


@dataclass(frozen=True, slots=True)
class Challenge:
    """The server mechanism needs another round: send ``data`` and wait for the response."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Success:
    """The client is authenticated.

    :param authcid: the authentication identity whose credentials were checked.
    :param authzid: the identity the client asked to act as (``""``: the same as ``authcid``);
        the :class:`~mailproto.sasl.Authenticator` has allowed it.
    :param data: additional data the server must pass to the client along with its success
        (SCRAM's ``v=...`` server signature), or ``None``.
    """

    authcid: str
    authzid: str
    data: bytes | None = None


class ClientMechanism(abc.ABC):
    """The client side of one SASL exchange.

    Drive it with :meth:`initial_response` (when the protocol allows one), then pass each
    decoded server challenge to :meth:`respond` and send back what it returns, and finally hand
    any success data to :meth:`verify`. Any of them raises :class:`~mailproto.errors.SASLError`
    when the server's data is malformed or wrong.
    """

    #: The registered mechanism name, as sent in ``AUTH``/``AUTHENTICATE``.
    name: str

    @property
    @abc.abstractmethod
    def complete(self) -> bool:
        """``True`` once the client has nothing more to send."""

    @abc.abstractmethod
    def initial_response(self) -> bytes | None:
        """The response to send along with the command, or ``None`` if the mechanism has none."""

    @abc.abstractmethod
    def respond(self, challenge: bytes) -> bytes:
        """Return the response to a decoded server challenge."""

    def verify(self, success_data: bytes | None) -> None:
        """Check the additional data that came with the server's success (default: none).

        :raises SASLError: the data does not prove what the mechanism needs proved.
        """
        del success_data

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class OneMessageClient(ClientMechanism):
    """A client whose whole part of the exchange is one message (PLAIN, EXTERNAL, the OAuth
    mechanisms): sent as the initial response, or as the answer to an empty first challenge
    when the protocol sends none. What a later challenge means is :meth:`_after_sent`'s to say.
    """

    def __init__(self, message: bytes) -> None:
        self._message = message
        self._sent = False

    @property
    def complete(self) -> bool:
        return self._sent

    def initial_response(self) -> bytes | None:
        self._sent = True
        return self._message

    def respond(self, challenge: bytes) -> bytes:
        if not self._sent:
            if challenge:
                raise SASLError(f"the server sent data before the {self.name} message")
            self._sent = True
            return self._message
        return self._after_sent(challenge)

    def _after_sent(self, challenge: bytes) -> bytes:
        """The answer to a challenge that comes after the message (by default: an error)."""
        del challenge
        raise SASLError(f"unexpected challenge from the server in a {self.name} exchange")


class ServerMechanism(abc.ABC):
    """The server side of one SASL exchange.

    Call :meth:`start` with the initial response (or ``None``), then :meth:`step` with each
    decoded client response, until a :class:`Success` comes back. Failure, whether wrong
    credentials, malformed data or a refused authorization identity, raises
    :class:`~mailproto.errors.SASLError`, after which the exchange is over.
    """

    #: The registered mechanism name.
    name: str

    def __init__(self) -> None:
        self._started = False
        self._over = False

    def start(self, initial_response: bytes | None) -> Challenge | Success:
        """Begin the exchange; ``initial_response`` is ``None`` when the client sent none."""
        if self._started:
            raise SASLError(f"the {self.name} exchange was already started")
        self._started = True
        return self._guard(lambda: self._start(initial_response))

    def step(self, response: bytes) -> Challenge | Success:
        """Handle the client's (decoded) response to the last :class:`Challenge`."""
        if not self._started:
            raise SASLError(f"the {self.name} exchange has not been started")
        if self._over:
            raise SASLError(f"the {self.name} exchange is already over")
        return self._guard(lambda: self._step(response))

    def _guard(self, action: Callable[[], Challenge | Success]) -> Challenge | Success:
        try:
            result = action()
        except SASLError:
            self._over = True
            raise
        if isinstance(result, Success):
            self._over = True
        return result

    @abc.abstractmethod
    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        """Mechanism-specific start."""

    @abc.abstractmethod
    def _step(self, response: bytes) -> Challenge | Success:
        """Mechanism-specific step."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def decode_text(data: bytes, what: str) -> str:
    """Decode UTF-8 received from the peer, turning a failure into a SASLError."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SASLError(f"the {what} is not valid UTF-8") from None


def authentication_failed() -> SASLError:
    """The one error for wrong credentials, so that failures do not tell their causes apart."""
    return SASLError("authentication failed")
