"""SASL mechanisms as small sans-I/O exchanges, shared by SMTP, POP3 and IMAP.

Each mechanism is an object that turns decoded challenges into decoded responses (client) or
responses into challenges and a final :class:`Success` (server). The protocol connections do the
framing: base64 lines through :func:`encode_sasl` and :func:`decode_sasl`, ``*`` to cancel.

Client::

    mech = client_mechanism("SCRAM-SHA-256", username="tim", password=Secret("..."))
    first = mech.initial_response()          # bytes, or None for LOGIN and CRAM-MD5
    reply = mech.respond(challenge)          # for each decoded server challenge
    mech.verify(success_data)                # checks SCRAM's server signature

Server::

    mech = server_mechanism("SCRAM-SHA-256", PasswordAuthenticator({"tim": "..."}))
    result = mech.start(initial_response)    # Challenge or Success
    while isinstance(result, Challenge):
        result = mech.step(next_decoded_response)
    # Success(authcid=..., authzid=..., data=...); failures raise SASLError

The server side learns about users only through an :class:`Authenticator`, whose methods the
application overrides (or :class:`PasswordAuthenticator` for a fixed table). Secrets travel as
:class:`Secret` and are compared in constant time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Final

from ._auth import Authenticator, PasswordAuthenticator, ScramCredentials
from ._base import (
    SASL_CANCEL,
    Challenge,
    ClientMechanism,
    SASLCancelled,
    Secret,
    ServerMechanism,
    Success,
    decode_sasl,
    encode_sasl,
)
from ._oauth import (
    OAUTHBEARER_ERROR,
    XOAUTH2_ERROR,
    OAuthBearerClient,
    OAuthBearerServer,
    XOAuth2Client,
    XOAuth2Server,
)
from ._saslprep import saslprep
from ._scram import ScramClient, ScramServer, escape_saslname, unescape_saslname
from ._simple import (
    CramMD5Client,
    CramMD5Server,
    ExternalClient,
    ExternalServer,
    LoginClient,
    LoginServer,
    PlainClient,
    PlainServer,
)

__all__ = [
    "OAUTHBEARER_ERROR",
    "SASL_CANCEL",
    "SERVER_MECHANISMS",
    "XOAUTH2_ERROR",
    "Authenticator",
    "Challenge",
    "ClientMechanism",
    "CramMD5Client",
    "CramMD5Server",
    "ExternalClient",
    "ExternalServer",
    "LoginClient",
    "LoginServer",
    "OAuthBearerClient",
    "OAuthBearerServer",
    "PasswordAuthenticator",
    "PlainClient",
    "PlainServer",
    "SASLCancelled",
    "ScramClient",
    "ScramCredentials",
    "ScramServer",
    "Secret",
    "ServerMechanism",
    "Success",
    "XOAuth2Client",
    "XOAuth2Server",
    "choose_mechanism",
    "client_mechanism",
    "decode_sasl",
    "encode_sasl",
    "escape_saslname",
    "saslprep",
    "server_mechanism",
    "unescape_saslname",
]

#: Every mechanism name :func:`server_mechanism` (and :func:`client_mechanism`) accepts.
SERVER_MECHANISMS: Final = (
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "CRAM-MD5",
    "PLAIN",
    "LOGIN",
    "XOAUTH2",
    "OAUTHBEARER",
    "EXTERNAL",
)

_PASSWORD_STRONG: Final = ("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5")
_TOKEN: Final = ("OAUTHBEARER", "XOAUTH2")
_PASSWORD_PLAIN: Final = ("PLAIN", "LOGIN")


def client_mechanism(
    name: str,
    *,
    username: str,
    password: str | Secret | None = None,
    authzid: str = "",
    token: str | Secret | None = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
    host: str | None = None,
    port: int | None = None,
) -> ClientMechanism:
    """Create the client side of mechanism ``name`` (case-insensitive).

    :param username: the authentication identity (for OAUTHBEARER, sent as the ``a=``
        identity unless ``authzid`` is given; for EXTERNAL, ignored).
    :param password: for SCRAM-SHA-1, SCRAM-SHA-256, CRAM-MD5, PLAIN and LOGIN.
    :param authzid: the identity to act as, where the mechanism can say so (PLAIN, SCRAM,
        OAUTHBEARER, EXTERNAL); ``""`` means the user itself.
    :param token: the OAuth 2.0 bearer token, for XOAUTH2 and OAUTHBEARER.
    :param random_bytes: the random source for SCRAM's nonce.
    :param host: for OAUTHBEARER, the server name connected to (optional).
    :param port: for OAUTHBEARER, the port connected to (optional).
    :raises ValueError: unknown mechanism, or a credential it needs is missing.
    """
    upper = name.upper()
    if upper in _TOKEN:
        if token is None:
            raise ValueError(f"{upper} needs a token")
        if upper == "XOAUTH2":
            return XOAuth2Client(username, token)
        return OAuthBearerClient(authzid or username, token, host=host, port=port)
    if upper == "EXTERNAL":
        return ExternalClient(authzid)
    if upper not in SERVER_MECHANISMS:
        raise ValueError(f"unknown SASL mechanism {name!r}")
    if password is None:
        raise ValueError(f"{upper} needs a password")
    if upper.startswith("SCRAM-"):
        return ScramClient(upper, username, password, authzid, random_bytes=random_bytes)
    if upper == "CRAM-MD5":
        return CramMD5Client(username, password)
    if upper == "PLAIN":
        return PlainClient(username, password, authzid)
    return LoginClient(username, password)


def server_mechanism(
    name: str,
    authenticator: Authenticator,
    *,
    hostname: str = "localhost",
    random_bytes: Callable[[int], bytes] = os.urandom,
    external_identity: str | None = None,
) -> ServerMechanism:
    """Create the server side of mechanism ``name`` (case-insensitive).

    :param authenticator: the application's credential callbacks.
    :param hostname: the server name used in CRAM-MD5 challenges.
    :param random_bytes: the random source for nonces and challenges.
    :param external_identity: for EXTERNAL, the identity the transport established (a TLS
        client certificate's subject, ...), passed to :meth:`Authenticator.check_external`.
    :raises ValueError: unknown mechanism.
    """
    upper = name.upper()
    if upper.startswith("SCRAM-") and upper in SERVER_MECHANISMS:
        return ScramServer(upper, authenticator, random_bytes=random_bytes)
    if upper == "CRAM-MD5":
        return CramMD5Server(authenticator, hostname=hostname, random_bytes=random_bytes)
    if upper == "PLAIN":
        return PlainServer(authenticator)
    if upper == "LOGIN":
        return LoginServer(authenticator)
    if upper == "XOAUTH2":
        return XOAuth2Server(authenticator)
    if upper == "OAUTHBEARER":
        return OAuthBearerServer(authenticator)
    if upper == "EXTERNAL":
        return ExternalServer(authenticator, external_identity)
    raise ValueError(f"unknown SASL mechanism {name!r}")


def choose_mechanism(
    offered: Iterable[str],
    *,
    have_password: bool = True,
    have_token: bool = False,
    allow_plaintext: bool = True,
) -> str | None:
    """Pick the strongest mechanism the server offers that the client's credentials allow.

    The order is SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5 (with a password); then OAUTHBEARER,
    XOAUTH2 (with a token); then PLAIN, LOGIN (with a password). Mechanisms that reveal the
    credential itself (bearer tokens, PLAIN, LOGIN) are chosen only if ``allow_plaintext``,
    which a client should set only when the connection is encrypted.

    :returns: the mechanism name as this module spells it, or ``None`` if nothing fits.
    """
    available = {mechanism.upper() for mechanism in offered}
    candidates: list[str] = []
    if have_password:
        candidates += _PASSWORD_STRONG
    if allow_plaintext:
        if have_token:
            candidates += _TOKEN
        if have_password:
            candidates += _PASSWORD_PLAIN
    return next((name for name in candidates if name in available), None)
