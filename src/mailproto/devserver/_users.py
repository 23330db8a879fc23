"""The development server's users: login names, passwords and the mailboxes they own."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterable

from ..sasl import PasswordAuthenticator, Secret

__all__ = ["UserTable", "parse_user_spec"]


def parse_user_spec(spec: str) -> tuple[str, str]:
    """Split a ``NAME:PASSWORD`` command-line value (the password may contain ``:``).

    >>> parse_user_spec("bea@b.example:s3cr:et")
    ('bea@b.example', 's3cr:et')

    :raises ValueError: there is no ``:``, or the name is empty or holds white space.
    """
    name, sep, password = spec.partition(":")
    if not sep:
        raise ValueError(f"{spec!r} is not NAME:PASSWORD")
    if not name or any(ch.isspace() for ch in name):
        raise ValueError(f"{name!r} is not a valid user name")
    return name, password


class UserTable:
    """Users and their passwords; each user owns the mailbox named by the (lower-cased) login.

    A login is either a bare name (``bea``) or an address (``bea@b.example``). Mail for an
    address reaches the user whose login is that address, or else the user whose bare login is
    the address's local part (see :meth:`owner_of`).

    :param users: ``(name, password)`` pairs to start with.
    """

    def __init__(self, users: Iterable[tuple[str, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._passwords: dict[str, Secret] = {}
        self._names: dict[str, str] = {}
        for name, password in users:
            self.add(name, password)

    def add(self, name: str, password: str | Secret) -> None:
        """Add a user, or change the password of an existing one."""
        secret = password if isinstance(password, Secret) else Secret(password)
        with self._lock:
            self._passwords[name] = secret
            self._names[name.lower()] = name

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._names

    def __len__(self) -> int:
        return len(self._names)

    def __bool__(self) -> bool:
        return bool(self._names)

    @property
    def names(self) -> list[str]:
        """The logins, sorted."""
        return sorted(self._passwords)

    def password(self, name: str) -> Secret | None:
        """The password of ``name`` (case-insensitive), or ``None`` for an unknown user."""
        real = self._names.get(name.lower())
        return None if real is None else self._passwords[real]

    def check(self, name: str, password: str) -> bool:
        """Whether ``password`` is right for ``name`` (compared in constant time)."""
        secret = self.password(name)
        if secret is None:
            return False
        return hmac.compare_digest(secret.reveal().encode("utf-8"), password.encode("utf-8"))

    def mailbox_of(self, name: str) -> str:
        """The mailbox that the user ``name`` reads."""
        return name.lower()

    def owner_of(self, address: str) -> str | None:
        """The login that owns mail for ``address``, or ``None`` if no user does."""
        key = address.lower()
        if key in self._names:
            return self._names[key]
        local, at, _ = key.rpartition("@")
        if at and local in self._names:
            return self._names[local]
        return None

    def authenticator(self) -> PasswordAuthenticator:
        """A SASL authenticator over these users (PLAIN, LOGIN, CRAM-MD5, SCRAM, ...)."""
        with self._lock:
            return PasswordAuthenticator(dict(self._passwords))
