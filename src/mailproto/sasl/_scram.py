"""SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), without channel binding."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from typing import Final

from ..errors import SASLError
from ._auth import Authenticator, ScramCredentials, salted_password
from ._base import (
    Challenge,
    ClientMechanism,
    Secret,
    ServerMechanism,
    Success,
    authentication_failed,
    decode_text,
)
from ._saslprep import prepare

__all__ = [
    "SCRAM_HASHES",
    "ScramClient",
    "ScramServer",
    "escape_saslname",
    "unescape_saslname",
]

#: Mechanism name to :mod:`hashlib` name.
SCRAM_HASHES: Final = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}

#: RFC 5802: printable ASCII except ",".
_NONCE = re.compile(r"[\x21-\x2b\x2d-\x7e]+")
_DIGITS = re.compile(r"[1-9][0-9]{0,9}")
_BAD_ESCAPE = re.compile(r"=(?!2C|3D)")


def escape_saslname(name: str) -> str:
    """Escape ``=`` and ``,`` in a SCRAM/GS2 name as ``=3D`` and ``=2C``."""
    return name.replace("=", "=3D").replace(",", "=2C")


def unescape_saslname(value: str) -> str:
    """Undo :func:`escape_saslname`; any other ``=`` is an error."""
    if _BAD_ESCAPE.search(value):
        raise SASLError("a SCRAM name contains '=' that is not =2C or =3D")
    return value.replace("=2C", ",").replace("=3D", "=")


def _b64decode(value: str, what: str) -> bytes:
    try:
        return binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError):
        raise SASLError(f"the SCRAM {what} is not valid base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _make_nonce(random_bytes: Callable[[int], bytes]) -> str:
    return _b64(random_bytes(18))


def _xor(left: bytes, right: bytes) -> bytes:
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(len(left), "big")


def _attributes(message: str, what: str) -> list[tuple[str, str]]:
    """Split ``a=1,b=2`` into pairs, refusing anything that is not ``letter=value``."""
    pairs = []
    for item in message.split(","):
        if len(item) < 2 or item[1] != "=" or not ("a" <= item[0] <= "z" or "A" <= item[0] <= "Z"):
            raise SASLError(f"malformed attribute {item[:20]!r} in the SCRAM {what}")
        pairs.append((item[0], item[2:]))
    return pairs


class ScramClient(ClientMechanism):
    """The client side of SCRAM-SHA-1 / SCRAM-SHA-256.

    :param nonce: the client nonce (printable ASCII without ``,``); by default 18 random bytes
        in base64. Give it only to reproduce a recorded exchange.
    :param min_iterations: refuse a server that asks for fewer PBKDF2 iterations (RFC 7677
        recommends at least 4096), since a man in the middle could lower the count.
    :param max_iterations: refuse a server that asks for more, which would keep the client busy.
    """

    def __init__(
        self,
        name: str,
        username: str,
        password: str | Secret,
        authzid: str = "",
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        nonce: str | None = None,
        min_iterations: int = 4096,
        max_iterations: int = 10_000_000,
    ) -> None:
        hash_name = SCRAM_HASHES.get(name.upper())
        if hash_name is None:
            raise ValueError(f"not a SCRAM mechanism: {name!r}")
        self.name = name.upper()
        self._hash = hash_name
        self._password = password if isinstance(password, Secret) else Secret(password)
        self._nonce = _make_nonce(random_bytes) if nonce is None else nonce
        if not _NONCE.fullmatch(self._nonce):
            raise ValueError("a SCRAM nonce is printable ASCII without ','")
        self._min_iterations = min_iterations
        self._max_iterations = max_iterations
        authz = f"a={escape_saslname(authzid)}" if authzid else ""
        self._gs2_header = f"n,{authz},"
        self._first_bare = f"n={escape_saslname(prepare(username))},r={self._nonce}"
        self._server_signature: bytes | None = None
        self._verified = False
        self._state = "first"  # first -> server-first -> server-final -> done

    @property
    def complete(self) -> bool:
        return self._state == "done"

    def initial_response(self) -> bytes | None:
        if self._state != "first":
            raise SASLError("the SCRAM client-first message was already sent")
        self._state = "server-first"
        return (self._gs2_header + self._first_bare).encode("utf-8")

    def respond(self, challenge: bytes) -> bytes:
        if self._state == "first":
            if challenge:
                raise SASLError("the server sent data before the SCRAM client-first message")
            response = self.initial_response()
            return response if response is not None else b""
        if self._state == "server-first":
            return self._client_final(decode_text(challenge, "SCRAM server-first message"))
        if self._state == "server-final":
            self._check_server_final(challenge)
            return b""
        raise SASLError("unexpected challenge after the SCRAM exchange finished")

    def _client_final(self, server_first: str) -> bytes:
        attributes = _attributes(server_first, "server-first message")
        if attributes[0][0] == "m":
            raise SASLError("the server requires a SCRAM extension this client does not know")
        if len(attributes) < 3 or [key for key, _ in attributes[:3]] != ["r", "s", "i"]:
            raise SASLError("the SCRAM server-first message must hold r=, s= and i=")
        nonce, salt_b64, count = (value for _, value in attributes[:3])
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise SASLError("the server's SCRAM nonce does not extend the client's nonce")
        if not _NONCE.fullmatch(nonce):
            raise SASLError("the server's SCRAM nonce holds characters a nonce may not")
        salt = _b64decode(salt_b64, "salt")
        if not _DIGITS.fullmatch(count):
            raise SASLError("the SCRAM iteration count is not a positive number")
        iterations = int(count)
        if iterations < self._min_iterations:
            raise SASLError(
                f"the server asked for {iterations} SCRAM iterations; at least "
                f"{self._min_iterations} are required"
            )
        if iterations > self._max_iterations:
            raise SASLError(
                f"the server asked for {iterations} SCRAM iterations; at most "
                f"{self._max_iterations} are allowed"
            )
        channel_binding = _b64(self._gs2_header.encode("utf-8"))
        without_proof = f"c={channel_binding},r={nonce}"
        auth_message = f"{self._first_bare},{server_first},{without_proof}".encode()
        salted = salted_password(self._password.reveal(), self._hash, salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        proof = _xor(client_key, hmac.digest(stored_key, auth_message, self._hash))
        server_key = hmac.digest(salted, b"Server Key", self._hash)
        self._server_signature = hmac.digest(server_key, auth_message, self._hash)
        self._state = "server-final"
        return f"{without_proof},p={_b64(proof)}".encode()

    def _check_server_final(self, data: bytes) -> None:
        text = decode_text(data, "SCRAM server-final message")
        if text.startswith("e="):
            self._state = "done"
            raise SASLError(f"the server refused the SCRAM authentication: {text[2:]}")
        attributes = _attributes(text, "server-final message")
        if attributes[0][0] != "v":
            raise SASLError("the SCRAM server-final message has no v= signature")
        signature = _b64decode(attributes[0][1], "server signature")
        expected = self._server_signature or b""
        self._state = "done"
        if not hmac.compare_digest(signature, expected):
            raise SASLError("the server's SCRAM signature is wrong: it does not know the password")
        self._verified = True

    def verify(self, success_data: bytes | None) -> None:
        """Check the server's signature (``v=...``), unless :meth:`respond` already did.

        :raises SASLError: the signature is wrong, or the server never sent one.
        """
        if success_data:
            if self._state == "server-final":
                self._check_server_final(success_data)
                return
            if self._verified and self._server_signature is not None:
                # Sent again with the final success (IMAP): it must be the same signature.
                expected = f"v={_b64(self._server_signature)}".encode()
                if not hmac.compare_digest(success_data, expected):
                    raise SASLError("the server's SCRAM signature is wrong")
                return
            raise SASLError("SCRAM success data arrived before the exchange reached its end")
        if not self._verified:
            raise SASLError("the server reported success without proving it knows the password")


class ScramServer(ServerMechanism):
    """The server side of SCRAM-SHA-1 / SCRAM-SHA-256, using
    :meth:`Authenticator.scram_credentials`.

    Only the ``n`` and ``y`` channel-binding flags are accepted: this server offers no
    ``-PLUS`` variant, so a client asking for channel binding (``p=``) is refused. An unknown
    user gets a made-up salt that stays the same for that name
    (:meth:`Authenticator.scram_decoy_salt`) and fails only at the proof, so a client cannot
    probe for names.

    :param nonce: the server's part of the nonce; by default 18 random bytes in base64.
    """

    def __init__(
        self,
        name: str,
        authenticator: Authenticator,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
        nonce: str | None = None,
    ) -> None:
        super().__init__()
        hash_name = SCRAM_HASHES.get(name.upper())
        if hash_name is None:
            raise ValueError(f"not a SCRAM mechanism: {name!r}")
        self.name = name.upper()
        self._hash = hash_name
        self._authenticator = authenticator
        self._random_bytes = random_bytes
        self._server_nonce = nonce
        if nonce is not None and not _NONCE.fullmatch(nonce):
            raise ValueError("a SCRAM nonce is printable ASCII without ','")
        self._expecting_final = False
        self._gs2_header = ""
        self._authzid = ""
        self._username = ""
        self._first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._credentials: ScramCredentials | None = None

    def _start(self, initial_response: bytes | None) -> Challenge | Success:
        if initial_response is None:
            return Challenge(b"")
        return self._step(initial_response)

    def _step(self, response: bytes) -> Challenge | Success:
        if self._expecting_final:
            return self._client_final(decode_text(response, "SCRAM client-final message"))
        return self._client_first(decode_text(response, "SCRAM client-first message"))

    def _client_first(self, message: str) -> Challenge:
        flag, comma, rest = message.partition(",")
        authz, comma2, bare = rest.partition(",")
        if not comma or not comma2:
            raise SASLError("the SCRAM client-first message has no GS2 header")
        if flag.startswith("p="):
            raise SASLError(
                f"the client asked for channel binding ({flag[2:]!r}), which this server does "
                f"not offer for {self.name}"
            )
        if flag not in ("n", "y"):
            raise SASLError(f"unknown SCRAM channel-binding flag {flag[:20]!r}")
        if authz:
            if not authz.startswith("a="):
                raise SASLError("malformed authorization identity in the SCRAM GS2 header")
            self._authzid = unescape_saslname(authz[2:])
        attributes = _attributes(bare, "client-first message")
        if attributes[0][0] == "m":
            raise SASLError("the client requires a SCRAM extension this server does not know")
        if len(attributes) < 2 or attributes[0][0] != "n" or attributes[1][0] != "r":
            raise SASLError("the SCRAM client-first message must begin with n= and r=")
        username = unescape_saslname(attributes[0][1])
        client_nonce = attributes[1][1]
        if not username:
            raise SASLError("empty user name in the SCRAM client-first message")
        if not _NONCE.fullmatch(client_nonce):
            raise SASLError("the client's SCRAM nonce holds characters a nonce may not")
        self._gs2_header = f"{flag},{authz},"
        self._username = username
        self._first_bare = bare
        self._credentials = self._authenticator.scram_credentials(username, self._hash)
        if self._credentials is None:
            # Fails at the proof, like a wrong password; the salt gives nothing away.
            salt = self._authenticator.scram_decoy_salt(username, self._random_bytes)
            iterations = 4096
        else:
            salt, iterations = self._credentials.salt, self._credentials.iterations
        server_nonce = self._server_nonce or _make_nonce(self._random_bytes)
        self._nonce = client_nonce + server_nonce
        self._server_first = f"r={self._nonce},s={_b64(salt)},i={iterations}"
        self._expecting_final = True
        return Challenge(self._server_first.encode("ascii"))

    def _client_final(self, message: str) -> Success:
        without_proof, separator, proof_b64 = message.rpartition(",p=")
        if not separator:
            raise SASLError("the SCRAM client-final message has no proof (p=)")
        attributes = _attributes(without_proof, "client-final message")
        if len(attributes) < 2 or attributes[0][0] != "c" or attributes[1][0] != "r":
            raise SASLError("the SCRAM client-final message must begin with c= and r=")
        channel_binding = _b64decode(attributes[0][1], "channel binding")
        if channel_binding != self._gs2_header.encode("utf-8"):
            raise SASLError("the SCRAM channel binding does not repeat the GS2 header")
        if attributes[1][1] != self._nonce:
            raise SASLError("the SCRAM nonce in the client-final message is not the one agreed")
        proof = _b64decode(proof_b64, "client proof")
        credentials = self._credentials
        size = hashlib.new(self._hash).digest_size
        if len(proof) != size:
            raise SASLError(f"the SCRAM client proof must be {size} bytes")
        auth_message = f"{self._first_bare},{self._server_first},{without_proof}".encode()
        stored_key = credentials.stored_key if credentials is not None else bytes(size)
        client_key = _xor(proof, hmac.digest(stored_key, auth_message, self._hash))
        computed = hashlib.new(self._hash, client_key).digest()
        if not hmac.compare_digest(computed, stored_key) or credentials is None:
            raise authentication_failed()
        if not self._authenticator.authorize(self._username, self._authzid):
            raise SASLError(f"{self._username!r} may not act as {self._authzid!r}")
        signature = hmac.digest(credentials.server_key, auth_message, self._hash)
        return Success(
            authcid=self._username,
            authzid=self._authzid,
            data=f"v={_b64(signature)}".encode("ascii"),
        )
