"""The server application's side of SASL: the :class:`Authenticator` callbacks."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._base import Secret
from ._saslprep import prepare

__all__ = ["Authenticator", "PasswordAuthenticator", "ScramCredentials"]


@dataclass(frozen=True, slots=True)
class ScramCredentials:
    """What a SCRAM server stores for a user instead of the password (RFC 5802 section 3).

    :param salt: the salt the client hashes the password with.
    :param iterations: the PBKDF2 iteration count.
    :param stored_key: ``H(ClientKey)``; verifies the client's proof.
    :param server_key: ``HMAC(SaltedPassword, "Server Key")``; signs the server's answer.
    """

    salt: bytes
    iterations: int
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)

    @classmethod
    def from_password(
        cls, password: str | Secret, hash_name: str, *, salt: bytes, iterations: int = 4096
    ) -> ScramCredentials:
        """Derive the credentials from a password.

        :param hash_name: the :mod:`hashlib` name, ``"sha1"`` or ``"sha256"``.
        """
        plain = password.reveal() if isinstance(password, Secret) else password
        salted = salted_password(plain, hash_name, salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", hash_name)
        return cls(
            salt=salt,
            iterations=iterations,
            stored_key=hashlib.new(hash_name, client_key).digest(),
            server_key=hmac.digest(salted, b"Server Key", hash_name),
        )


def salted_password(password: str, hash_name: str, salt: bytes, iterations: int) -> bytes:
    """``Hi(Normalize(password), salt, i)`` of RFC 5802: PBKDF2 over the SASLprepped password."""
    secret = prepare(password).encode("utf-8", "surrogatepass")
    return hashlib.pbkdf2_hmac(hash_name, secret, salt, iterations)


class Authenticator:
    """The callbacks through which a server mechanism asks the application about credentials.

    Subclass it and override what your mechanisms need; every default refuses. Names arrive as
    the client sent them (SCRAM's are already SASLprepped by the client).
    """

    def check_password(self, authcid: str, password: Secret, authzid: str) -> bool:
        """PLAIN, LOGIN: is ``password`` right for ``authcid``? Compare in constant time."""
        del authcid, password, authzid
        return False

    def lookup_password(self, authcid: str) -> Secret | None:
        """CRAM-MD5 (and POP3 APOP): the user's plain password, or ``None`` if unknown."""
        del authcid
        return None

    def scram_credentials(self, authcid: str, hash_name: str) -> ScramCredentials | None:
        """SCRAM: the stored credentials for ``hash_name`` (``"sha1"``/``"sha256"``), or None."""
        del authcid, hash_name
        return None

    def scram_decoy_salt(self, authcid: str, random_bytes: Callable[[int], bytes]) -> bytes:
        """SCRAM, for a user :meth:`scram_credentials` does not know: the salt to show.

        It must not betray that the user is unknown: the same name gets the same salt each
        time, as a real user's stored salt would. The default derives it from the name and a
        secret drawn once from ``random_bytes`` (the mechanism's random source) and kept on
        this authenticator; override it to keep the secret elsewhere (several server
        processes should share one).
        """
        secret = self.__dict__.get("_scram_decoy_secret")
        if secret is None:
            secret = self.__dict__.setdefault("_scram_decoy_secret", random_bytes(32))
        return hmac.digest(secret, authcid.encode("utf-8"), "sha256")[:16]

    def check_token(self, authcid: str, token: Secret) -> bool:
        """XOAUTH2, OAUTHBEARER: is the bearer ``token`` valid for ``authcid``?"""
        del authcid, token
        return False

    def check_external(self, authzid: str, identity: str | None) -> str | None:
        """EXTERNAL: the authenticated identity for the transport's ``identity``, or ``None``.

        :param authzid: the identity the client asked for (``""``: derive it from ``identity``).
        :param identity: what the transport established (a TLS client certificate's subject,
            a Unix socket peer, ...), as passed to ``server_mechanism(external_identity=...)``.
        """
        del authzid, identity
        return None

    def authorize(self, authcid: str, authzid: str) -> bool:
        """May ``authcid`` act as ``authzid``? By default only as itself."""
        return authzid in ("", authcid)


class PasswordAuthenticator(Authenticator):
    """An :class:`Authenticator` over a ``{user: password}`` mapping; handy for tests and small
    servers, and supporting every mechanism.

    Names are compared after SASLprep. A bearer token is checked like a password, and EXTERNAL
    accepts a transport identity that names a known user. SCRAM credentials are derived on
    first use with a random salt and kept.
    """

    def __init__(
        self,
        passwords: Mapping[str, str | Secret],
        *,
        scram_iterations: int = 4096,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._passwords = {
            prepare(user): value if isinstance(value, Secret) else Secret(value)
            for user, value in passwords.items()
        }
        self._iterations = scram_iterations
        self._random_bytes = random_bytes
        self._scram: dict[tuple[str, str], ScramCredentials] = {}

    def _matches(self, authcid: str, given: Secret) -> bool:
        stored = self._passwords.get(prepare(authcid))
        expected = prepare(stored.reveal() if stored is not None else "\x00")
        ok = hmac.compare_digest(
            expected.encode("utf-8", "surrogatepass"),
            prepare(given.reveal()).encode("utf-8", "surrogatepass"),
        )
        return ok and stored is not None

    def check_password(self, authcid: str, password: Secret, authzid: str) -> bool:
        del authzid
        return self._matches(authcid, password)

    def lookup_password(self, authcid: str) -> Secret | None:
        return self._passwords.get(prepare(authcid))

    def scram_credentials(self, authcid: str, hash_name: str) -> ScramCredentials | None:
        user = prepare(authcid)
        stored = self._passwords.get(user)
        if stored is None:
            return None
        key = (user, hash_name)
        credentials = self._scram.get(key)
        if credentials is None:
            credentials = ScramCredentials.from_password(
                stored, hash_name, salt=self._random_bytes(16), iterations=self._iterations
            )
            self._scram[key] = credentials
        return credentials

    def check_token(self, authcid: str, token: Secret) -> bool:
        return self._matches(authcid, token)

    def check_external(self, authzid: str, identity: str | None) -> str | None:
        if identity is None or prepare(identity) not in self._passwords:
            return None
        return identity if self.authorize(identity, authzid) else None
