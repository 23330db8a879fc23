"""Our SMTP client against a real Postfix, which delivers over LMTP into our LMTP server.

A session fixture configures a throwaway Postfix instance (its own config, queue and data
directories under a temporary directory, listening on a free loopback port, no chroot) whose
local transport is LMTP to a sink built on :class:`mailproto.smtp.LmtpServer` and the threaded
driver. A message sent by our client therefore crosses Postfix's smtpd (with PIPELINING,
CHUNKING, STARTTLS) and Postfix's LMTP client, and must arrive byte for byte.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailproto.drivers import threaded
from mailproto.drivers.asyncio import connect
from mailproto.smtp import (
    Bdat,
    DataChunk,
    Hello,
    LmtpServer,
    MailFrom,
    MessageComplete,
    Quit,
    RcptTo,
    Reply,
    SmtpClient,
)

from .._programs import require_program
from ._smtp_common import Certs, Delivered, client_session, make_certs, next_reply

pytestmark = pytest.mark.interop

LIMIT = 30.0
DOMAIN = "postfix.test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
config_directory = {config}
queue_directory = {queue}
data_directory = {data}
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {domain}
mydomain = {domain}
myorigin = {domain}
mydestination = {domain}
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = reject_unauth_destination
local_transport = lmtp:inet:127.0.0.1:{sink}
lmtp_host_lookup = native
smtp_host_lookup = native
smtputf8_enable = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = {root}/cert.pem
smtpd_tls_key_file = {root}/key.pem
biff = no
delay_warning_time = 0
maximal_queue_lifetime = 1h
"""


@dataclass
class Postfix:
    port: int
    deliveries: queue.Queue[Delivered]
    root: Path

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def next_delivery(self) -> Delivered:
        try:
            return self.deliveries.get(timeout=LIMIT)
        except queue.Empty:
            raise AssertionError("Postfix delivered nothing; its log:\n" + self.log()) from None


def _sink_handler(deliveries: queue.Queue[Delivered]) -> object:
    def handler(channel: threaded.Channel) -> None:
        conn = channel.conn
        assert isinstance(conn, LmtpServer)
        chunks: list[bytes] = []
        for event in channel.events():
            if isinstance(event, DataChunk):
                chunks.append(event.data)
            elif isinstance(event, MessageComplete):
                deliveries.put(Delivered(event, b"".join(chunks)))
                chunks = []
            if conn.awaiting_reply:
                channel.send(*conn.default_replies())

    return handler


@pytest.fixture(scope="module")
def certs() -> Certs:
    return make_certs()


