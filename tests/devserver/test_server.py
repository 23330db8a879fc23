"""The development server end to end in one process, with the standard library's clients."""

from __future__ import annotations

import asyncio
import poplib
import smtplib
import ssl
from pathlib import Path

import pytest

from mailproto.devserver import DevServer, ServerConfig
from mailproto.devserver._relay import RelayQueue
from mailproto.drivers import asyncio as driver
from mailproto.sasl import Secret, client_mechanism
from mailproto.smtp import (
    Data,
    DataChunk,
    EndOfData,
    Hello,
    MailFrom,
    Quit,
    RcptTo,
    Reply,
    SmtpClient,
)

from ._harness import running

MESSAGE = (
    b"From: ana@a.example\r\nTo: bea@b.example\r\nSubject: test\r\n\r\n"
    b"Hello Bea.\r\n.A line that starts with a dot\r\n..two\r\n\r\nBye\r\n"
)
TIMEOUT = 10


def pop3_retr(port: int, user: str, password: str) -> list[bytes]:
    pop = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
    try:
        pop.user(user)
        pop.pass_(password)
        count, _ = pop.stat()
        out = []
        for n in range(1, count + 1):
            _, lines, _ = pop.retr(n)
            out.append(b"\r\n".join(lines) + b"\r\n")
        return out
    finally:
        pop.quit()


def test_catch_all_smtp_to_pop3() -> None:
    with running(ServerConfig()) as (server, _):
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp:
            refused = smtp.sendmail("ana@a.example", ["bea@b.example", "x@y.example"], MESSAGE)
            assert refused == {}
        assert pop3_retr(server.pop3_port or 0, "bea@b.example", "anything") == [MESSAGE]
        assert pop3_retr(server.pop3_port or 0, "X@Y.example", "x") == [MESSAGE]
        assert server.store.mailboxes() == ["bea@b.example", "x@y.example"]


def test_pop3_uidl_dele_and_lock() -> None:
    with running(ServerConfig(users=[("bea", "pw")])) as (server, _):
        server.store.deliver("bea", b"one\r\n")
        server.store.deliver("bea", b"two\r\n")
        port = server.pop3_port or 0
        first = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
        first.user("bea")
        first.pass_("pw")
        uids = first.uidl()[1]
        assert len(uids) == 2
        # A second session cannot open the locked maildrop.
        second = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
        second.user("bea")
        with pytest.raises(poplib.error_proto, match="IN-USE"):
            second.pass_("pw")
        second.quit()
        first.dele(1)
        first.quit()
        assert [m.size for m in server.store.messages("bea")] == [5]
        assert pop3_retr(port, "bea", "pw") == [b"two\r\n"]


