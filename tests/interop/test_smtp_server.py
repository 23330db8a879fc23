"""Real SMTP clients (smtplib, aiosmtplib, curl) against our server on the asyncio driver."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from mailproto.drivers.asyncio import AsyncServer, connect, serve
from mailproto.smtp import LmtpClient, LmtpServer, SmtpClient, StartTLSCommand

from .._programs import require_program
from ._smtp_common import USERS, Certs, Recorder, client_session, make_certs

pytestmark = pytest.mark.interop

LIMIT = 30.0
BODY = (
    b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: interop\r\n\r\n"
    b"Hello Bob.\r\n.leading dot\r\n..two dots\r\n\r\nBye.\r\n"
)


@pytest.fixture(scope="module")
def certs() -> Certs:
    return make_certs()


class Running:
    def __init__(self, server: AsyncServer, recorder: Recorder) -> None:
        self.server = server
        self.recorder = recorder

    @property
    def port(self) -> int:
        return self.server.port


async def start(certs: Certs, **kwargs: object) -> Running:
    recorder = Recorder()
    server = await serve(
        lambda: recorder.factory(**kwargs),
        recorder.handler,
        "127.0.0.1",
        0,
        starttls_context=certs.server,
        idle_timeout=LIMIT,
    )
    return Running(server, recorder)


async def stop(running: Running) -> None:
    running.server.close()
    await running.server.wait_closed()


def _smtplib_session(port: int, certs: Certs, message: EmailMessage) -> dict[str, object]:
    with smtplib.SMTP("127.0.0.1", port, timeout=LIMIT) as smtp:
        smtp.ehlo("client.example")
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")  # only inside TLS
        smtp.starttls(context=certs.client)
        smtp.ehlo("client.example")
        assert smtp.has_extn("auth")
        smtp.login("alice", USERS["alice"])
        refused = smtp.send_message(message, "alice@example.org", ["bob@example.net", "carol@x.y"])
        noop = smtp.noop()
        assert noop[0] == 250
    return refused


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "alice@example.org"
    msg["To"] = "bob@example.net"
    msg["Subject"] = "smtplib interop"
    msg.set_content("Hello.\n.leading dot\n\u00e9t\u00e9\n")
    return msg


def test_smtplib_starttls_login_and_send(certs: Certs) -> None:
    async def main() -> None:
        running = await start(certs)
        try:
            message = _message()
            refused = await asyncio.to_thread(_smtplib_session, running.port, certs, message)
            assert refused == {}
        finally:
            await stop(running)
        [delivered] = running.recorder.messages
        assert delivered.envelope.reverse_path == "alice@example.org"
        assert delivered.envelope.recipients == ("bob@example.net", "carol@x.y")
        assert running.recorder.auth == ["alice"]
        assert running.recorder.tls == [True]
        expected = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        assert delivered.body == expected
        assert delivered.envelope.size == len(expected)

    asyncio.run(main())


def test_smtplib_bad_password_and_bad_commands(certs: Certs) -> None:
    def session(port: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=LIMIT) as smtp:
            smtp.ehlo("client.example")
            smtp.starttls(context=certs.client)
            smtp.ehlo("client.example")
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login("alice", "wrong")
            assert smtp.docmd("RCPT TO:<x@y.z>")[0] == 503
            assert smtp.docmd("FROB")[0] == 500
            assert smtp.docmd("MAIL FROM:<a@b.c> FOO=BAR")[0] == 555
            assert smtp.noop()[0] == 250

    async def main() -> None:
        running = await start(certs)
        try:
            await asyncio.to_thread(session, running.port)
        finally:
            await stop(running)
        assert running.recorder.auth == []

    asyncio.run(main())


def test_aiosmtplib_starttls_login_and_send(certs: Certs) -> None:
    async def main() -> None:
        running = await start(certs)
        try:
            message = _message()
            errors, response = await aiosmtplib.send(
                message,
                hostname="127.0.0.1",
                port=running.port,
                start_tls=True,
                tls_context=certs.client,
                username="alice",
                password=USERS["alice"],
                timeout=LIMIT,
            )
            assert errors == {}
            assert response == "2.0.0 OK"
        finally:
            await stop(running)
        [delivered] = running.recorder.messages
        assert b"\r\n..leading dot" not in delivered.body
        assert b"\r\n.leading dot" in delivered.body
        assert running.recorder.auth == ["alice"]

    asyncio.run(main())


def test_aiosmtplib_smtputf8(certs: Certs) -> None:
    async def main() -> None:
        running = await start(certs)
        try:
            async with aiosmtplib.SMTP(
                hostname="127.0.0.1", port=running.port, start_tls=False, timeout=LIMIT
            ) as smtp:
                await smtp.sendmail(
                    "j\u00f6rg@example.org",
                    ["\u00fc@example.net"],
                    "Subject: utf8\r\n\r\n\u00e9\r\n".encode(),
                    mail_options=["SMTPUTF8"],
                )
        finally:
            await stop(running)
        [delivered] = running.recorder.messages
        assert delivered.envelope.reverse_path == "j\u00f6rg@example.org"
        assert delivered.envelope.recipients == ("\u00fc@example.net",)

    asyncio.run(main())


def test_curl_starttls_login_and_upload(certs: Certs, tmp_path: Path) -> None:
    curl = require_program("curl")
    (tmp_path / "ca.pem").write_bytes(certs.ca_pem)
    (tmp_path / "mail.txt").write_bytes(BODY)

    async def main() -> None:
        running = await start(certs)
        try:
            proc = await asyncio.create_subprocess_exec(
                curl,
                "--silent",
                "--show-error",
                "--max-time",
                str(LIMIT),
                f"smtp://localhost:{running.port}/client.example",
                "--ssl-reqd",
                "--cacert",
                str(tmp_path / "ca.pem"),
                "--user",
                f"alice:{USERS['alice']}",
                "--mail-from",
                "alice@example.org",
                "--mail-rcpt",
                "bob@example.net",
                "--mail-rcpt",
                "carol@example.net",
                "--upload-file",
                str(tmp_path / "mail.txt"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
        finally:
            await stop(running)
        [delivered] = running.recorder.messages
        assert delivered.body == BODY
        assert delivered.envelope.recipients == ("bob@example.net", "carol@example.net")
        assert running.recorder.auth == ["alice"]
        assert running.recorder.tls == [True]

    asyncio.run(main())


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_our_client_pipelines_against_our_server(certs: Certs, mechanism: str) -> None:
    async def main() -> None:
        running = await start(certs)
        try:
            channel = await connect(
                "127.0.0.1",
                running.port,
                SmtpClient(),
                starttls_context=certs.client,
                server_hostname="localhost",
                idle_timeout=LIMIT,
            )
            replies = await client_session(
                channel,
                "alice@example.org",
                ["bob@example.net", "carol@example.net"],
                BODY,
                starttls=True,
                login=("alice", USERS["alice"]),
                mechanism=mechanism,
            )
            assert channel.conn.pipelining  # type: ignore[attr-defined]
            assert [r.code for r in replies] == [
                220,
                250,
                220,
                250,
                235,
                250,
                250,
                250,
                354,
                250,
                221,
            ]
            await channel.aclose()
        finally:
            await stop(running)
        [delivered] = running.recorder.messages
        assert delivered.body == BODY
        assert running.recorder.auth == ["alice"]

    asyncio.run(main())


def test_raw_pipelined_burst_gets_replies_in_order(certs: Certs) -> None:
    """A client writing a whole transaction (and the message) in one send."""

    def session(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as sock:
            sock.sendall(
                b"EHLO burst.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n"
                b"RCPT TO:<bad address>\r\nRCPT TO:<g@h.i>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n"
            )
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            return data

    async def main() -> None:
        running = await start(certs)
        try:
            data = await asyncio.to_thread(session, running.port)
        finally:
            await stop(running)
        codes = [line[:3] for line in data.split(b"\r\n") if line[3:4] == b" "]
        assert codes == [b"220", b"250", b"250", b"250", b"501", b"250", b"354", b"250", b"221"]
        [delivered] = running.recorder.messages
        assert delivered.envelope.recipients == ("d@e.f", "g@h.i")

    asyncio.run(main())


def test_lmtp_client_against_lmtp_server(certs: Certs) -> None:
    async def main() -> None:
        recorder = Recorder()
        server = await serve(
            lambda: LmtpServer(hostname="localhost"),
            recorder.handler,
            "127.0.0.1",
            0,
            idle_timeout=LIMIT,
        )
        try:
            from mailproto.smtp import Data, DataChunk, EndOfData, Hello, MailFrom, Quit, RcptTo

            channel = await connect("127.0.0.1", server.port, LmtpClient(), idle_timeout=LIMIT)
            await channel.send(
                Hello("LHLO", "client.example"),
                MailFrom("a@b.c"),
                RcptTo("d@e.f"),
                RcptTo("g@h.i"),
                Data(),
            )
            codes = [(await channel.next_event()).code for _ in range(6)]  # type: ignore[attr-defined]
            await channel.send(DataChunk(b"Subject: lmtp\r\n\r\nhi\r\n"), EndOfData(), Quit())
            codes += [(await channel.next_event()).code for _ in range(3)]  # type: ignore[attr-defined]
            assert codes == [220, 250, 250, 250, 250, 354, 250, 250, 221]
            await channel.aclose()
        finally:
            server.close()
            await server.wait_closed()
        [delivered] = recorder.messages
        assert delivered.body == b"Subject: lmtp\r\n\r\nhi\r\n"

    asyncio.run(main())


def test_swaks_pipelining_starttls_and_auth(certs: Certs, tmp_path: Path) -> None:
    """swaks pipelines MAIL, RCPT and DATA when the server offers PIPELINING."""
    swaks = require_program("swaks")
    (tmp_path / "ca.pem").write_bytes(certs.ca_pem)

    async def main() -> tuple[str, Recorder]:
        running = await start(certs)
        try:
            proc = await asyncio.create_subprocess_exec(
                swaks,
                "--server",
                f"127.0.0.1:{running.port}",
                "--helo",
                "client.example",
                "--from",
                "alice@example.org",
                "--to",
                "bob@example.net,carol@example.net",
                "--pipeline",
                "--tls",
                "--tls-verify",
                "--tls-ca-path",
                str(tmp_path / "ca.pem"),
                "--auth",
                "PLAIN",
                "--auth-user",
                "alice",
                "--auth-password",
                USERS["alice"],
                "--body",
                "Pipelined.\n.dot\n",
                "--timeout",
                str(int(LIMIT)),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            out, _ = await proc.communicate()
            transcript = out.decode(errors="replace")
            assert proc.returncode == 0, transcript
            return transcript, running.recorder
        finally:
            await stop(running)

    transcript, recorder = asyncio.run(main())
    # With --pipeline, swaks writes MAIL, both RCPTs and DATA at once (and refuses to run
    # against a server that does not offer PIPELINING).
    assert "250-PIPELINING" in transcript
    assert transcript.index(" ~> DATA") < transcript.index("<~  250 2.1.0 OK")
    [delivered] = recorder.messages
    assert delivered.envelope.recipients == ("bob@example.net", "carol@example.net")
    assert b"\r\n\r\nPipelined.\r\n.dot\r\n" in delivered.body
    assert recorder.auth == ["alice"] and recorder.tls == [True]


def test_smtplib_against_our_server_on_the_threaded_driver(certs: Certs) -> None:
    from mailproto.drivers import threaded
    from mailproto.smtp import DataChunk, MessageComplete, SmtpServer

    bodies: list[bytes] = []

    def handler(channel: threaded.Channel) -> None:
        conn = channel.conn
        assert isinstance(conn, SmtpServer)
        chunks: list[bytes] = []
        for event in channel.events():
            if isinstance(event, DataChunk):
                chunks.append(event.data)
            elif isinstance(event, MessageComplete):
                bodies.append(b"".join(chunks))
            if conn.awaiting_reply:
                channel.send(*conn.default_replies())

    server = threaded.serve(
        lambda: SmtpServer(hostname="localhost", starttls=True),
        handler,
        "127.0.0.1",
        0,
        starttls_context=certs.server,
        idle_timeout=LIMIT,
    )
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=LIMIT) as smtp:
            smtp.starttls(context=certs.client)
            smtp.sendmail("a@example.org", ["b@example.net"], BODY)
    finally:
        server.close()
    assert bodies == [BODY]


def test_our_client_and_server_on_the_trio_driver(certs: Certs) -> None:
    import trio

    from mailproto.drivers import trio as trio_driver
    from mailproto.smtp import DataChunk, MessageComplete, SmtpServer

    bodies: list[bytes] = []

    async def handler(channel: trio_driver.TrioChannel) -> None:
        conn = channel.conn
        assert isinstance(conn, SmtpServer)
        chunks: list[bytes] = []
        async for event in channel.events():
            if isinstance(event, DataChunk):
                chunks.append(event.data)
            elif isinstance(event, MessageComplete):
                bodies.append(b"".join(chunks))
            if conn.awaiting_reply:
                await channel.send(*conn.default_replies())

    async def main() -> list[int]:
        from mailproto.smtp import Data, EndOfData, Hello, MailFrom, Quit, RcptTo

        with trio.fail_after(LIMIT):
            async with trio_driver.open_server(
                lambda: SmtpServer(hostname="localhost", starttls=True),
                handler,
                starttls_context=certs.server,
            ) as server:
                channel = await trio_driver.connect(
                    "127.0.0.1",
                    server.port,
                    SmtpClient(),
                    starttls_context=certs.client,
                    server_hostname="localhost",
                )
                codes = [(await channel.next_event()).code]  # type: ignore[attr-defined]
                await channel.send(Hello("EHLO", "client.example"), StartTLSCommand())
                codes += [(await channel.next_event()).code for _ in range(2)]  # type: ignore[attr-defined]
                assert channel.tls
                await channel.send(
                    Hello("EHLO", "client.example"), MailFrom("a@b.c"), RcptTo("d@e.f"), Data()
                )
                codes += [(await channel.next_event()).code for _ in range(4)]  # type: ignore[attr-defined]
                await channel.send(DataChunk(BODY), EndOfData(), Quit())
                codes += [(await channel.next_event()).code for _ in range(2)]  # type: ignore[attr-defined]
                await channel.aclose()
                return codes

    assert trio.run(main) == [220, 250, 220, 250, 250, 250, 354, 250, 221]
    assert bodies == [BODY]


def test_curl_through_the_proxy_protocol(certs: Certs, tmp_path: Path) -> None:
    """curl writes a PROXY v1 header first; the server reports it before the greeting."""
    curl = require_program("curl")
    (tmp_path / "mail.txt").write_bytes(BODY)
    from mailproto.proxy import ProxyInfo

    seen: list[object] = []

    async def main() -> None:
        recorder = Recorder()

        async def handler(channel: Any) -> None:
            first = await channel.next_event()
            seen.append(first)
            await recorder.handler_after(channel, first)

        running_server = await serve(
            lambda: recorder.factory(proxy_protocol=True, starttls=False, authenticator=None),
            handler,
            "127.0.0.1",
            0,
            idle_timeout=LIMIT,
        )
        try:
            proc = await asyncio.create_subprocess_exec(
                curl,
                "--silent",
                "--show-error",
                "--max-time",
                str(LIMIT),
                "--haproxy-protocol",
                f"smtp://127.0.0.1:{running_server.port}/client.example",
                "--mail-from",
                "alice@example.org",
                "--mail-rcpt",
                "bob@example.net",
                "--upload-file",
                str(tmp_path / "mail.txt"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
        finally:
            running_server.close()
            await running_server.wait_closed()
        [delivered] = recorder.messages
        assert delivered.body == BODY

    asyncio.run(main())
    [info] = seen
    assert isinstance(info, ProxyInfo)
    assert info.version == 1 and info.source is not None and info.source[0] == "127.0.0.1"
