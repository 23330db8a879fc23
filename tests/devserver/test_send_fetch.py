"""``mailproto send`` and ``mailproto fetch`` against the development server."""

from __future__ import annotations

import email
import email.policy
import mailbox
from pathlib import Path

import pytest

from mailproto.__main__ import main
from mailproto.devserver import ServerConfig

from ._harness import running


def test_send_composes_and_submits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    attachment = tmp_path / "data.bin"
    attachment.write_bytes(bytes(range(256)))
    config = ServerConfig(users=[("ana@a.example", "pw")], domains=["b.example", "a.example"])
    with running(config) as (server, _):
        status = main(
            [
                "send",
                f"--server=127.0.0.1:{server.smtp_port}",
                "--from=ana@a.example",
                "--to=ana@a.example",
                "--subject=Report for Q3",
                "--body=See the attachment.",
                f"--attach={attachment}",
                "--user=ana@a.example",
                "--password=pw",
            ]
        )
        assert status == 0, capsys.readouterr()
        assert capsys.readouterr().out.startswith("250 ")
        stored = server.store.read("ana@a.example", server.store.messages("ana@a.example")[0].uid)
    parsed = email.message_from_bytes(stored)
    assert parsed["Subject"] == "Report for Q3"
    assert parsed["From"] == "ana@a.example"
    parts = list(parsed.walk())
    payloads = [p.get_payload(decode=True) for p in parts if p.get_filename() == "data.bin"]
    assert payloads == [bytes(range(256))]


def test_send_reports_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    config = ServerConfig(users=[("bea", "pw")], domains=["b.example"])
    with running(config) as (server, _):
        status = main(
            [
                "send",
                f"--server=127.0.0.1:{server.smtp_port}",
                "--from=x@c.example",
                "--to=nobody@b.example",
                "--to=bea@b.example",
                "--body=hi",
            ]
        )
        assert status == 1
        assert "refused <nobody@b.example>: 550" in capsys.readouterr().err
        assert len(server.store.messages("bea")) == 1
        status = main(
            [
                "send",
                f"--server=127.0.0.1:{server.smtp_port}",
                "--from=x@c.example",
                "--to=bea@b.example",
                "--user=bea",
                "--password=wrong",
            ]
        )
        assert status == 1
        assert "AUTH" in capsys.readouterr().err


def test_send_raw_file_keeps_bytes(tmp_path: Path) -> None:
    raw = tmp_path / "msg.eml"
    raw.write_bytes(b"Subject: raw\n\n.leading dot\nline\n")
    with running(ServerConfig()) as (server, _):
        status = main(
            [
                "send",
                f"--server=127.0.0.1:{server.smtp_port}",
                "--from=a@a.example",
                "--to=b@b.example",
                f"--raw={raw}",
            ]
        )
        assert status == 0
        uid = server.store.messages("b@b.example")[0].uid
        assert server.store.read("b@b.example", uid) == (
            b"Subject: raw\r\n\r\n.leading dot\r\nline\r\n"
        )


def test_send_cannot_connect(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["send", "--server=127.0.0.1:1", "--from=a@a", "--to=b@b", "--timeout=5"])
    assert status == 1
    assert "mailproto send:" in capsys.readouterr().err


@pytest.mark.parametrize("login", ["apop", "scram"])
def test_fetch_into_maildir_once(tmp_path: Path, login: str) -> None:
    config = ServerConfig(users=[("bea", "pw")])
    with running(config) as (server, _):
        first = b"Subject: one\r\n\r\nfirst\r\n"
        server.store.deliver("bea", first)
        argv = [
            "fetch",
            f"--server=127.0.0.1:{server.pop3_port}",
            f"--maildir={tmp_path / 'Mail'}",
            "--user=bea",
            "--password=pw",
        ]
        if login == "apop":
            argv.append("--apop")
        assert main(argv) == 0
        assert main(argv) == 0  # nothing new: nothing downloaded again
        second = b"Subject: two\r\n\r\nsecond\r\n"
        server.store.deliver("bea", second)
        assert main([*argv, "--delete"]) == 0
        assert server.store.messages("bea") == []
    new = sorted((tmp_path / "Mail" / "new").iterdir(), key=lambda p: p.name)
    assert sorted(p.read_bytes() for p in new) == sorted([first, second])
    assert len((tmp_path / "Mail" / ".mailproto-uids").read_text().splitlines()) == 2