def test_pop3_apop_and_bad_password() -> None:
    with running(ServerConfig(users=[("bea", "pw")])) as (server, _):
        server.store.deliver("bea", MESSAGE)
        pop = poplib.POP3("127.0.0.1", server.pop3_port or 0, timeout=TIMEOUT)
        pop.apop("bea", "pw")
        assert pop.stat() == (1, len(MESSAGE))
        pop.quit()
        pop = poplib.POP3("127.0.0.1", server.pop3_port or 0, timeout=TIMEOUT)
        pop.user("bea")
        with pytest.raises(poplib.error_proto):
            pop.pass_("wrong")
        pop.quit()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_smtp_auth_with_smtplib(mechanism: str) -> None:
    config = ServerConfig(users=[("ana@a.example", "s3cret")], domains=["a.example"])
    with running(config) as (server, _):
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp:
            smtp.ehlo()
            auth_method = getattr(smtp, "auth_" + mechanism.lower().replace("-", "_"))
            smtp.user, smtp.password = "ana@a.example", "s3cret"
            code, _ = smtp.auth(mechanism, auth_method, initial_response_ok=True)
            assert code == 235
        with (
            smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            smtp.login("ana@a.example", "wrong")


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_smtp_auth_scram_with_our_client(mechanism: str) -> None:
    config = ServerConfig(users=[("ana", "s3cret")], domains=["a.example"])
    with running(config) as (server, loop):

        async def submit() -> list[Reply]:
            conn = SmtpClient()
            channel = await driver.connect(
                "127.0.0.1", server.smtp_port, conn, idle_timeout=TIMEOUT
            )
            replies = [await channel.next_event()]
            await channel.send(Hello("EHLO", "client.example"))
            replies.append(await channel.next_event())
            conn.authenticate(
                client_mechanism(mechanism, username="ana", password=Secret("s3cret"))
            )
            await channel.send()
            replies.append(await channel.next_event())
            await channel.send(MailFrom("ana@a.example"), RcptTo("ana@a.example"), Data())
            replies += [await channel.next_event() for _ in range(3)]
            await channel.send(DataChunk(MESSAGE), EndOfData())
            replies.append(await channel.next_event())
            await channel.send(Quit())
            replies.append(await channel.next_event())
            await channel.aclose()
            return [r for r in replies if isinstance(r, Reply)]

        replies = loop.run(submit())
        assert [r.code for r in replies] == [220, 250, 235, 250, 250, 354, 250, 221]
        assert server.store.read("ana", server.store.messages("ana")[0].uid) == MESSAGE


def test_domains_refuse_relay_and_unknown_users() -> None:
    config = ServerConfig(users=[("bea", "pw")], domains=["b.example"])
    with running(config) as (server, _):
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp:
            smtp.ehlo()
            smtp.mail("stranger@c.example")
            code, text = smtp.rcpt("someone@d.example")
            assert (code, text[:5]) == (550, b"5.7.1")
            code, text = smtp.rcpt("nobody@b.example")
            assert (code, text[:5]) == (550, b"5.1.1")
            code, _ = smtp.rcpt("bea@b.example")
            assert code == 250
            code, _ = smtp.data(MESSAGE)
            assert code == 250
        assert server.store.read("bea", server.store.messages("bea")[0].uid) == MESSAGE


def test_maildir_store(tmp_path: Path) -> None:
    config = ServerConfig(maildir=str(tmp_path / "mail"))
    with (
        running(config) as (server, _),
        smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp,
    ):
        smtp.sendmail("a@a.example", ["bea@b.example"], MESSAGE)
    files = list((tmp_path / "mail" / "bea@b.example" / "new").iterdir())
    assert [f.read_bytes() for f in files] == [MESSAGE]


def test_starttls_and_stls(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    config = ServerConfig(
        users=[("bea", "pw")],
        tls_cert=str(tmp_path / "key.pem"),
        tls_key=str(tmp_path / "key.pem"),
    )
    with running(config) as (server, _):
        with smtplib.SMTP("localhost", server.smtp_port, timeout=TIMEOUT) as smtp:
            smtp.starttls(context=client_context)
            smtp.login("bea", "pw")
            smtp.sendmail("a@a.example", ["bea@b.example"], MESSAGE)
        pop = poplib.POP3("localhost", server.pop3_port or 0, timeout=TIMEOUT)
        pop.stls(context=client_context)
        pop.user("bea")
        pop.pass_("pw")
        _, lines, _ = pop.retr(1)
        pop.quit()
        assert b"\r\n".join(lines) + b"\r\n" == MESSAGE


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="together"):
        DevServer(ServerConfig(tls_cert="c.pem"))
    with pytest.raises(ValueError, match="--relay"):
        DevServer(ServerConfig(smarthost=("x", 25)))
    with pytest.raises(ValueError, match="--user"):
        DevServer(ServerConfig(relay=True))


def test_relay_through_smarthost_and_bounce() -> None:
    # The far side: b.example with one user; mail for anyone else there is refused.
    far_config = ServerConfig(users=[("bea", "pw")], domains=["b.example"])
    with running(far_config) as (far, _):
        near_config = ServerConfig(
            users=[("ana@a.example", "pw")],
            domains=["a.example"],
            relay=True,
            smarthost=("127.0.0.1", far.smtp_port),
            hostname="smtp.a.example",
        )
        with running(near_config) as (near, loop):
            with smtplib.SMTP("127.0.0.1", near.smtp_port, timeout=TIMEOUT) as smtp:
                # Without authentication, no relaying.
                smtp.ehlo()
                smtp.mail("ana@a.example")
                code, _ = smtp.rcpt("bea@b.example")
                assert code == 550
                smtp.rset()
                smtp.login("ana@a.example", "pw")
                refused = smtp.sendmail(
                    "ana@a.example", ["bea@b.example", "nobody@b.example"], MESSAGE
                )
                assert refused == {}
            relay = near.relay
            assert isinstance(relay, RelayQueue)
            loop.run(relay.drain(10))
            assert far.store.read("bea", far.store.messages("bea")[0].uid) == MESSAGE
            bounces = near.store.messages("ana@a.example")
            assert len(bounces) == 1
            bounce = near.store.read("ana@a.example", bounces[0].uid)
            assert b"report-type=delivery-status" in bounce
            assert b"Final-Recipient: rfc822;nobody@b.example" in bounce
            assert b"Status: 5.1.1" in bounce
            assert b"Auto-Submitted" in bounce
            assert b"Subject: test" in bounce


def test_shutdown_keeps_every_accepted_message() -> None:
    config = ServerConfig()
    with running(config) as (server, loop):

        async def transaction(rcpt: bytes, finish_after_close: bool) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.smtp_port)
            try:
                await reader.readline()
                writer.write(b"EHLO x\r\n")
                while not (await reader.readline()).startswith(b"250 "):
                    pass
                writer.write(b"MAIL FROM:<a@a.example>\r\nRCPT TO:<" + rcpt + b">\r\nDATA\r\n")
                for _ in range(3):
                    await reader.readline()
                writer.write(b"Subject: slow\r\n\r\n")
                if finish_after_close:
                    await asyncio.sleep(0.1)
                    server.close()
                    await asyncio.sleep(0.2)
                writer.write(b"the rest\r\n.\r\n")
                return await asyncio.wait_for(reader.readline(), TIMEOUT)
            finally:
                writer.close()

        assert loop.run(transaction(b"one@b.example", False)).startswith(b"250 ")
        reply = loop.run(transaction(b"two@b.example", True))
        loop.run(server.wait_closed())
        # Whatever was acknowledged with 250 is stored; what was not may be missing, and the
        # client, having no 250, still holds it.
        for box, acknowledged in (("one@b.example", True), ("two@b.example", reply[:3] == b"250")):
            stored = [server.store.read(box, m.uid) for m in server.store.messages(box)]
            if acknowledged:
                assert stored == [b"Subject: slow\r\n\r\nthe rest\r\n"]
            else:
                assert stored == []


