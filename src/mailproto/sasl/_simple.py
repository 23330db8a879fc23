"""PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195) and EXTERNAL (RFC 4422 appendix A)."""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Callable
from typing import Final

from ..errors import SASLError
from ._auth import Authenticator
from ._base import (
    Challenge,
    ClientMechanism,
    OneMessageClient,
    Secret,
    ServerMechanism,
    Success,
    authentication_failed,
    decode_text,
)

__all__ = [
    "CramMD5Client",
    "CramMD5Server",
    "ExternalClient",
    "ExternalServer",
    "LoginClient",
    "LoginServer",
    "PlainClient",
    "PlainServer",
]

_HEX_DIGEST = re.compile(r"[0-9a-f]{32}")
LOGIN_USERNAME: Final = b"Username:"
LOGIN_PASSWORD: Final = b"Password:"


def _authorize(authenticator: Authenticator, authcid: str, authzid: str) -> Success:
    if not authenticator.authorize(authcid, authzid):
        raise SASLError(f"{authcid!r} may not act as {authzid!r}")
    return Success(authcid=authcid, authzid=authzid)


# -- PLAIN ------------------------------------------------------------------------------------


class PlainClient(OneMessageClient):
    """PLAIN: ``authzid NUL authcid NUL password`` in one message (use it only over TLS)."""

    name = "PLAIN"

    def __init__(self, username: str, password: str | Secret, authzid: str = "") -> None:
        for label, value in (("user name", username), ("authorization identity", authzid)):
            if "\x00" in value:
                raise ValueError(f"the {label} must not contain NUL")
        secret = password if isinstance(password, Secret) else Secret(password)
        if not username or not secret.reveal() or "\x00" in secret.reveal():
            raise ValueError("PLAIN needs a user name and a password without NUL")
        super().__init__(
            b"\x00".join(part.encode("utf-8") for part in (authzid, username, secret.reveal()))
        )


class PlainServer(ServerMechanism):
    """PLAIN, checked with :meth:`Authenticator.check_password`."""

    name = "PLAIN"

    def __init__(self, authenticator: Authenticator) -> None:
        super().__init__()
        self._authenticator = authenticator

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is None:
            return Challenge(b"")
        return self._step(initial_response)

    def _step(self, response: bytes) -> Challenge | Success:
        parts = decode_text(response, "PLAIN message").split("\x00")
        if len(parts) != 3:
            raise SASLError("a PLAIN message is authzid NUL authcid NUL password")
        authzid, authcid, password = parts
        if not authcid or not password:
            raise SASLError("a PLAIN message needs a user name and a password")
        if not self._authenticator.check_password(authcid, Secret(password), authzid):
            raise authentication_failed()
        return _authorize(self._authenticator, authcid, authzid)


# -- LOGIN ------------------------------------------------------------------------------------


