"""Behaviour of each mechanism beyond the RFC examples: framing, failures, edge cases."""

from __future__ import annotations

import base64

import pytest

from mailproto.errors import ErrorKind, SASLError
from mailproto.sasl import (
    SASL_CANCEL,
    SERVER_MECHANISMS,
    Authenticator,
    Challenge,
    ClientMechanism,
    PasswordAuthenticator,
    SASLCancelled,
    ScramClient,
    ScramServer,
    Secret,
    ServerMechanism,
    Success,
    choose_mechanism,
    client_mechanism,
    decode_sasl,
    encode_sasl,
    escape_saslname,
    server_mechanism,
    unescape_saslname,
)

USERS = PasswordAuthenticator({"tim": "tanstaaftanstaaf", "a,b=c": "pässword"})


def run(client: ClientMechanism, server: ServerMechanism) -> Success:
    """Drive a client/server pair to the end, as a protocol would."""
    result = server.start(client.initial_response())
    rounds = 0
    while isinstance(result, Challenge):
        rounds += 1
        assert rounds < 10
        result = server.step(client.respond(result.data))
    client.verify(result.data)
    return result


# -- Secret ---------------------------------------------------------------------------------------


def test_secret_hides_its_value() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "Secret('***')"
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == "hunter2"


def test_secret_compares_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert hash(Secret("x")) == hash(Secret("x"))
    with pytest.raises(TypeError):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_scram_credentials_repr_hides_keys() -> None:
    credentials = USERS.scram_credentials("tim", "sha256")
    assert credentials is not None
    assert "stored_key" not in repr(credentials)
    assert "server_key" not in repr(credentials)


# -- framing --------------------------------------------------------------------------------------


def test_encode_decode() -> None:
    assert encode_sasl(b"\x00tim\x00x") == b"AHRpbQB4"
    assert encode_sasl(b"") == b""
    assert encode_sasl(b"", initial=True) == b"="
    assert decode_sasl(b"AHRpbQB4") == b"\x00tim\x00x"
    assert decode_sasl(b"=", initial=True) == b""
    assert decode_sasl(b"") == b""


@pytest.mark.parametrize(
    "line", [b"=", b"AHRpbQB", b"AHR pbQB4", b"!!!!", b"AA==AA==", b"\xff\xfe"]
)
def test_decode_malformed(line: bytes) -> None:
    with pytest.raises(SASLError, match="base64") as info:
        decode_sasl(line)
    assert info.value.kind is ErrorKind.AUTHENTICATION


def test_decode_cancel() -> None:
    assert SASL_CANCEL == b"*"
    with pytest.raises(SASLCancelled, match="cancelled"):
        decode_sasl(b"*")
    with pytest.raises(SASLCancelled):
        decode_sasl(b"*", initial=True)


# -- factories ------------------------------------------------------------------------------------


def test_every_server_mechanism_can_be_made() -> None:
    for name in SERVER_MECHANISMS:
        assert server_mechanism(name.lower(), USERS).name == name
    with pytest.raises(ValueError, match="unknown"):
        server_mechanism("GSSAPI", USERS)


def test_client_factory_checks_credentials() -> None:
    with pytest.raises(ValueError, match="password"):
        client_mechanism("PLAIN", username="tim")
    with pytest.raises(ValueError, match="token"):
        client_mechanism("XOAUTH2", username="tim", password="x")
    with pytest.raises(ValueError, match="unknown"):
        client_mechanism("NTLM", username="tim", password="x")
    assert client_mechanism("scram-sha-1", username="tim", password="x").name == "SCRAM-SHA-1"


def test_choose_mechanism() -> None:
    everything = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2"]
    assert choose_mechanism(everything) == "SCRAM-SHA-256"
    assert choose_mechanism(["plain", "scram-sha-1"]) == "SCRAM-SHA-1"
    assert choose_mechanism(["LOGIN", "PLAIN"]) == "PLAIN"
    assert choose_mechanism(["LOGIN", "PLAIN"], allow_plaintext=False) is None
    assert choose_mechanism(["PLAIN", "CRAM-MD5"], allow_plaintext=False) == "CRAM-MD5"
    assert choose_mechanism(everything, have_password=False, have_token=True) == "XOAUTH2"
    assert (
        choose_mechanism(["XOAUTH2", "OAUTHBEARER"], have_password=False, have_token=True)
        == "OAUTHBEARER"
    )
    assert choose_mechanism(["PLAIN"], have_password=False, have_token=True) is None
    assert choose_mechanism([]) is None


