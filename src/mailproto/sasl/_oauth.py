"""OAuth 2.0 bearer tokens: OAUTHBEARER (RFC 7628) and Google's XOAUTH2."""

from __future__ import annotations

import re
from typing import Final

from ..errors import SASLError
from ._auth import Authenticator
from ._base import Challenge, OneMessageClient, Secret, ServerMechanism, Success, decode_text
from ._scram import escape_saslname, unescape_saslname

__all__ = [
    "OAUTHBEARER_ERROR",
    "XOAUTH2_ERROR",
    "OAuthBearerClient",
    "OAuthBearerServer",
    "XOAuth2Client",
    "XOAuth2Server",
]

#: The default JSON error a server sends before failing (RFC 7628 section 3.2.2).
OAUTHBEARER_ERROR: Final = b'{"status":"invalid_token"}'
#: The default JSON error of XOAUTH2, in the form Google documents.
XOAUTH2_ERROR: Final = b'{"status":"401","schemes":"bearer"}'

_KEY = re.compile(r"[A-Za-z]+")
# RFC 7628 allows *(VCHAR / SP / HTAB / CR / LF) in a value; XOAUTH2's user= may be a UTF-8
# address, so only NUL is refused here.
_VALUE = re.compile(r"[^\x00]*")
_KVSEP: Final = "\x01"


def _check_token(token: str) -> None:
    if not token or _KVSEP in token or not token.isprintable():
        raise ValueError("a bearer token is a non-empty string of printable characters")


def _parse_pairs(body: str, what: str) -> dict[str, str]:
    """Parse ``key=value`` items separated by ^A into a dict (duplicates refused)."""
    pairs: dict[str, str] = {}
    for item in body.split(_KVSEP):
        key, equals, value = item.partition("=")
        if not equals or not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
            raise SASLError(f"malformed key=value pair in the {what} message")
        if key in pairs:
            raise SASLError(f"duplicate {key!r} in the {what} message")
        pairs[key] = value
    return pairs


def _bearer_token(pairs: dict[str, str], what: str) -> str:
    scheme, _, token = pairs.get("auth", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SASLError(f"the {what} message has no 'auth=Bearer <token>'")
    return token


class _TokenClient(OneMessageClient):
    """Sends one message; answers an error challenge with the mechanism's dummy response."""

    _dummy: bytes = b""

    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        #: The JSON error the server sent before failing, if it did.
        self.server_error: bytes | None = None

    def _after_sent(self, challenge: bytes) -> bytes:
        if self.server_error is not None:
            raise SASLError(f"unexpected challenge after the {self.name} error")
        self.server_error = challenge
        return self._dummy


class XOAuth2Client(_TokenClient):
    """XOAUTH2: ``user={user}^Aauth=Bearer {token}^A^A``."""

    name = "XOAUTH2"
    _dummy = b""

    def __init__(self, username: str, token: str | Secret) -> None:
        plain = token.reveal() if isinstance(token, Secret) else token
        _check_token(plain)
        if _KVSEP in username:
            raise ValueError("the user name must not contain ^A")
        super().__init__(f"user={username}\x01auth=Bearer {plain}\x01\x01".encode())


class OAuthBearerClient(_TokenClient):
    """OAUTHBEARER (RFC 7628): a GS2 header naming ``authzid``, then host, port and token.

    :param authzid: the identity to authenticate as, sent as ``a=`` (may be empty).
    :param host: the server name the client connected to, sent as ``host=`` when given.
    :param port: the port the client connected to, sent as ``port=`` when given.
    """

    name = "OAUTHBEARER"
    _dummy = b"\x01"

    def __init__(
        self,
        authzid: str,
        token: str | Secret,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        plain = token.reveal() if isinstance(token, Secret) else token
        _check_token(plain)
        for label, value in (("authorization identity", authzid), ("host", host or "")):
            if _KVSEP in value:
                raise ValueError(f"the {label} must not contain ^A")
        header = f"n,a={escape_saslname(authzid)}," if authzid else "n,,"
        pairs = ""
        if host is not None:
            pairs += f"host={host}\x01"
        if port is not None:
            pairs += f"port={port}\x01"
        pairs += f"auth=Bearer {plain}\x01"
        super().__init__(f"{header}\x01{pairs}\x01".encode())


class _TokenServer(ServerMechanism):
    def __init__(self, authenticator: Authenticator, error: bytes) -> None:
        super().__init__()
        self._authenticator = authenticator
        self._error = error
        self._refused = False

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is None:
            return Challenge(b"")
        return self._step(initial_response)

    def _step(self, response: bytes) -> Challenge | Success:
        if self._refused:
            # The client's (dummy) answer to the error challenge: now the exchange fails.
            raise SASLError(f"the {self.name} bearer token was refused")
        authcid, token = self._parse(decode_text(response, f"{self.name} message"))
        if self._authenticator.check_token(authcid, Secret(token)):
            return Success(authcid=authcid, authzid="")
        self._refused = True
        return Challenge(self._error)

    def _parse(self, message: str) -> tuple[str, str]:
        raise NotImplementedError


class XOAuth2Server(_TokenServer):
    """XOAUTH2, checked with :meth:`Authenticator.check_token`.

    A refused token gets the JSON ``error`` as a challenge; the exchange fails after the
    client's (empty) answer, as Google's servers do.
    """

    name = "XOAUTH2"

    def __init__(self, authenticator: Authenticator, *, error: bytes = XOAUTH2_ERROR) -> None:
        super().__init__(authenticator, error)

    def _parse(self, message: str) -> tuple[str, str]:
        if not message.endswith("\x01\x01"):
            raise SASLError("an XOAUTH2 message ends with ^A^A")
        pairs = _parse_pairs(message[:-2], self.name)
        user = pairs.get("user", "")
        if not user:
            raise SASLError("the XOAUTH2 message has no 'user='")
        return user, _bearer_token(pairs, self.name)


class OAuthBearerServer(_TokenServer):
    """OAUTHBEARER (RFC 7628), checked with :meth:`Authenticator.check_token`.

    The identity passed to ``check_token`` (and reported in :class:`Success`) is the GS2
    ``a=`` authorization identity, which may be empty. A refused token gets the JSON ``error``
    challenge; the exchange fails after the client's ``^A`` answer (RFC 7628 section 3.2.3).
    """

    name = "OAUTHBEARER"

    def __init__(self, authenticator: Authenticator, *, error: bytes = OAUTHBEARER_ERROR) -> None:
        super().__init__(authenticator, error)

    def _parse(self, message: str) -> tuple[str, str]:
        flag, comma, rest = message.partition(",")
        authz, comma2, rest = rest.partition(",")
        if not comma or not comma2:
            raise SASLError("the OAUTHBEARER message has no GS2 header")
        if flag.startswith("p="):
            raise SASLError("OAUTHBEARER does not support channel binding")
        if flag not in ("n", "y"):
            raise SASLError(f"unknown GS2 channel-binding flag {flag[:20]!r}")
        authzid = ""
        if authz:
            if not authz.startswith("a="):
                raise SASLError("malformed authorization identity in the OAUTHBEARER header")
            authzid = unescape_saslname(authz[2:])
        if len(rest) < 3 or not rest.startswith(_KVSEP) or not rest.endswith("\x01\x01"):
            raise SASLError("the OAUTHBEARER key=value pairs must be framed by ^A")
        pairs = _parse_pairs(rest[1:-2], self.name)
        return authzid, _bearer_token(pairs, self.name)
