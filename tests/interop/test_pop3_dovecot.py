"""Our POP3 client against Dovecot's POP3 server (Debian's dovecot-core + dovecot-pop3d).

A session-scoped fixture writes a config file of its own (base_dir, state, log, passwd-file and
maildirs under a temporary directory), starts ``dovecot -F -c FILE`` on a free loopback port,
and stops it at the end. Each test fills the maildir of a user of its own, downloads, and
compares byte for byte.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from mailproto.drivers import asyncio as aio
from mailproto.drivers import threaded
from mailproto.pop3 import (
    Auth,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Dele,
    Err,
    List,
    MailboxDownload,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    Pass,
    POP3Client,
    Quit,
    Retr,
    ScanListing,
    Stat,
    StatReply,
    Stls,
    Top,
    Uidl,
    UidListing,
    User,
    download_async,
    download_blocking,
)
from mailproto.sasl import Secret, client_mechanism

from .._programs import require_program

pytestmark = pytest.mark.interop

LIMIT = 30.0
PASSWORD = "secret"
USERS = [f"user{n}" for n in range(20)]
_user_numbers = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int
    ca: trustme.CA

    def new_user(self, messages: list[bytes]) -> str:
        """A user of the test's own whose maildir holds ``messages`` (in this order)."""
        user = USERS[next(_user_numbers)]
        maildir = self.root / "mail" / user
        for sub in ("new", "cur", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        base = 1_700_000_000
        for n, message in enumerate(messages):
            (maildir / "new" / f"{base + n}.M{n}P1.mailproto").write_bytes(message)
        shutil.chown(self.root / "mail", "nobody", "nogroup")
        for path in [maildir, *maildir.rglob("*")]:
            shutil.chown(path, "nobody", "nogroup")
        return user

    def remaining(self, user: str) -> int:
        maildir = self.root / "mail" / user
        return sum(1 for sub in ("new", "cur") for p in (maildir / sub).iterdir() if p.is_file())

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    program = require_program("dovecot", "/usr/sbin/dovecot")
    if os.geteuid() != 0:
        message = "the Dovecot interop tests run as root (CI does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not pytest's tmp_path: its parents are private to root, and Dovecot's own processes
    # (users dovecot and nobody) must reach the passwd file and the maildirs.
    root = Path(tempfile.mkdtemp(prefix="mailproto-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}\n" for u in USERS))
    port = _free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    process = subprocess.Popen(
        [program, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + LIMIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    log = root / "dovecot.log"
                    output += log.read_text() if log.exists() else ""
                    pytest.fail(f"dovecot did not start:\n{output}")
                time.sleep(0.1)
        yield Dovecot(root, port, ca)
    finally:
        process.terminate()
        try:
            process.wait(LIMIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


def message(n: int, body_lines: int = 5) -> bytes:
    body = b"".join(b"line %d of message %d\r\n" % (i, n) for i in range(body_lines))
    return (
        b"From: sender%d@example.org\r\nTo: user@example.net\r\nSubject: number %d\r\n"
        b"Message-ID: <%d@example.org>\r\n\r\n.a line with a leading dot\r\n" % (n, n, n)
    ) + body


def read_message(channel: threaded.Channel) -> bytes:
    assert isinstance(channel.next_event(), MessageStart)
    chunks = []
    while True:
        event = channel.next_event()
        if isinstance(event, MessageEnd):
            return b"".join(chunks)
        assert isinstance(event, MessageData)
        chunks.append(event.data)


def test_session_with_every_command(dovecot: Dovecot) -> None:
    messages = [message(1), message(2, 50), message(3)]
    user = dovecot.new_user(messages)
    with threaded.connect("127.0.0.1", dovecot.port, POP3Client(), idle_timeout=LIMIT) as ch:
        greeting = ch.next_event()
        assert greeting.text.startswith("Dovecot")  # type: ignore[attr-defined]
        ch.send(Capa())
        caps = ch.next_event()
        assert isinstance(caps, Capabilities)
        assert caps.has("PIPELINING") and caps.has("UIDL") and caps.has("STLS")
        ch.send(User(user), Pass(Secret(PASSWORD)))
        assert isinstance(ch.next_event(), Ok)
        assert isinstance(ch.next_event(), Ok)
        ch.send(Stat(), List(), Uidl())
        assert ch.next_event() == StatReply(3, sum(len(m) for m in messages))
        assert ch.next_event() == ScanListing(
            tuple((n, len(m)) for n, m in enumerate(messages, 1)), "3 messages:"
        )
        uids = ch.next_event()
        assert isinstance(uids, UidListing) and len({u for _, u in uids.entries}) == 3
        for n, expected in enumerate(messages, 1):
            ch.send(Retr(n))
            assert read_message(ch) == expected
        ch.send(Top(2, 3))
        head, _, body = messages[1].partition(b"\r\n\r\n")
        assert read_message(ch) == head + b"\r\n\r\n" + b"".join(
            body.split(b"\r\n")[i] + b"\r\n" for i in range(3)
        )
        ch.send(Retr(9))
        assert isinstance(ch.next_event(), Err)
        ch.send(Dele(2))
        assert isinstance(ch.next_event(), Ok)
        ch.send(Quit())
        assert isinstance(ch.next_event(), Ok)
    assert dovecot.remaining(user) == 2


def test_download_helper_multi_megabyte(dovecot: Dovecot) -> None:
    big = b"Subject: big\r\n\r\n" + b"".join(
        b"%08d ..........................................................\r\n" % n
        for n in range(80_000)
    )  # about 5.8 MB
    messages = [message(1), big, message(3)]
    user = dovecot.new_user(messages)

    async def run() -> tuple[MailboxDownload, list[bytes]]:
        client = POP3Client()
        job = MailboxDownload(client, username=user, password=PASSWORD)
        channel = await aio.connect("127.0.0.1", dovecot.port, client, idle_timeout=LIMIT)
        async with channel:
            got = [m.data async for m in download_async(channel, job)]
        return job, got

    job, got = asyncio.run(run())
    assert got == messages
    assert job.done and len(job.downloaded_uids) == 3
    assert dovecot.remaining(user) == 3


def test_download_helper_resume_and_delete(dovecot: Dovecot) -> None:
    messages = [message(n) for n in range(1, 6)]
    user = dovecot.new_user(messages)

    def run(known: list[str], delete: bool) -> tuple[MailboxDownload, list[bytes]]:
        client = POP3Client()
        job = MailboxDownload(
            client, username=user, password=PASSWORD, known_uids=known, delete=delete
        )
        with threaded.connect("127.0.0.1", dovecot.port, client, idle_timeout=LIMIT) as ch:
            got = [m.data for m in download_blocking(ch, job)]
        return job, got

    first, got = run([], delete=False)
    assert got == messages
    second, got = run(first.downloaded_uids[:3], delete=True)
    assert got == messages[3:]
    assert dovecot.remaining(user) == 0
    assert sorted(second.deleted_uids) == sorted(first.downloaded_uids)


@pytest.mark.parametrize(
    "mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]
)
def test_sasl_mechanisms(dovecot: Dovecot, mechanism: str) -> None:
    user = dovecot.new_user([message(1)])
    mech = client_mechanism(mechanism, username=user, password=PASSWORD)
    with threaded.connect("127.0.0.1", dovecot.port, POP3Client(), idle_timeout=LIMIT) as ch:
        ch.next_event()
        ch.send(Auth(mechanism, mech.initial_response()))
        while True:
            event = ch.next_event()
            if not isinstance(event, AuthChallenge):
                break
            if mech.complete:
                mech.verify(event.data)
                ch.send(AuthResponse(b""))
            else:
                ch.send(AuthResponse(mech.respond(event.data)))
        assert isinstance(event, Ok), event
        ch.send(Retr(1))
        assert read_message(ch) == message(1)
        ch.send(Quit())
        assert isinstance(ch.next_event(), Ok)


def test_stls(dovecot: Dovecot) -> None:
    user = dovecot.new_user([message(7)])
    with threaded.connect(
        "127.0.0.1",
        dovecot.port,
        POP3Client(),
        starttls_context=dovecot.client_context(),
        idle_timeout=LIMIT,
    ) as ch:
        ch.next_event()
        ch.send(Stls())
        assert isinstance(ch.next_event(), Ok)
        ch.send(Capa())
        caps = ch.next_event()
        assert isinstance(caps, Capabilities) and not caps.has("STLS")
        ch.send(User(user), Pass(Secret(PASSWORD)))
        assert isinstance(ch.next_event(), Ok) and isinstance(ch.next_event(), Ok)
        ch.send(Retr(1))
        assert read_message(ch) == message(7)
        ch.send(Quit())
        assert isinstance(ch.next_event(), Ok)