def test_fetch_into_mbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running(ServerConfig()) as (server, _):
        server.store.deliver("bea@b.example", b"Subject: s\r\n\r\nFrom the start\r\nok\r\n")
        box = tmp_path / "inbox.mbox"
        argv = [
            "fetch",
            f"--server=127.0.0.1:{server.pop3_port}",
            f"--mbox={box}",
            "--user=bea@b.example",
            "--password=any",
        ]
        assert main(argv) == 0
        assert "fetched 1 new message(s)" in capsys.readouterr().out
    messages = list(mailbox.mbox(str(box)))
    assert len(messages) == 1
    assert messages[0]["Subject"] == "s"
    assert b">From the start" in box.read_bytes()


def test_fetch_wrong_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running(ServerConfig(users=[("bea", "pw")])) as (server, _):
        status = main(
            [
                "fetch",
                f"--server=127.0.0.1:{server.pop3_port}",
                f"--maildir={tmp_path / 'M'}",
                "--user=bea",
                "--password=nope",
            ]
        )
    assert status == 1
    assert "-ERR" in capsys.readouterr().err


def test_send_and_fetch_over_starttls(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    config = ServerConfig(
        users=[("bea", "pw")],
        tls_cert=str(tmp_path / "server.pem"),
        tls_key=str(tmp_path / "server.pem"),
    )
    tls = ["--starttls", f"--cafile={tmp_path / 'ca.pem'}"]
    with running(config) as (server, _):
        sent = main(
            [
                "send",
                f"--server=localhost:{server.smtp_port}",
                "--from=a@a.example",
                "--to=bea@b.example",
                "--body=over TLS",
                "--user=bea",
                "--password=pw",
                *tls,
            ]
        )
        assert sent == 0
        fetched = main(
            [
                "fetch",
                f"--server=localhost:{server.pop3_port}",
                f"--maildir={tmp_path / 'Mail'}",
                "--user=bea",
                "--password=pw",
                *tls,
            ]
        )
        assert fetched == 0
        # Without the CA the certificate is not trusted, and nothing is sent.
        assert (
            main(
                [
                    "send",
                    f"--server=localhost:{server.smtp_port}",
                    "--from=a@a.example",
                    "--to=bea@b.example",
                    "--starttls",
                ]
            )
            == 1
        )
        assert len(server.store.messages("bea")) == 1
    [saved] = list((tmp_path / "Mail" / "new").iterdir())
    assert b"over TLS" in saved.read_bytes()


def test_send_with_display_names_and_non_ascii() -> None:
    with running(ServerConfig()) as (server, _):
        status = main(
            [
                "send",
                f"--server=127.0.0.1:{server.smtp_port}",
                "--from=Jos\u00e9 <jose@a.example>",
                "--to=Bea <bea@b.example>",
                "--subject=Gr\u00fc\u00dfe aus K\u00f6ln",
                "--body=Sch\u00f6ne Gr\u00fc\u00dfe \u2713",
            ]
        )
        assert status == 0
        [stored] = server.store.messages("bea@b.example")
        data = server.store.read("bea@b.example", stored.uid)
    assert data.isascii()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "Gr\u00fc\u00dfe aus K\u00f6ln"
    assert parsed.get_content().strip() == "Sch\u00f6ne Gr\u00fc\u00dfe \u2713"  # type: ignore[attr-defined]
