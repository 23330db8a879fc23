"""Hypothesis: every pair round-trips, wrong secrets fail, and arbitrary bytes are handled."""

from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.errors import SASLError
from mailproto.sasl import (
    SERVER_MECHANISMS,
    Challenge,
    ClientMechanism,
    PasswordAuthenticator,
    ServerMechanism,
    Success,
    client_mechanism,
    decode_sasl,
    encode_sasl,
    saslprep,
    server_mechanism,
)

PASSWORD_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"]
TOKEN_MECHANISMS = ["XOAUTH2", "OAUTHBEARER"]

# NUL separates PLAIN's fields and ^A separates the OAuth fields; neither can be in a name.
names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\x01"), min_size=1
)
passwords = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1
)
tokens = st.text(string.ascii_letters + string.digits + "-._~+/", min_size=1).map(lambda t: t + "=")


def run(client: ClientMechanism, server: ServerMechanism) -> Success:
    result = server.start(client.initial_response())
    rounds = 0
    while isinstance(result, Challenge):
        rounds += 1
        assert rounds < 10
        result = server.step(client.respond(result.data))
    client.verify(result.data)
    return result


@settings(max_examples=25)
@given(st.sampled_from(PASSWORD_MECHANISMS), names, passwords)
def test_password_mechanisms_round_trip(name: str, user: str, password: str) -> None:
    users = PasswordAuthenticator({user: password}, scram_iterations=4096)
    client = client_mechanism(name, username=user, password=password)
    result = run(client, server_mechanism(name, users))
    assert client.complete
    assert result.authzid == ""
    # SCRAM sends the SASLprepped name; the others send it as given.
    assert result.authcid in (user, saslprep_or_same(user))


def saslprep_or_same(text: str) -> str:
    try:
        return saslprep(text) or text
    except SASLError:
        return text


@settings(max_examples=25)
@given(st.sampled_from(PASSWORD_MECHANISMS), names, passwords, passwords)
def test_password_mechanisms_refuse_wrong_password(
    name: str, user: str, password: str, wrong: str
) -> None:
    if saslprep_or_same(wrong) == saslprep_or_same(password):
        wrong = password + "x"
    users = PasswordAuthenticator({user: password})
    client = client_mechanism(name, username=user, password=wrong)
    with pytest.raises(SASLError, match="authentication failed"):
        run(client, server_mechanism(name, users))


@settings(max_examples=25)
@given(st.sampled_from(TOKEN_MECHANISMS), names, tokens, tokens)
def test_token_mechanisms(name: str, user: str, token: str, other: str) -> None:
    users = PasswordAuthenticator({user: token})
    assert run(client_mechanism(name, username=user, token=token), server_mechanism(name, users))
    if other != token:
        with pytest.raises(SASLError):
            run(client_mechanism(name, username=user, token=other), server_mechanism(name, users))


USERS = PasswordAuthenticator({"tim": "tanstaaftanstaaf", "user": "pencil"})


@settings(max_examples=100)
@given(
    st.sampled_from(SERVER_MECHANISMS),
    st.one_of(st.none(), st.binary(max_size=200)),
    st.lists(st.binary(max_size=200), max_size=4),
)
def test_arbitrary_bytes_to_servers(
    name: str, initial: bytes | None, responses: list[bytes]
) -> None:
    server = server_mechanism(name, USERS, external_identity="tim")
    try:
        result = server.start(initial)
        for response in responses:
            result = server.step(response)  # after a Success, this raises SASLError
        assert isinstance(result, (Challenge, Success))
    except SASLError:
        pass


scram_like = st.lists(
    st.sampled_from(
        [
            "n",
            "y",
            "p=x",
            "a=",
            "n=tim",
            "n=user",
            "r=",
            "r=abc",
            "c=biws",
            "p=AAAA",
            "m=x",
            "=",
            "=2C",
            "s=QSXCR+Q6sek8bf92",
            "i=4096",
            "v=",
            "e=x",
            "",
            ",",
            "\x01",
            "auth=Bearer x",
            "\xe9",
            "x",
        ]
    ),
    max_size=10,
).map(lambda parts: ",".join(parts).encode("utf-8"))


@settings(max_examples=150)
@given(st.sampled_from(SERVER_MECHANISMS), scram_like, scram_like)
def test_structured_garbage_to_servers(name: str, first: bytes, second: bytes) -> None:
    server = server_mechanism(name, USERS, external_identity="tim")
    try:
        result = server.start(first)
        if isinstance(result, Challenge):
            server.step(second)
    except SASLError:
        pass


@settings(max_examples=100)
@given(st.sampled_from(SERVER_MECHANISMS), st.lists(st.binary(max_size=100), max_size=3))
def test_arbitrary_challenges_to_clients(name: str, challenges: list[bytes]) -> None:
    client = client_mechanism(name, username="tim", password="p", token="t", authzid="")
    try:
        client.initial_response()
        for challenge in challenges:
            client.respond(challenge)
        client.verify(challenges[-1] if challenges else None)
    except SASLError:
        pass


@given(st.binary())
def test_base64_round_trip(data: bytes) -> None:
    assert decode_sasl(encode_sasl(data)) == data
    assert decode_sasl(encode_sasl(data, initial=True), initial=True) == data


@given(st.binary(max_size=50))
def test_decode_arbitrary_lines(line: bytes) -> None:
    with contextlib.suppress(SASLError):
        decode_sasl(line)


@given(st.text(st.characters(blacklist_categories=["Cs"])))
def test_saslprep_is_stable(text: str) -> None:
    try:
        prepared = saslprep(text)
    except SASLError:
        return
    assert saslprep(prepared) == prepared


class AnyoneMayBeAnyone(PasswordAuthenticator):
    def authorize(self, authcid: str, authzid: str) -> bool:
        return True


@settings(max_examples=25)
@given(st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]), names, names, passwords)
def test_authzid_round_trip(name: str, user: str, authzid: str, password: str) -> None:
    users = AnyoneMayBeAnyone({user: password})
    client = client_mechanism(name, username=user, password=password, authzid=authzid)
    assert run(client, server_mechanism(name, users)).authzid == authzid


@settings(max_examples=25)
@given(names, st.sampled_from(["", "same"]))
def test_external_round_trip(identity: str, authzid: str) -> None:
    authzid = identity if authzid else ""
    users = PasswordAuthenticator({identity: "unused"})
    server = server_mechanism("EXTERNAL", users, external_identity=identity)
    result = run(client_mechanism("EXTERNAL", username="", authzid=authzid), server)
    assert result == Success(identity, authzid)