def test_bdat_chunks() -> None:
    import socket

    with running(ServerConfig()) as (server, _):
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=TIMEOUT) as sock:
            part1, part2 = MESSAGE[:40], MESSAGE[40:]
            sock.sendall(
                b"EHLO x\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bea@b.example>\r\n"
                + b"BDAT %d\r\n" % len(part1)
                + part1
                + b"BDAT %d LAST\r\n" % len(part2)
                + part2
                + b"QUIT\r\n"
            )
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        replies = [line[:3] for line in received.split(b"\r\n") if line[3:4] == b" "]
        assert replies == [b"220", b"250", b"250", b"250", b"250", b"250", b"221"]
        uid = server.store.messages("bea@b.example")[0].uid
        assert server.store.read("bea@b.example", uid) == MESSAGE


def test_serve_command_errors(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from mailproto.__main__ import main

    assert main(["serve", "--relay"]) == 2
    assert "--relay needs" in capsys.readouterr().err
    assert main(["serve", "--tls-cert=/nonexistent.pem", "--tls-key=/nonexistent.pem"]) == 2
    assert "mailproto serve:" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", f"--smtp-port={port}", "--pop3-port=0"]) == 1
    assert "mailproto serve:" in capsys.readouterr().err


def test_one_copy_per_mailbox() -> None:
    config = ServerConfig(users=[("bea", "pw")], domains=["b.example", "c.example"])
    with (
        running(config) as (server, _),
        smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=TIMEOUT) as smtp,
    ):
        refused = smtp.sendmail(
            "a@a.example", ["bea@b.example", "BEA@c.example", "bea@b.example"], MESSAGE
        )
        assert refused == {}
        assert len(server.store.messages("bea")) == 1