# -- round trips through the factories ------------------------------------------------------------


@pytest.mark.parametrize("name", ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"])
def test_password_round_trip(name: str) -> None:
    client = client_mechanism(name, username="a,b=c", password=Secret("pässword"))
    assert run(client, server_mechanism(name, USERS)).authcid == "a,b=c"
    assert client.complete


@pytest.mark.parametrize("name", ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"])
def test_password_wrong(name: str) -> None:
    client = client_mechanism(name, username="tim", password="wrong")
    with pytest.raises(SASLError, match="authentication failed"):
        run(client, server_mechanism(name, USERS))


@pytest.mark.parametrize("name", ["SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"])
def test_unknown_user(name: str) -> None:
    client = client_mechanism(name, username="nobody", password="x")
    with pytest.raises(SASLError, match="authentication failed"):
        run(client, server_mechanism(name, USERS))


def _salt_shown(authenticator: Authenticator, user: str, seed: int) -> bytes:
    """The salt a SCRAM server's first challenge shows for ``user``."""
    server = ScramServer("SCRAM-SHA-256", authenticator, random_bytes=lambda n: bytes([seed]) * n)
    first = server.start(b"n,,n=" + user.encode() + b",r=abcdefgh")
    assert isinstance(first, Challenge)
    fields = dict(part.split("=", 1) for part in first.data.decode().split(","))
    return base64.b64decode(fields["s"])


def test_an_unknown_users_salt_does_not_change_between_attempts() -> None:
    # A random salt per attempt would tell a patient client which names do not exist.
    users = PasswordAuthenticator({"tim": "secret"})
    first = _salt_shown(users, "nobody", 1)
    assert _salt_shown(users, "nobody", 2) == first  # another attempt, other nonces
    assert _salt_shown(users, "someone", 3) != first
    assert len(first) == 16
    # Another authenticator (another secret) shows another salt for the same name.
    assert _salt_shown(PasswordAuthenticator({}), "nobody", 4) != first


@pytest.mark.parametrize("name", ["XOAUTH2", "OAUTHBEARER"])
def test_token_round_trip(name: str) -> None:
    client = client_mechanism(name, username="tim", token="tanstaaftanstaaf")
    assert run(client, server_mechanism(name, USERS)) == Success("tim", "")


def test_external() -> None:
    server = server_mechanism("EXTERNAL", USERS, external_identity="tim")
    assert run(client_mechanism("EXTERNAL", username="tim"), server) == Success("tim", "")
    server = server_mechanism("EXTERNAL", USERS, external_identity="tim")
    client = client_mechanism("EXTERNAL", username="", authzid="tim")
    assert client.initial_response() == b"tim"
    assert server.start(b"tim") == Success("tim", "tim")
    with pytest.raises(SASLError):
        server_mechanism("EXTERNAL", USERS, external_identity=None).start(b"")
    with pytest.raises(SASLError):
        server_mechanism("EXTERNAL", USERS, external_identity="tim").start(b"other")
    # without an initial response the server asks with an empty challenge
    server = server_mechanism("EXTERNAL", USERS, external_identity="tim")
    assert server.start(None) == Challenge(b"")
    assert server.step(b"") == Success("tim", "")


def test_default_authenticator_refuses_everything() -> None:
    refuser = Authenticator()
    for name in ["SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"]:
        with pytest.raises(SASLError):
            run(
                client_mechanism(name, username="tim", password="x"),
                server_mechanism(name, refuser),
            )
    for name in ["XOAUTH2", "OAUTHBEARER"]:
        with pytest.raises(SASLError):
            run(client_mechanism(name, username="tim", token="x"), server_mechanism(name, refuser))
    with pytest.raises(SASLError):
        server_mechanism("EXTERNAL", refuser, external_identity="tim").start(b"")


# -- PLAIN, LOGIN ---------------------------------------------------------------------------------


def test_plain_without_initial_response() -> None:
    server = server_mechanism("PLAIN", USERS)
    assert server.start(None) == Challenge(b"")
    client = client_mechanism("PLAIN", username="tim", password="tanstaaftanstaaf")
    assert server.step(client.respond(b"")) == Success("tim", "")


@pytest.mark.parametrize(
    "message",
    [b"tim\x00tanstaaftanstaaf", b"\x00\x00x", b"\x00tim\x00", b"\x00t\x00p\x00", b"\xff"],
)
def test_plain_malformed(message: bytes) -> None:
    with pytest.raises(SASLError):
        server_mechanism("PLAIN", USERS).start(message)


def test_login_challenges() -> None:
    server = server_mechanism("LOGIN", USERS)
    assert server.start(None) == Challenge(b"Username:")
    assert server.step(b"tim") == Challenge(b"Password:")
    assert server.step(b"tanstaaftanstaaf") == Success("tim", "")
    # the user name may come as an initial response
    server = server_mechanism("LOGIN", USERS)
    assert server.start(b"tim") == Challenge(b"Password:")
    client = client_mechanism("LOGIN", username="tim", password="p")
    assert client.initial_response() is None
    assert client.respond(b"Username:") == b"tim"
    assert client.respond(b"Password:") == b"p"
    assert client.complete
    with pytest.raises(SASLError):
        client.respond(b"What?")


# -- CRAM-MD5 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [b"tim", b"tim B913A602C7EDA7A495B4E6E7334D3890", b" b913a602c7eda7a495b4e6e7334d3890"],
)
def test_cram_md5_malformed(response: bytes) -> None:
    server = server_mechanism("CRAM-MD5", USERS)
    server.start(None)
    with pytest.raises(SASLError, match="32 hex"):
        server.step(response)


def test_cram_md5_refuses_initial_response() -> None:
    with pytest.raises(SASLError, match="initial response"):
        server_mechanism("CRAM-MD5", USERS).start(b"tim")


# -- SCRAM ----------------------------------------------------------------------------------------


def test_saslname_escaping() -> None:
    assert escape_saslname("a,b=c") == "a=2Cb=3Dc"
    assert unescape_saslname("a=2Cb=3Dc") == "a,b=c"
    assert unescape_saslname("=3D2C") == "=2C"
    for bad in ["=", "a=2", "=2c", "=41"]:
        with pytest.raises(SASLError):
            unescape_saslname(bad)


def test_scram_escapes_the_username_and_authzid() -> None:
    client = ScramClient("SCRAM-SHA-256", "a,b=c", "p", "x=y", nonce="abc")
    assert client.initial_response() == b"n,a=x=3Dy,n=a=2Cb=3Dc,r=abc"


def test_scram_channel_binding_flags() -> None:
    for flag in (b"n", b"y"):
        server = ScramServer("SCRAM-SHA-256", USERS, nonce="s")
        assert isinstance(server.start(flag + b",,n=tim,r=c"), Challenge)
    server = ScramServer("SCRAM-SHA-256", USERS)
    with pytest.raises(SASLError, match="channel binding"):
        server.start(b"p=tls-unique,,n=tim,r=c")
    with pytest.raises(SASLError, match="flag"):
        ScramServer("SCRAM-SHA-256", USERS).start(b"x,,n=tim,r=c")


def test_scram_y_flag_round_trip() -> None:
    # A client that supports channel binding but thinks the server does not sends "y"; the
    # channel-binding attribute then repeats "y,,".
    server = ScramServer("SCRAM-SHA-1", PasswordAuthenticator({"user": "pencil"}), nonce="s")
    server.start(b"y,,n=user,r=c")
    with pytest.raises(SASLError, match="GS2 header"):
        server.step(b"c=biws,r=cs,p=" + base64.b64encode(bytes(20)))


def test_scram_server_checks_nonce() -> None:
    client = ScramClient("SCRAM-SHA-256", "tim", "tanstaaftanstaaf", nonce="cnonce")
    server = ScramServer("SCRAM-SHA-256", USERS, nonce="snonce")
    first = server.start(client.initial_response())
    assert isinstance(first, Challenge)
    final = client.respond(first.data).replace(b"r=cnoncesnonce", b"r=cnonceXsnonce")
    with pytest.raises(SASLError, match="nonce"):
        server.step(final)


def test_scram_client_checks_nonce_prefix_and_iterations() -> None:
    def first(challenge: bytes, **kwargs: int) -> None:
        client = ScramClient("SCRAM-SHA-1", "user", "pencil", nonce="abc", **kwargs)  # type: ignore[arg-type]
        client.initial_response()
        client.respond(challenge)

    with pytest.raises(SASLError, match="does not extend"):
        first(b"r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096")
    with pytest.raises(SASLError, match="does not extend"):
        first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096")
    with pytest.raises(SASLError, match="at least 4096"):
        first(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=1")
    with pytest.raises(SASLError, match="at most"):
        first(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=99999", max_iterations=5000)
    with pytest.raises(SASLError, match="iteration count"):
        first(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=04096")
    with pytest.raises(SASLError, match="iteration count"):
        first(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=x")
    with pytest.raises(SASLError, match="salt"):
        first(b"r=abcdef,s=QSXCR+Q6sek8bf9,i=4096")
    with pytest.raises(SASLError, match="extension"):
        first(b"m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")
    with pytest.raises(SASLError, match="r=, s= and i="):
        first(b"s=QSXCR+Q6sek8bf92,r=abcdef,i=4096")
    first(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=1", min_iterations=1)


def test_scram_server_error_attribute() -> None:
    client = ScramClient("SCRAM-SHA-1", "user", "pencil", nonce="abc")
    client.initial_response()
    client.respond(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")
    with pytest.raises(SASLError, match="invalid-proof"):
        client.respond(b"e=invalid-proof")
    with pytest.raises(SASLError, match="without proving"):
        client.verify(None)
    with pytest.raises(SASLError):
        client.verify(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")


def test_scram_server_refuses_mandatory_extension() -> None:
    with pytest.raises(SASLError, match="extension"):
        ScramServer("SCRAM-SHA-1", USERS).start(b"n,,m=x,n=tim,r=abc")


def test_scram_without_initial_response() -> None:
    client = client_mechanism("SCRAM-SHA-1", username="tim", password="tanstaaftanstaaf")
    server = server_mechanism("SCRAM-SHA-1", USERS)
    assert server.start(None) == Challenge(b"")
    result = server.step(client.respond(b""))
    while isinstance(result, Challenge):
        result = server.step(client.respond(result.data))
    client.verify(result.data)
    assert result.authcid == "tim"


def test_scram_authzid_authorization() -> None:
    client = ScramClient("SCRAM-SHA-256", "tim", "tanstaaftanstaaf", "boss")
    with pytest.raises(SASLError, match="may not act as"):
        run(client, ScramServer("SCRAM-SHA-256", USERS))


def test_scram_uses_random_bytes_for_nonces() -> None:
    client = client_mechanism(
        "SCRAM-SHA-256", username="u", password="p", random_bytes=lambda n: b"\x00" * n
    )
    assert client.initial_response() == b"n,,n=u,r=AAAAAAAAAAAAAAAAAAAAAAAA"


def test_exchange_over_after_success_or_failure() -> None:
    server = server_mechanism("PLAIN", USERS)
    server.start(b"\x00tim\x00tanstaaftanstaaf")
    with pytest.raises(SASLError, match="over"):
        server.step(b"")
    server = server_mechanism("PLAIN", USERS)
    with pytest.raises(SASLError):
        server.start(b"\x00tim\x00bad")
    with pytest.raises(SASLError, match="over"):
        server.step(b"\x00tim\x00tanstaaftanstaaf")
    with pytest.raises(SASLError, match="already started"):
        server.start(None)
    with pytest.raises(SASLError, match="not been started"):
        server_mechanism("PLAIN", USERS).step(b"")


# -- OAuth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        b"n,,\x01auth=Bearer tok\x01",
        b"n,,auth=Bearer tok\x01\x01",
        b"n,,\x01auth=Basic tok\x01\x01",
        b"n,,\x01host=x\x01\x01",
        b"n,,\x01auth=Bearer tok\x01auth=Bearer tok\x01\x01",
        b"p=tls-unique,,\x01auth=Bearer tok\x01\x01",
        b"n,b=x,\x01auth=Bearer tok\x01\x01",
        b"n\x01auth=Bearer tok\x01\x01",
        b"n,,\x01=x\x01auth=Bearer tok\x01\x01",
    ],
)
def test_oauthbearer_malformed(message: bytes) -> None:
    with pytest.raises(SASLError):
        server_mechanism("OAUTHBEARER", USERS).start(message)


def test_oauthbearer_without_authzid() -> None:
    client = client_mechanism("OAUTHBEARER", username="", token="tok")
    assert client.initial_response() == b"n,,\x01auth=Bearer tok\x01\x01"


@pytest.mark.parametrize(
    "message", [b"user=tim\x01auth=Bearer tok\x01", b"auth=Bearer tok\x01\x01", b"user=tim\x01\x01"]
)
def test_xoauth2_malformed(message: bytes) -> None:
    with pytest.raises(SASLError):
        server_mechanism("XOAUTH2", USERS).start(message)
