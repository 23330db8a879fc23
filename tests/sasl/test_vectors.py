"""The examples printed in the RFCs (and Google's XOAUTH2 page), byte for byte."""

from __future__ import annotations

import base64

import pytest

from mailproto.errors import SASLError
from mailproto.sasl import (
    Authenticator,
    Challenge,
    CramMD5Client,
    CramMD5Server,
    OAuthBearerClient,
    OAuthBearerServer,
    PasswordAuthenticator,
    PlainClient,
    ScramClient,
    ScramCredentials,
    ScramServer,
    Secret,
    Success,
    XOAuth2Client,
    XOAuth2Server,
    client_mechanism,
    decode_sasl,
    saslprep,
    server_mechanism,
)

# -- RFC 5802 section 5 and RFC 7677 section 3 ----------------------------------------------------

SCRAM_VECTORS = [
    pytest.param(
        "SCRAM-SHA-1",
        "fyko+d2lbbFgONRv9qkxdawL",
        "3rfcNHYJY1ZVvWVs7j",
        "QSXCR+Q6sek8bf92",
        b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
        id="rfc5802",
    ),
    pytest.param(
        "SCRAM-SHA-256",
        "rOprNGfwEbeRWgbNEkqO",
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        "W22ZaJ0SNY7soEsUEjb6gQ==",
        b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        id="rfc7677",
    ),
]


