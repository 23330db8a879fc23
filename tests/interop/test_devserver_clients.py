"""``mailproto serve`` as a real process, talked to by programs nobody here wrote.

smtplib and poplib (the standard library), curl (smtp:// and pop3://), swaks and fetchmail send
and fetch messages; each must arrive byte for byte. Every socket operation has a timeout.
"""

from __future__ import annotations

import os
import poplib
import re
import select
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .._programs import require_program

pytestmark = pytest.mark.interop

TIMEOUT = 10
USERS = {"bea": "bea-pw", "ana": "ana-pw"}


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    smtp_port: int
    pop3_port: int
    maildir: Path
    log: Path

    def stored(self, user: str) -> list[bytes]:
        box = self.maildir / user
        files = [p for sub in ("new", "cur") for p in (box / sub).glob("*")] if box.exists() else []
        return [p.read_bytes() for p in sorted(files, key=lambda p: p.stat().st_mtime_ns)]


def start_server(tmp: Path, *extra: str) -> Served:
    log = tmp / "serve.log"
    args = [
        sys.executable,
        "-m",
        "mailproto",
        "serve",
        "--smtp-port=0",
        "--pop3-port=0",
        f"--maildir={tmp / 'mail'}",
        *(f"--user={name}:{password}" for name, password in USERS.items()),
        *extra,
    ]
    with log.open("wb") as err:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
    assert process.stdout is not None
    ports: dict[str, int] = {}
    deadline = time.monotonic() + 20
    buffer = b""
    while len(ports) < 2 and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        for proto, port in re.findall(rb"(SMTP|POP3) listening on [^:\s]+:(\d+)", buffer):
            ports[proto.decode()] = int(port)
    if len(ports) < 2:
        process.kill()
        raise AssertionError(f"the server did not start: {buffer!r} {log.read_text()}")
    return Served(process, ports["SMTP"], ports["POP3"], tmp / "mail", log)


def stop_server(served: Served) -> int:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
        try:
            return served.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(TIMEOUT)
            raise
    return served.process.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(tmp_path_factory.mktemp("serve"))
    yield served
    stop_server(served)


def message(tag: str) -> bytes:
    """A message with the things that break careless code: dots, long lines, 8-bit, blank end."""
    return (
        f"From: Ana <ana@a.example>\r\nTo: Bea <bea@b.example>\r\nSubject: {tag}\r\n"
        f"Message-ID: <{tag}@a.example>\r\n\r\n"
        ".a line that starts with a dot\r\n"
        "..and one with two\r\n"
        ".\r\n"
        f"{'x' * 900}\r\n"
        "\r\n"
        "the end\r\n"
    ).encode()


def pop3_messages(served: Served, user: str = "bea") -> dict[bytes, bytes]:
    """Every message in ``user``'s maildrop, by its Subject."""
    pop = poplib.POP3("127.0.0.1", served.pop3_port, timeout=TIMEOUT)
    try:
        pop.user(user)
        pop.pass_(USERS[user])
        count, _ = pop.stat()
        found = {}
        for number in range(1, count + 1):
            _, lines, _ = pop.retr(number)
            data = b"\r\n".join(lines) + b"\r\n"
            subject = re.search(rb"^Subject: ([^\r\n]*)", data, re.MULTILINE)
            found[subject.group(1) if subject else b""] = data
        return found
    finally:
        pop.quit()


def arrived(served: Served, data: bytes, tag: str) -> None:
    """``data`` reached bea's maildrop exactly (over POP3 and on disk)."""
    assert pop3_messages(served)[tag.encode()] == data
    assert data in served.stored("bea")


def test_smtplib_and_poplib(server: Served) -> None:
    data = message("smtplib")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp:
        smtp.login("ana", USERS["ana"])
        assert smtp.sendmail("ana@a.example", ["bea@b.example"], data) == {}
    arrived(server, data, "smtplib")


def test_curl_smtp_and_pop3(server: Served, tmp_path: Path) -> None:
    curl = require_program("curl")
    data = message("curl")
    source = tmp_path / "curl.eml"
    source.write_bytes(data)
    subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--max-time",
            str(TIMEOUT),
            f"smtp://127.0.0.1:{server.smtp_port}",
            "--mail-from",
            "ana@a.example",
            "--mail-rcpt",
            "bea@b.example",
            "--user",
            f"ana:{USERS['ana']}",
            "--upload-file",
            str(source),
        ],
        check=True,
        timeout=TIMEOUT + 5,
    )
    arrived(server, data, "curl")
    # curl's POP3 download of the same message gives the same bytes.
    number = list(pop3_messages(server)).index(b"curl") + 1
    result = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--max-time",
            str(TIMEOUT),
            f"pop3://127.0.0.1:{server.pop3_port}/{number}",
            "--user",
            f"bea:{USERS['bea']}",
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT + 5,
    )
    assert result.stdout == data


def test_swaks(server: Served, tmp_path: Path) -> None:
    swaks = require_program("swaks")
    data = message("swaks")
    source = tmp_path / "swaks.eml"
    source.write_bytes(data)
    result = subprocess.run(
        [
            swaks,
            "--server",
            f"127.0.0.1:{server.smtp_port}",
            "--from",
            "ana@a.example",
            "--to",
            "bea@b.example",
            "--auth",
            "LOGIN",
            "--auth-user",
            "ana",
            "--auth-password",
            USERS["ana"],
            "--data",
            f"@{source}",
            "--timeout",
            str(TIMEOUT),
        ],
        capture_output=True,
        timeout=TIMEOUT + 5,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode(errors="replace")
    # swaks always ends the DATA it sends with a CRLF of its own before the final dot.
    arrived(server, data + b"\r\n", "swaks")


def test_fetchmail(server: Served, tmp_path: Path) -> None:
    fetchmail = require_program("fetchmail")
    data = message("fetchmail")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp:
        smtp.sendmail("ana@a.example", ["ana@a.example"], data)
    out = tmp_path / "delivered"
    out.mkdir()
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"poll 127.0.0.1 protocol POP3 port {server.pop3_port} timeout {TIMEOUT}\n"
        f'  user "ana" password "{USERS["ana"]}" is "ana" here\n'
        f'  sslproto "" no sslcertck\n'
        f"  fetchall keep no rewrite\n"
        f"  mda \"/bin/sh -c 'cat > {out}/msg.$$'\"\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "HOME": str(tmp_path), "FETCHMAILHOME": str(tmp_path)}
    result = subprocess.run(
        [fetchmail, "--nosyslog", "--invisible", "--fetchmailrc", str(rc), "--nodetach"],
        capture_output=True,
        timeout=TIMEOUT * 3,
        env=env,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr).decode(errors="replace")
    delivered = [p.read_bytes() for p in out.iterdir()]
    # fetchmail hands the message to the MDA with Unix line endings and its own
    # "Received:"/"Delivered-To" fields suppressed (--invisible); the rest is what was sent.
    expected = data.replace(b"\r\n", b"\n")
    assert any(d.endswith(expected) for d in delivered), delivered
