"""``mailproto serve`` under bad input and load: it keeps serving and loses no accepted message.

Garbage bytes, a 10 MB line, clients that vanish in the middle of DATA and 200 clients at once
are thrown at one server process; afterwards every message it acknowledged with 250 must be in
the Maildir, and nothing it did not acknowledge. SIGTERM then stops it cleanly.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_devserver_clients import TIMEOUT, USERS, Served, start_server, stop_server

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(tmp_path_factory.mktemp("robust"))
    yield served
    stop_server(served)


def send_one(served: Served, tag: str) -> bytes:
    data = f"Subject: {tag}\r\n\r\nbody of {tag}\r\n".encode()
    with smtplib.SMTP("127.0.0.1", served.smtp_port, timeout=TIMEOUT) as smtp:
        assert smtp.sendmail("ana@a.example", ["bea@b.example"], data) == {}
    return data


def raw_session(port: int, payload: bytes, *, read: bool = True) -> bytes:
    """Send ``payload`` on a fresh connection and return what came back (bounded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.settimeout(TIMEOUT)
        received = sock.recv(4096)  # the greeting
        try:
            sock.sendall(payload)
        except OSError:
            return received  # the server may close first; that is allowed
        if not read:
            return received
        try:
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                received += chunk
                if len(received) > 1 << 20:
                    break
        except OSError:
            pass
        return received


def test_garbage_bytes(server: Served) -> None:
    garbage = os.urandom(20000) + b"\r\n\x00\xff\r\nEHLO \xff\xfe\r\n"
    raw_session(server.smtp_port, garbage)
    raw_session(server.pop3_port, garbage)
    assert send_one(server, "after-garbage") in server.stored("bea")


def test_a_ten_megabyte_line(server: Served) -> None:
    line = b"A" * (10 * 1024 * 1024) + b"\r\nQUIT\r\n"
    answer = raw_session(server.smtp_port, b"EHLO x\r\n" + line)
    assert answer.startswith(b"220 ")
    # The line is skipped and refused; the session goes on to QUIT.
    assert answer.endswith(
        b"\r\n500 5.5.2 Line too long\r\n221 2.0.0 localhost closing connection\r\n"
    )
    # POP3 refuses it too, and goes on.
    answer = raw_session(server.pop3_port, b"A" * (10 * 1024 * 1024) + b"\r\nQUIT\r\n")
    assert answer.startswith(b"+OK ")
    assert b"\r\n-ERR " in answer
    assert answer.splitlines()[-1].startswith(b"+OK ")  # and QUIT was still answered
    # The same inside DATA: the message is refused, never stored.
    before = len(server.stored("bea"))
    transaction = (
        b"EHLO x\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bea@b.example>\r\nDATA\r\n"
        b"Subject: huge line\r\n\r\n" + b"B" * (10 * 1024 * 1024) + b"\r\n.\r\nQUIT\r\n"
    )
    answer = raw_session(server.smtp_port, transaction)
    assert b"\r\n354 " in answer
    assert b"\r\n554 5.6.0 " in answer
    assert b"\r\n250 2.0.0 accepted" not in answer
    assert len(server.stored("bea")) == before
    assert send_one(server, "after-long-line") in server.stored("bea")


def test_client_disconnects_mid_data(server: Served) -> None:
    before = len(server.stored("bea"))
    for _ in range(5):
        raw_session(
            server.smtp_port,
            b"EHLO x\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bea@b.example>\r\nDATA\r\n"
            b"Subject: half\r\n\r\nthe first half",
            read=False,
        )
    after = send_one(server, "after-disconnects")
    stored = server.stored("bea")
    assert len(stored) == before + 1
    assert after in stored
    assert not any(b"the first half" in m for m in stored)


def test_two_hundred_clients_at_once(server: Served) -> None:
    async def client(number: int) -> tuple[bytes, bool]:
        data = f"Subject: load {number}\r\n\r\nmessage number {number}\r\n".encode()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", server.smtp_port), TIMEOUT * 2
        )
        try:

            async def expect(prefix: bytes) -> bytes:
                while True:
                    line = await asyncio.wait_for(reader.readline(), TIMEOUT * 2)
                    if not line:
                        raise ConnectionError("closed")
                    if line[3:4] != b"-":
                        assert line.startswith(prefix), line
                        return line

            await expect(b"220")
            writer.write(b"EHLO load\r\n")
            await expect(b"250")
            writer.write(b"MAIL FROM:<a@a.example>\r\n")
            await expect(b"250")
            writer.write(b"RCPT TO:<bea@b.example>\r\n")
            await expect(b"250")
            writer.write(b"DATA\r\n")
            await expect(b"354")
            writer.write(data + b".\r\n")
            final = await expect(b"250")
            writer.write(b"QUIT\r\n")
            await expect(b"221")
            return data, final.startswith(b"250")
        finally:
            writer.close()

    async def everyone() -> list[tuple[bytes, bool] | BaseException]:
        return await asyncio.gather(*(client(n) for n in range(200)), return_exceptions=True)

    results = asyncio.run(everyone())
    accepted = [r[0] for r in results if isinstance(r, tuple) and r[1]]
    assert len(accepted) == 200, [r for r in results if not isinstance(r, tuple)][:3]
    stored = server.stored("bea")
    for data in accepted:
        assert data in stored
    # And the server still answers POP3 with all of it.
    assert send_one(server, "after-load") in server.stored("bea")


def test_sigterm_stops_cleanly_and_keeps_mail(tmp_path: Path) -> None:
    served = start_server(tmp_path)
    try:
        data = send_one(served, "before-sigterm")
        idle = socket.create_connection(("127.0.0.1", served.smtp_port), timeout=TIMEOUT)
        idle.settimeout(TIMEOUT)
        assert idle.recv(1024).startswith(b"220 ")
    finally:
        status = stop_server(served)
    assert status == 0
    # The idle client was let go (the connection closed), not left hanging.
    try:
        goodbye = idle.recv(1024)
    except ConnectionResetError:
        goodbye = b""
    idle.close()
    assert goodbye == b"" or goodbye.startswith(b"421 ")
    assert served.stored("bea") == [data]
    log = served.log.read_text()
    assert "smtp session from 127.0.0.1" in log
    assert "status=250" in log
    assert "messages accepted in this run" in log
    # Mail survives a restart on the same Maildir.
    again = start_server(tmp_path)
    try:
        import poplib

        pop = poplib.POP3("127.0.0.1", again.pop3_port, timeout=TIMEOUT)
        pop.user("bea")
        pop.pass_(USERS["bea"])
        _, lines, _ = pop.retr(1)
        pop.quit()
        assert b"\r\n".join(lines) + b"\r\n" == data
    finally:
        stop_server(again)