class FixedScram(Authenticator):
    """Knows one user, "user", with the RFC's salt and password "pencil"."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt

    def scram_credentials(self, authcid: str, hash_name: str) -> ScramCredentials | None:
        if authcid != "user":
            return None
        return ScramCredentials.from_password("pencil", hash_name, salt=self.salt)


@pytest.mark.parametrize(
    ("mech", "cnonce", "snonce", "salt", "client_first", "server_first", "client_final", "final"),
    SCRAM_VECTORS,
)
def test_scram_client_rfc_example(
    mech: str,
    cnonce: str,
    snonce: str,
    salt: str,
    client_first: bytes,
    server_first: bytes,
    client_final: bytes,
    final: bytes,
) -> None:
    client = ScramClient(mech, "user", "pencil", nonce=cnonce)
    assert client.initial_response() == client_first
    assert not client.complete
    assert client.respond(server_first) == client_final
    client.verify(final)
    assert client.complete


@pytest.mark.parametrize(
    ("mech", "cnonce", "snonce", "salt", "client_first", "server_first", "client_final", "final"),
    SCRAM_VECTORS,
)
def test_scram_server_rfc_example(
    mech: str,
    cnonce: str,
    snonce: str,
    salt: str,
    client_first: bytes,
    server_first: bytes,
    client_final: bytes,
    final: bytes,
) -> None:
    server = ScramServer(mech, FixedScram(base64.b64decode(salt)), nonce=snonce)
    assert server.start(client_first) == Challenge(server_first)
    assert server.step(client_final) == Success(authcid="user", authzid="", data=final)


@pytest.mark.parametrize(
    ("mech", "cnonce", "snonce", "salt", "client_first", "server_first", "client_final", "final"),
    SCRAM_VECTORS,
)
def test_scram_server_final_through_respond(
    mech: str,
    cnonce: str,
    snonce: str,
    salt: str,
    client_first: bytes,
    server_first: bytes,
    client_final: bytes,
    final: bytes,
) -> None:
    # SMTP and POP3 carry the server signature in a challenge; the client answers it with an
    # empty response, and the final success carries no data.
    client = ScramClient(mech, "user", "pencil", nonce=cnonce)
    client.initial_response()
    client.respond(server_first)
    assert client.respond(final) == b""
    assert client.complete
    client.verify(None)
    client.verify(final)  # IMAP may repeat it in the tagged OK


@pytest.mark.parametrize(
    ("mech", "cnonce", "snonce", "salt", "client_first", "server_first", "client_final", "final"),
    SCRAM_VECTORS,
)
def test_scram_client_rejects_wrong_server_signature(
    mech: str,
    cnonce: str,
    snonce: str,
    salt: str,
    client_first: bytes,
    server_first: bytes,
    client_final: bytes,
    final: bytes,
) -> None:
    client = ScramClient(mech, "user", "pencil", nonce=cnonce)
    client.initial_response()
    client.respond(server_first)
    forged = final[:-6] + (b"AAAAA=" if not final.endswith(b"AAAAA=") else b"BBBBB=")
    with pytest.raises(SASLError, match="signature is wrong"):
        client.verify(forged)


def test_scram_client_rejects_success_without_signature() -> None:
    client = ScramClient("SCRAM-SHA-1", "user", "pencil", nonce="fyko+d2lbbFgONRv9qkxdawL")
    client.initial_response()
    client.respond(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
    with pytest.raises(SASLError, match="without proving"):
        client.verify(None)


# -- RFC 2195 -------------------------------------------------------------------------------------

CRAM_CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"
CRAM_RESPONSE = b"tim b913a602c7eda7a495b4e6e7334d3890"


def test_cram_md5_rfc_example_client() -> None:
    client = CramMD5Client("tim", "tanstaaftanstaaf")
    assert client.initial_response() is None
    assert (
        base64.b64encode(CRAM_CHALLENGE)
        == b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    )
    assert client.respond(CRAM_CHALLENGE) == CRAM_RESPONSE
    assert base64.b64encode(CRAM_RESPONSE) == b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    assert client.complete


def test_cram_md5_rfc_example_server() -> None:
    auth = PasswordAuthenticator({"tim": "tanstaaftanstaaf"})
    server = CramMD5Server(auth, challenge=CRAM_CHALLENGE)
    assert server.start(None) == Challenge(CRAM_CHALLENGE)
    assert server.step(CRAM_RESPONSE) == Success(authcid="tim", authzid="")


def test_cram_md5_generated_challenge_shape() -> None:
    server = server_mechanism(
        "CRAM-MD5", Authenticator(), hostname="mail.example", random_bytes=lambda n: b"\x01" * n
    )
    challenge = server.start(None)
    assert challenge == Challenge(b"<72340172838076673.16843009@mail.example>")


# -- RFC 4616 -------------------------------------------------------------------------------------


def test_plain_rfc_examples() -> None:
    assert (
        PlainClient("tim", "tanstaaftanstaaf").initial_response() == b"\x00tim\x00tanstaaftanstaaf"
    )
    assert (
        PlainClient("Kurt", "xipj3plmq", authzid="Ursel").initial_response()
        == b"Ursel\x00Kurt\x00xipj3plmq"
    )


def test_plain_rfc_examples_server() -> None:
    class KurtMayBeUrsel(PasswordAuthenticator):
        def authorize(self, authcid: str, authzid: str) -> bool:
            return authzid in ("", authcid) or (authcid, authzid) == ("Kurt", "Ursel")

    auth = KurtMayBeUrsel({"tim": "tanstaaftanstaaf", "Kurt": "xipj3plmq"})
    assert server_mechanism("PLAIN", auth).start(b"\x00tim\x00tanstaaftanstaaf") == Success(
        "tim", ""
    )
    assert server_mechanism("PLAIN", auth).start(b"Ursel\x00Kurt\x00xipj3plmq") == Success(
        "Kurt", "Ursel"
    )
    with pytest.raises(SASLError, match="may not act as"):
        server_mechanism("PLAIN", auth).start(b"Kurt\x00tim\x00tanstaaftanstaaf")


# -- RFC 4013 section 3 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("I\u00adX", "IX"),  # SOFT HYPHEN mapped to nothing
        ("user", "user"),
        ("USER", "USER"),  # case preserved
        ("\u00aa", "a"),  # NFKC
        ("\u2168", "IX"),  # NFKC
        ("a\u2003b", "a b"),  # non-ASCII space mapped to space
    ],
)
def test_saslprep_rfc_examples(given: str, expected: str) -> None:
    assert saslprep(given) == expected


@pytest.mark.parametrize(
    ("given", "reason"),
    [("\u0007", "control character"), ("\u0627\u0031", "right-to-left")],
)
def test_saslprep_rfc_errors(given: str, reason: str) -> None:
    with pytest.raises(SASLError, match=reason):
        saslprep(given)


def test_saslprep_unassigned_only_in_queries() -> None:
    unassigned = "\u0221"  # unassigned in Unicode 3.2
    assert saslprep(unassigned) == unassigned
    with pytest.raises(SASLError, match="unassigned"):
        saslprep(unassigned, allow_unassigned=False)


def test_saslprep_bidi_rules() -> None:
    assert saslprep("\u0627\u0628") == "\u0627\u0628"
    with pytest.raises(SASLError, match="mixes"):
        saslprep("\u0627a\u0628")


# -- RFC 7628 section 4 ---------------------------------------------------------------------------

BEARER_IR = (
    b"bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
    b"IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
)
BEARER_TOKEN = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
BEARER_ERROR = (
    b"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3Vy"
    b"YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0="
)


class OneToken(Authenticator):
    def __init__(self, user: str, token: str) -> None:
        self.user, self.token = user, Secret(token)

    def check_token(self, authcid: str, token: Secret) -> bool:
        return authcid == self.user and token == self.token


def test_oauthbearer_rfc_example_client() -> None:
    client = client_mechanism(
        "OAUTHBEARER",
        username="user@example.com",
        token=Secret(BEARER_TOKEN),
        host="server.example.com",
        port=143,
    )
    assert base64.b64encode(client.initial_response() or b"") == BEARER_IR
    assert client.complete


def test_oauthbearer_rfc_example_server_success() -> None:
    server = server_mechanism("OAUTHBEARER", OneToken("user@example.com", BEARER_TOKEN))
    assert server.start(decode_sasl(BEARER_IR, initial=True)) == Success("user@example.com", "")


def test_oauthbearer_rfc_example_failure() -> None:
    error = base64.b64decode(BEARER_ERROR)
    server = OAuthBearerServer(OneToken("user@example.com", "another-token"), error=error)
    assert server.start(base64.b64decode(BEARER_IR)) == Challenge(error)
    client = OAuthBearerClient(
        "user@example.com", BEARER_TOKEN, host="server.example.com", port=143
    )
    client.initial_response()
    dummy = client.respond(error)
    assert base64.b64encode(dummy) == b"AQ=="
    assert client.server_error == error
    with pytest.raises(SASLError, match="refused"):
        server.step(dummy)


# -- Google's XOAUTH2 page ------------------------------------------------------------------------

XOAUTH2_IR = (
    b"dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJo"
    b"ZG1semRHRXVZMjl0Q2cBAQ=="
)
XOAUTH2_TOKEN = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"


def test_xoauth2_google_example() -> None:
    client = XOAuth2Client("someuser@example.com", XOAUTH2_TOKEN)
    assert base64.b64encode(client.initial_response() or b"") == XOAUTH2_IR
    server = XOAuth2Server(OneToken("someuser@example.com", XOAUTH2_TOKEN))
    assert server.start(base64.b64decode(XOAUTH2_IR)) == Success("someuser@example.com", "")


def test_xoauth2_failure_sends_error_then_fails() -> None:
    server = XOAuth2Server(OneToken("someuser@example.com", "other"))
    challenge = server.start(base64.b64decode(XOAUTH2_IR))
    assert challenge == Challenge(b'{"status":"401","schemes":"bearer"}')
    client = XOAuth2Client("someuser@example.com", XOAUTH2_TOKEN)
    client.initial_response()
    assert client.respond(challenge.data) == b""
    with pytest.raises(SASLError):
        server.step(b"")