@pytest.fixture(scope="module")
def postfix() -> Iterator[Postfix]:
    binary = require_program("postfix", "/usr/sbin/postfix")
    if os.geteuid() != 0:
        pytest.skip("running a Postfix instance needs root")
    # Not under pytest's temporary directory, which only root may enter: Postfix's daemons run
    # as the postfix user.
    root = Path(tempfile.mkdtemp(prefix="mailproto-postfix-"))
    root.chmod(0o755)
    config, queue_dir, data = root / "etc", root / "queue", root / "data"
    config.mkdir()
    queue_dir.mkdir()
    data.mkdir()
    shutil.chown(data, "postfix")
    # Postfix's own certificate for STARTTLS, from a CA nobody trusts: the client does not
    # verify it (opportunistic TLS, as between MTAs).
    import trustme

    cert = trustme.CA().issue_cert(DOMAIN)
    (root / "cert.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    (root / "key.pem").chmod(0o600)

    deliveries: queue.Queue[Delivered] = queue.Queue()
    sink = threaded.serve(
        lambda: LmtpServer(hostname="sink.test"),
        _sink_handler(deliveries),  # type: ignore[arg-type]
        "127.0.0.1",
        0,
        idle_timeout=LIMIT,
    )
    port = _free_port()
    (config / "master.cf").write_text(MASTER_CF.format(port=port))
    (config / "main.cf").write_text(
        MAIN_CF.format(
            config=config, queue=queue_dir, data=data, root=root, domain=DOMAIN, sink=sink.port
        )
    )
    env = {**os.environ, "MAIL_CONFIG": str(config)}
    started = subprocess.run(
        [binary, "-c", str(config), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    if started.returncode != 0:
        sink.close()
        log = (root / "maillog").read_text(errors="replace") if (root / "maillog").exists() else ""
        pytest.fail(f"postfix start failed: {started.stdout}{started.stderr}{log}")
    try:
        deadline = time.monotonic() + LIMIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Postfix(port, deliveries, root)
    finally:
        subprocess.run(
            [binary, "-c", str(config), "stop"],
            env=env,
            capture_output=True,
            timeout=LIMIT,
            check=False,
        )
        sink.close()
        shutil.rmtree(root, ignore_errors=True)


BODY = (
    b"From: alice@example.org\r\nTo: bob@postfix.test\r\nSubject: via postfix\r\n"
    b"Message-ID: <interop-1@example.org>\r\n\r\n"
    b"Line one.\r\n.a line that starts with a dot\r\n..and two\r\n\r\nEnd.\r\n"
)


def _arrived_intact(delivered: Delivered, body: bytes) -> None:
    """Postfix adds trace and missing headers (Received, Date); everything else is unchanged:
    every original header line, in order, and the body after the blank line byte for byte."""
    head, _, text = body.partition(b"\r\n\r\n")
    got_head, _, got_text = delivered.body.partition(b"\r\n\r\n")
    assert got_text == text
    got_lines = got_head.split(b"\r\n")
    assert got_lines[0].startswith(b"Received: from client.example")
    kept = [line for line in got_lines if line in head.split(b"\r\n")]
    assert kept == head.split(b"\r\n")


def test_our_client_through_postfix_into_our_lmtp_server(postfix: Postfix, certs: Certs) -> None:
    async def main() -> list[Reply]:
        channel = await connect("127.0.0.1", postfix.port, SmtpClient(), idle_timeout=LIMIT)
        try:
            return await client_session(
                channel, "alice@example.org", [f"bob@{DOMAIN}", f"carol@{DOMAIN}"], BODY
            )
        finally:
            await channel.aclose()

    replies = asyncio.run(main())
    assert [r.code for r in replies] == [220, 250, 250, 250, 250, 354, 250, 221]
    ehlo = replies[1]
    assert "PIPELINING" in ehlo.lines and "CHUNKING" in ehlo.lines
    delivered = postfix.next_delivery()
    assert delivered.envelope.reverse_path == "alice@example.org"
    assert sorted(delivered.envelope.recipients) == [f"bob@{DOMAIN}", f"carol@{DOMAIN}"]
    _arrived_intact(delivered, BODY)


def test_starttls_and_bdat_through_postfix(postfix: Postfix) -> None:
    import ssl

    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    body = BODY.replace(b"interop-1", b"interop-2") + b"\x00binary-ish \xff tail\r\n"

    async def main() -> list[Reply]:
        client = SmtpClient()
        channel = await connect(
            "127.0.0.1", postfix.port, client, starttls_context=insecure, idle_timeout=LIMIT
        )
        try:
            replies = [await next_reply(channel)]
            await channel.send(Hello("EHLO", "client.example"))
            replies.append(await next_reply(channel))
            from mailproto.smtp import StartTLSCommand

            await channel.send(StartTLSCommand())
            replies.append(await next_reply(channel))
            assert channel.tls
            await channel.send(Hello("EHLO", "client.example"))
            replies.append(await next_reply(channel))
            assert client.supports("CHUNKING") and client.pipelining
            half = len(body) // 2
            await channel.send(
                MailFrom("alice@example.org", {"BODY": "8BITMIME"}),
                RcptTo(f"dave@{DOMAIN}"),
                Bdat(half),
                DataChunk(body[:half]),
                Bdat(len(body) - half, last=True),
                DataChunk(body[half:]),
                Quit(),
            )
            replies.extend([await next_reply(channel) for _ in range(5)])
            return replies
        finally:
            await channel.aclose()

    replies = asyncio.run(main())
    assert [r.code for r in replies] == [220, 250, 220, 250, 250, 250, 250, 250, 221]
    delivered = postfix.next_delivery()
    assert delivered.envelope.recipients == (f"dave@{DOMAIN}",)
    _arrived_intact(delivered, body)


def test_postfix_refusals_reach_our_client(postfix: Postfix) -> None:
    async def main() -> list[Reply]:
        channel = await connect("127.0.0.1", postfix.port, SmtpClient(), idle_timeout=LIMIT)
        try:
            replies = [await next_reply(channel)]
            await channel.send(Hello("EHLO", "client.example"))
            replies.append(await next_reply(channel))
            await channel.send(
                MailFrom("alice@example.org"), RcptTo("someone@elsewhere.example"), Quit()
            )
            replies.extend([await next_reply(channel) for _ in range(3)])
            return replies
        finally:
            await channel.aclose()

    replies = asyncio.run(main())
    assert [r.code for r in replies] == [220, 250, 250, 554, 221]
    assert replies[3].enhanced_status == "5.7.1"