class LoginClient(ClientMechanism):
    """LOGIN: the user name, then the password, each in answer to a challenge."""

    name = "LOGIN"

    def __init__(self, username: str, password: str | Secret) -> None:
        self._answers = [
            username.encode("utf-8"),
            (password.reveal() if isinstance(password, Secret) else password).encode("utf-8"),
        ]
        self._round = 0

    @property
    def complete(self) -> bool:
        return self._round >= 2

    def initial_response(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        del challenge  # servers word the prompts differently; the order is what counts
        if self._round >= 2:
            raise SASLError("unexpected third challenge from the server in a LOGIN exchange")
        answer = self._answers[self._round]
        self._round += 1
        return answer


class LoginServer(ServerMechanism):
    """LOGIN: challenges ``Username:`` and ``Password:``; an initial response is the user name."""

    name = "LOGIN"

    def __init__(self, authenticator: Authenticator) -> None:
        super().__init__()
        self._authenticator = authenticator
        self._username: str | None = None

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is None:
            return Challenge(LOGIN_USERNAME)
        return self._step(initial_response)

    def _step(self, response: bytes) -> Challenge | Success:
        if self._username is None:
            username = decode_text(response, "user name")
            if not username:
                raise SASLError("empty user name in a LOGIN exchange")
            self._username = username
            return Challenge(LOGIN_PASSWORD)
        password = decode_text(response, "password")
        if not self._authenticator.check_password(self._username, Secret(password), ""):
            raise authentication_failed()
        return _authorize(self._authenticator, self._username, "")


# -- CRAM-MD5 ---------------------------------------------------------------------------------


class CramMD5Client(ClientMechanism):
    """CRAM-MD5: answers the server's challenge with ``user SP hex(HMAC-MD5(password, it))``."""

    name = "CRAM-MD5"

    def __init__(self, username: str, password: str | Secret) -> None:
        self._username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self._done = False

    @property
    def complete(self) -> bool:
        return self._done

    def initial_response(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        if self._done:
            raise SASLError("unexpected second challenge from the server in CRAM-MD5")
        if not challenge:
            raise SASLError("the server sent an empty CRAM-MD5 challenge")
        self._done = True
        key = self._password.reveal().encode("utf-8")
        digest = hmac.new(key, challenge, "md5").hexdigest()
        return f"{self._username} {digest}".encode()


class CramMD5Server(ServerMechanism):
    """CRAM-MD5, checked against :meth:`Authenticator.lookup_password`.

    :param challenge: the challenge to send (normally generated as
        ``<random.random@hostname>``; given explicitly to reproduce a recorded exchange).
    """

    name = "CRAM-MD5"

    def __init__(
        self,
        authenticator: Authenticator,
        *,
        hostname: str = "localhost",
        random_bytes: Callable[[int], bytes] = os.urandom,
        challenge: bytes | None = None,
    ) -> None:
        super().__init__()
        self._authenticator = authenticator
        if challenge is None:
            first = int.from_bytes(random_bytes(8), "big")
            second = int.from_bytes(random_bytes(4), "big")
            challenge = f"<{first}.{second}@{hostname}>".encode()
        self._challenge = challenge

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is not None:
            raise SASLError("CRAM-MD5 does not allow an initial response")
        return Challenge(self._challenge)

    def _step(self, response: bytes) -> Challenge | Success:
        username, _, digest = decode_text(response, "CRAM-MD5 response").rpartition(" ")
        if not username or not _HEX_DIGEST.fullmatch(digest):
            raise SASLError("a CRAM-MD5 response is the user name, a space and 32 hex digits")
        password = self._authenticator.lookup_password(username)
        key = (password.reveal() if password is not None else "").encode("utf-8")
        expected = hmac.new(key, self._challenge, "md5").hexdigest()
        if not hmac.compare_digest(expected, digest) or password is None:
            raise authentication_failed()
        return _authorize(self._authenticator, username, "")


# -- EXTERNAL ---------------------------------------------------------------------------------


class ExternalClient(OneMessageClient):
    """EXTERNAL: the transport (a TLS client certificate, ...) authenticates; the client only
    names the identity it wants to act as (``""``: the one the transport established)."""

    name = "EXTERNAL"

    def __init__(self, authzid: str = "") -> None:
        super().__init__(authzid.encode("utf-8"))


class ExternalServer(ServerMechanism):
    """EXTERNAL, decided by :meth:`Authenticator.check_external`."""

    name = "EXTERNAL"

    def __init__(self, authenticator: Authenticator, identity: str | None) -> None:
        super().__init__()
        self._authenticator = authenticator
        self._identity = identity

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is None:
            return Challenge(b"")
        return self._step(initial_response)

    def _step(self, response: bytes) -> Challenge | Success:
        authzid = decode_text(response, "authorization identity")
        if "\x00" in authzid:
            raise SASLError("the EXTERNAL authorization identity contains NUL")
        authcid = self._authenticator.check_external(authzid, self._identity)
        if authcid is None:
            raise authentication_failed()
        return Success(authcid=authcid, authzid=authzid)
