"""The download helper against our own server, in memory."""

from __future__ import annotations

import pytest

from mailproto.connection import Event
from mailproto.pop3 import (
    DownloadedMessage,
    DownloadError,
    Err,
    MailboxDownload,
    OpenMaildrop,
    POP3Client,
    POP3Server,
)
from mailproto.sasl import PasswordAuthenticator, Secret

from ._helpers import Mailbox, run_pair

MESSAGES = [b"Subject: %d\r\n\r\nbody %d\r\n" % (n, n) for n in range(1, 6)]
UIDS = [f"u{n}" for n in range(1, 6)]


def run(job: MailboxDownload, server: POP3Server, mailbox: Mailbox) -> list[DownloadedMessage]:
    got: list[DownloadedMessage] = []

    def on_event(event: Event) -> None:
        message = job.handle(event)
        if message is not None:
            got.append(message)

    run_pair(job.client, server, mailbox.answer, on_event)
    return got


def make_server(**kwargs: object) -> POP3Server:
    return POP3Server(
        authenticator=PasswordAuthenticator({"tim": "secret"}),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("login", "server_kwargs", "mechanism"),
    [
        ("auto", {}, "AUTH"),
        ("user", {}, "USER"),
        ("apop", {"apop_timestamp": "<1.2@example.org>"}, "APOP"),
        ("auto", {"mechanisms": (), "apop_timestamp": "<1.2@example.org>"}, "APOP"),
        ("auto", {"mechanisms": ()}, "USER"),
    ],
)
def test_download_everything_new(
    login: str, server_kwargs: dict[str, object], mechanism: str
) -> None:
    mailbox = Mailbox(MESSAGES, UIDS)
    job = MailboxDownload(
        POP3Client(),
        username="tim",
        password=Secret("secret"),
        known_uids={"u2"},
        login=login,  # type: ignore[arg-type]
    )
    got = run(job, make_server(**server_kwargs), mailbox)
    assert [(m.msg, m.uid, m.data) for m in got] == [
        (n, UIDS[n - 1], MESSAGES[n - 1]) for n in (1, 3, 4, 5)
    ]
    assert job.done and job.downloaded_uids == ["u1", "u3", "u4", "u5"]
    assert mailbox.opened == [OpenMaildrop("tim", mechanism)]
    assert mailbox.deleted == []


def test_download_and_delete_resumes() -> None:
    mailbox = Mailbox(MESSAGES, UIDS)
    job = MailboxDownload(POP3Client(), username="tim", password="secret", delete=True, limit=2)
    got = run(job, make_server(), mailbox)
    assert [m.uid for m in got] == ["u1", "u2"]
    assert mailbox.deleted == [1, 2] and job.deleted_uids == ["u1", "u2"]
    # a second run: the server still lists the rest; known UIDs are deleted, new ones fetched
    mailbox2 = Mailbox(MESSAGES[2:], UIDS[2:])
    job2 = MailboxDownload(
        POP3Client(), username="tim", password="secret", delete=True, known_uids={"u3"}
    )
    got2 = run(job2, make_server(), mailbox2)
    assert [m.uid for m in got2] == ["u4", "u5"]
    assert sorted(mailbox2.deleted) == [1, 2, 3]


def test_dropped_connection_deletes_nothing() -> None:
    mailbox = Mailbox(MESSAGES, UIDS)
    job = MailboxDownload(POP3Client(), username="tim", password="secret", delete=True)
    server = make_server()
    got: list[DownloadedMessage] = []

    def on_event(event: Event) -> None:
        message = job.handle(event)
        if message is not None:
            got.append(message)
            if len(got) == 2:
                raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        run_pair(job.client, server, mailbox.answer, on_event)
    server.receive_data(b"")
    server.next_event()
    assert mailbox.deleted == [] and not job.done and len(got) == 2


def test_wrong_password() -> None:
    job = MailboxDownload(POP3Client(), username="tim", password="nope", login="user")
    with pytest.raises(DownloadError) as info:
        run(job, make_server(), Mailbox(MESSAGES, UIDS))
    assert info.value.reply == Err("authentication failed", "AUTH")


def test_no_plaintext_login() -> None:
    job = MailboxDownload(
        POP3Client(), username="tim", password="secret", allow_plaintext=False, login="user"
    )
    with pytest.raises(DownloadError):
        run(job, make_server(), Mailbox(MESSAGES, UIDS))
