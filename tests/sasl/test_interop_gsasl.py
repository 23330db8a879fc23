"""Interop with GNU SASL's command-line tool: its client against our servers and its server
against our clients, over its stdin/stdout base64 dialogue."""

from __future__ import annotations

import base64
import subprocess

import pytest

from mailproto.errors import SASLError
from mailproto.sasl import (
    Challenge,
    ClientMechanism,
    PasswordAuthenticator,
    ScramCredentials,
    Success,
    client_mechanism,
    server_mechanism,
)
from tests._programs import require_program

pytestmark = pytest.mark.interop

MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"]
USER = "a,b=c"
PASSWORD = "p\u00e4ssw\u00f6rd"


def gsasl(*args: str) -> subprocess.Popen[bytes]:
    program = require_program("gsasl")
    return subprocess.Popen(
        [program, *args, "--no-starttls", "--no-cb"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def send(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    proc.stdin.write(base64.b64encode(data) + b"\n")
    proc.stdin.flush()


def receive(proc: subprocess.Popen[bytes]) -> bytes:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise EOFError("gsasl stopped talking")
    return base64.b64decode(line.strip(), validate=True)


def finish(proc: subprocess.Popen[bytes]) -> str:
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hang is a failure
        proc.kill()
        _, err = proc.communicate()
    return err.decode("utf-8", "replace")


def our_server_with_gsasl_client(mechanism: str, password: str) -> Success:
    server = server_mechanism(mechanism, PasswordAuthenticator({USER: PASSWORD}))
    proc = gsasl("--client", "-m", mechanism, "-a", USER, "-p", password)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == mechanism.encode()
        first = receive(proc)  # the initial response, or an empty line for none
        result = server.start(first or None)
        while isinstance(result, Challenge):
            send(proc, result.data)
            result = server.step(receive(proc))
        send(proc, result.data or b"")
        if result.data is not None:
            assert receive(proc) == b""  # the client's empty answer to the final data
            send(proc, b"")
        assert "Client authentication finished (server trusted)" in finish(proc)
        return result
    finally:
        if proc.poll() is None:
            proc.kill()
        finish(proc)


def gsasl_server_with_our_client(mechanism: str, client: ClientMechanism) -> str:
    proc = gsasl("--server", "-m", mechanism, "-a", USER, "-p", PASSWORD)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == mechanism.encode()
        challenge = receive(proc)
        initial = client.initial_response() if not challenge else None
        send(proc, initial if initial is not None else client.respond(challenge))
        while not client.complete:
            send(proc, client.respond(receive(proc)))
        send(proc, b"")  # acknowledge a final empty challenge (or pass as application data)
    except (BrokenPipeError, EOFError):
        pass  # the server gave up; its stderr says why
    return finish(proc)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_gsasl_client_to_our_server(mechanism: str) -> None:
    result = our_server_with_gsasl_client(mechanism, PASSWORD)
    assert (result.authcid, result.authzid) == (USER, "")


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_gsasl_client_wrong_password(mechanism: str) -> None:
    with pytest.raises(SASLError, match="authentication failed"):
        our_server_with_gsasl_client(mechanism, "wrong")


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_our_client_to_gsasl_server(mechanism: str) -> None:
    client = client_mechanism(mechanism, username=USER, password=PASSWORD)
    err = gsasl_server_with_our_client(mechanism, client)
    assert "Server authentication finished (client trusted)" in err
    assert client.complete


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_our_client_wrong_password_to_gsasl_server(mechanism: str) -> None:
    client = client_mechanism(mechanism, username=USER, password="wrong")
    err = gsasl_server_with_our_client(mechanism, client)
    assert "Server authentication finished" not in err


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram_credentials_match_gsasl_mkpasswd(mechanism: str) -> None:
    program = require_program("gsasl")
    salt = base64.b64encode(b"0123456789abcdef").decode()
    out = subprocess.run(
        [
            program,
            "--mkpasswd",
            "-m",
            mechanism,
            "-p",
            PASSWORD,
            "--salt",
            salt,
            "--iteration-count",
            "4096",
        ],
        capture_output=True,
        check=True,
        timeout=20,
    ).stdout.decode()
    count, their_salt, stored, server = (
        out.strip().removeprefix("{" + mechanism + "}").split(",")[:4]
    )
    ours = ScramCredentials.from_password(
        PASSWORD, "sha256" if mechanism.endswith("256") else "sha1", salt=b"0123456789abcdef"
    )
    assert (int(count), their_salt) == (4096, salt)
    assert base64.b64decode(stored) == ours.stored_key
    assert base64.b64decode(server) == ours.server_key
