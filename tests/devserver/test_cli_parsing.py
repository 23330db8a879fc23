"""Argument parsing of the mailproto subcommands."""

from __future__ import annotations

import argparse

import pytest

from mailproto.__main__ import build_parser
from mailproto.cli import SCENES, host_port


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def test_demo() -> None:
    args = parse("demo")
    assert args.scene is None
    assert not args.quiet
    args = parse("demo", "--scene", "bounce", "--quiet")
    assert args.scene == "bounce"
    assert args.quiet
    assert callable(args.func)
    assert set(SCENES) >= {"journey", "same-domain", "backup-mx", "bounce", "relay-refused"}


def test_demo_refuses_unknown_scene(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse("demo", "--scene", "nope")
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_serve_defaults() -> None:
    args = parse("serve")
    assert (args.host, args.smtp_port, args.pop3_port) == ("127.0.0.1", 2525, 2110)
    assert args.maildir is None
    assert args.user == []
    assert args.domain == []
    assert not args.relay
    assert args.smarthost is None


def test_serve_options() -> None:
    args = parse(
        "serve",
        "--smtp-port=0",
        "--pop3-port=0",
        "--maildir=/tmp/m",
        "--user=bea:pw:x",
        "--user",
        "ana@a.example:pw",
        "--domain=a.example",
        "--domain=b.example",
        "--relay",
        "--smarthost=mail.example:587",
        "--tls-cert=c.pem",
        "--tls-key=k.pem",
    )
    assert args.user == [("bea", "pw:x"), ("ana@a.example", "pw")]
    assert args.domain == ["a.example", "b.example"]
    assert args.smarthost == ("mail.example", 587)
    assert (args.tls_cert, args.tls_key) == ("c.pem", "k.pem")


def test_serve_refuses_bad_user(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("serve", "--user", "nopassword")
    assert "NAME:PASSWORD" in capsys.readouterr().err


def test_send() -> None:
    args = parse("send", "--from", "a@x", "--to", "b@y", "--to", "c@z", "--attach", "f.pdf")
    assert args.server == ("127.0.0.1", 2525)
    assert args.to == ["b@y", "c@z"]
    assert args.attach == ["f.pdf"]
    args = parse("send", "--from=a@x", "--to=b@y", "--server=mail.example", "--starttls")
    assert args.server == ("mail.example", 25)
    assert args.starttls


def test_send_needs_from_and_to() -> None:
    with pytest.raises(SystemExit):
        parse("send", "--to", "b@y")
    with pytest.raises(SystemExit):
        parse("send", "--from", "b@y")


def test_fetch() -> None:
    args = parse("fetch", "--maildir", "m", "--user", "bea", "--delete")
    assert args.server == ("127.0.0.1", 2110)
    assert args.maildir == "m"
    assert args.delete
    with pytest.raises(SystemExit):
        parse("fetch", "--maildir", "m", "--mbox", "x")
    with pytest.raises(SystemExit):
        parse("fetch")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mail.example", ("mail.example", 25)),
        ("mail.example:2525", ("mail.example", 2525)),
        ("[::1]:2525", ("::1", 2525)),
        ("[::1]", ("::1", 25)),
        ("::1", ("::1", 25)),
    ],
)
def test_host_port(value: str, expected: tuple[str, int]) -> None:
    assert host_port(25)(value) == expected


@pytest.mark.parametrize("value", ["mail:x", "mail:99999", ":25", "[::1", "[::1]x"])
def test_host_port_refuses(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        host_port(25)(value)


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    from mailproto.__main__ import main

    assert main([]) == 0
    assert "demo" in capsys.readouterr().out
