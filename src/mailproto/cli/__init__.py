"""The ``mailproto`` subcommands: ``demo``, ``serve``, ``send`` and ``fetch``.

:func:`register` adds them to the ``mailproto`` argument parser; each subcommand's work lives in
its own module and is imported only when that subcommand runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["SCENES", "host_port", "register", "user_spec"]

#: The demo's scenes, in the order ``mailproto demo`` runs them.
SCENES = ("journey", "same-domain", "backup-mx", "bounce", "relay-refused")


def host_port(default_port: int) -> Callable[[str], tuple[str, int]]:
    """An argparse type for ``HOST[:PORT]`` (``[v6]:PORT`` for IPv6)."""

    def parse(value: str) -> tuple[str, int]:
        host, port = value, default_port
        if value.startswith("["):
            end = value.find("]")
            if end < 0:
                raise argparse.ArgumentTypeError(f"{value!r}: missing ']'")
            host, rest = value[1:end], value[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    raise argparse.ArgumentTypeError(f"{value!r} is not HOST[:PORT]")
                port = _port(rest[1:], value)
        elif value.count(":") == 1:
            host, _, text = value.partition(":")
            port = _port(text, value)
        if not host:
            raise argparse.ArgumentTypeError(f"{value!r} has no host")
        return host, port

    return parse


def _port(text: str, value: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r}: the port must be a number from 0 to 65535")
    return int(text)


def user_spec(value: str) -> tuple[str, str]:
    """An argparse type for ``NAME:PASSWORD``."""
    from ..devserver import parse_user_spec

    try:
        return parse_user_spec(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _lazy(module: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        main: Callable[[argparse.Namespace], int] = importlib.import_module(module, __name__).main
        return main(args)

    return run


def register(subparsers: Any) -> None:
    """Add ``demo``, ``serve``, ``send`` and ``fetch`` to ``subparsers``.

    ``subparsers`` is what :meth:`argparse.ArgumentParser.add_subparsers` returned; each
    subcommand stores its entry point in ``args.func``.
    """
    _add_demo(subparsers)
    _add_serve(subparsers)
    _add_send(subparsers)
    _add_fetch(subparsers)


def _add_demo(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="watch a message travel from ana@a.example to bea@b.example, hop by hop",
        description=(
            "Run, on loopback and with no configuration, the journey of a message across two "
            "domains: submission with AUTH, an MX lookup, a relay over SMTP, delivery over LMTP "
            "and a download over POP3, with a transcript of every hop; then the special cases "
            "in short scenes. Exits 0 only if every message arrives as it was sent."
        ),
    )
    demo.add_argument(
        "--scene", choices=SCENES, help="run only this scene (default: all, in order)"
    )
    demo.add_argument("--quiet", action="store_true", help="print only the outcome of each scene")
    demo.set_defaults(func=_lazy("._demo"))


def _add_serve(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run a local development mail server (SMTP + POP3)",
        description=(
            "A local mail server for development: SMTP and POP3 over one store. By default it "
            "catches every message and nothing leaves the machine."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--smtp-port", type=int, default=2525, help="SMTP port (2525; 0: any)")
    serve.add_argument("--pop3-port", type=int, default=2110, help="POP3 port (2110; 0: any)")
    serve.add_argument(
        "--maildir", metavar="PATH", help="store mail in a Maildir tree here (default: memory)"
    )
    serve.add_argument(
        "--user",
        metavar="NAME:PASSWORD",
        type=user_spec,
        action="append",
        default=[],
        help="a user (repeatable); NAME is a login or an address",
    )
    serve.add_argument("--tls-cert", metavar="FILE", help="certificate chain (PEM) for STARTTLS")
    serve.add_argument("--tls-key", metavar="FILE", help="private key (PEM) for STARTTLS")
    serve.add_argument(
        "--domain",
        action="append",
        default=[],
        help="a domain this server receives mail for (repeatable); others are refused",
    )
    serve.add_argument(
        "--relay",
        action="store_true",
        help="pass mail for other domains on, for authenticated clients only",
    )
    serve.add_argument(
        "--smarthost",
        metavar="HOST:PORT",
        type=host_port(25),
        help="relay through this server instead of looking up MX records",
    )
    serve.add_argument(
        "--hostname", default="localhost", help="the name the server gives itself (localhost)"
    )
    serve.add_argument(
        "--max-size", type=int, default=25 * 1024 * 1024, help="largest message (25 MiB)"
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log (info: a line per session and per message)",
    )
    serve.set_defaults(func=_lazy("._serve"))


def _add_tls_options(parser: argparse.ArgumentParser, starttls: str) -> None:
    parser.add_argument("--starttls", action="store_true", help=f"upgrade with {starttls}")
    parser.add_argument("--tls", action="store_true", help="connect with TLS from the start")
    parser.add_argument("--cafile", help="trust the certificates in this PEM file")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify the server's certificate"
    )


def _add_login_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="the name to log in as")
    parser.add_argument(
        "--password",
        help="the password (default: the MAILPROTO_PASSWORD environment variable)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per step (30)")


def _add_send(subparsers: Any) -> None:
    send = subparsers.add_parser(
        "send",
        help="compose a message and submit it over SMTP",
        description="Compose a message and submit it to an SMTP server.",
    )
    send.add_argument(
        "--server",
        type=host_port(25),
        default=("127.0.0.1", 2525),
        metavar="HOST[:PORT]",
        help="the SMTP server (127.0.0.1:2525)",
    )
    send.add_argument("--from", dest="sender", required=True, help="the sender's address")
    send.add_argument("--to", action="append", required=True, help="a recipient (repeatable)")
    send.add_argument("--subject", default="", help="the subject")
    body = send.add_mutually_exclusive_group()
    body.add_argument("--body", help="the text of the message")
    body.add_argument("--body-file", metavar="FILE", help="read the text from FILE ('-': stdin)")
    send.add_argument(
        "--attach", action="append", default=[], metavar="FILE", help="attach FILE (repeatable)"
    )
    send.add_argument(
        "--raw",
        metavar="FILE",
        help="send FILE as the whole message instead of composing one ('-': stdin)",
    )
    _add_login_options(send)
    _add_tls_options(send, "STARTTLS")
    send.set_defaults(func=_lazy("._send"))


def _add_fetch(subparsers: Any) -> None:
    fetch = subparsers.add_parser(
        "fetch",
        help="download a POP3 mailbox into a Maildir or an mbox file",
        description=(
            "Download the messages of a POP3 mailbox. The UIDs of downloaded messages are "
            "remembered, so a message is never downloaded twice."
        ),
    )
    fetch.add_argument(
        "--server",
        type=host_port(110),
        default=("127.0.0.1", 2110),
        metavar="HOST[:PORT]",
        help="the POP3 server (127.0.0.1:2110)",
    )
    target = fetch.add_mutually_exclusive_group(required=True)
    target.add_argument("--maildir", metavar="PATH", help="deliver into this Maildir")
    target.add_argument("--mbox", metavar="PATH", help="append to this mbox file")
    fetch.add_argument("--delete", action="store_true", help="delete messages once downloaded")
    fetch.add_argument("--apop", action="store_true", help="log in with APOP")
    fetch.add_argument(
        "--state",
        metavar="FILE",
        help="where to remember downloaded UIDs (default: beside the Maildir or mbox)",
    )
    _add_login_options(fetch)
    _add_tls_options(fetch, "STLS")
    fetch.set_defaults(func=_lazy("._fetch"))
