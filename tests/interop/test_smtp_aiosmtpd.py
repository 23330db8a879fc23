"""Our SMTP client against aiosmtpd (STARTTLS, AUTH, SMTPUTF8, refusals)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from mailproto.drivers.asyncio import connect
from mailproto.smtp import Hello, MailFrom, Quit, RcptTo, SmtpClient

from ._smtp_common import Certs, client_session, make_certs, next_reply

pytestmark = pytest.mark.interop

LIMIT = 30.0
BODY = b"Subject: to aiosmtpd\r\n\r\nfirst\r\n.dot line\r\n\xc3\xa9t\xc3\xa9\r\n"


class Handler:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"alice"
        and (auth_data.password == b"secret")
    )
    # handled=False: let aiosmtpd send its own 535 on failure.
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certs() -> Certs:
    return make_certs()


@pytest.fixture
def aiosmtpd(certs: Certs) -> Iterator[tuple[int, Handler]]:
    handler = Handler()
    server_ctx = certs.server
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        server_hostname="localhost",
        tls_context=server_ctx,
        require_starttls=False,
        authenticator=_authenticator,
        auth_require_tls=True,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


def test_starttls_auth_and_send(aiosmtpd: tuple[int, Handler], certs: Certs) -> None:
    port, handler = aiosmtpd

    async def main() -> list[Any]:
        channel = await connect(
            "127.0.0.1",
            port,
            SmtpClient(),
            starttls_context=certs.client,
            server_hostname="localhost",
            idle_timeout=LIMIT,
        )
        try:
            return await client_session(
                channel,
                "alice@example.org",
                ["bob@example.net", "carol@example.net"],
                BODY,
                starttls=True,
                login=("alice", "secret"),
                mechanism="LOGIN",
            )
        finally:
            await channel.aclose()

    replies = asyncio.run(main())
    assert [r.code for r in replies] == [220, 250, 220, 250, 235, 250, 250, 250, 354, 250, 221]
    [envelope] = handler.envelopes
    assert envelope.mail_from == "alice@example.org"
    assert envelope.rcpt_tos == ["bob@example.net", "carol@example.net"]
    assert envelope.original_content == BODY


def test_plain_auth_and_smtputf8(aiosmtpd: tuple[int, Handler], certs: Certs) -> None:
    port, handler = aiosmtpd

    async def main() -> list[Any]:
        client = SmtpClient()
        channel = await connect(
            "127.0.0.1",
            port,
            client,
            starttls_context=certs.client,
            server_hostname="localhost",
            idle_timeout=LIMIT,
        )
        try:
            replies = await client_session(
                channel,
                "alice@example.org",
                ["bob@example.net"],
                BODY,
                starttls=True,
                login=("alice", "secret"),
                mechanism="PLAIN",
            )
            assert client.supports("SMTPUTF8")
            return replies
        finally:
            await channel.aclose()

    assert [r.code for r in asyncio.run(main())][-4:] == [250, 354, 250, 221]

    async def utf8() -> list[int]:
        channel = await connect("127.0.0.1", port, SmtpClient(), idle_timeout=LIMIT)
        try:
            from mailproto.smtp import Data, DataChunk, EndOfData

            codes = [(await next_reply(channel)).code]
            await channel.send(Hello("EHLO", "client.example"))
            codes.append((await next_reply(channel)).code)
            await channel.send(
                MailFrom("j\u00f6rg@example.org", {"SMTPUTF8": None}),
                RcptTo("\u00fc@example.net"),
                RcptTo("nobody@example.net"),
                Data(),
            )
            codes += [(await next_reply(channel)).code for _ in range(4)]
            await channel.send(DataChunk(BODY), EndOfData(), Quit())
            codes += [(await next_reply(channel)).code for _ in range(2)]
            return codes
        finally:
            await channel.aclose()

    assert asyncio.run(utf8()) == [220, 250, 250, 250, 550, 354, 250, 221]
    envelope = handler.envelopes[-1]
    assert envelope.mail_from == "j\u00f6rg@example.org"
    assert envelope.rcpt_tos == ["\u00fc@example.net"]


def test_bad_password_is_refused(aiosmtpd: tuple[int, Handler], certs: Certs) -> None:
    port, _ = aiosmtpd

    async def main() -> int:
        from mailproto.sasl import client_mechanism
        from mailproto.smtp import StartTLSCommand

        client = SmtpClient()
        channel = await connect(
            "127.0.0.1",
            port,
            client,
            starttls_context=certs.client,
            server_hostname="localhost",
            idle_timeout=LIMIT,
        )
        try:
            await next_reply(channel)
            await channel.send(Hello("EHLO", "client.example"))
            await next_reply(channel)
            await channel.send(StartTLSCommand())
            await next_reply(channel)
            await channel.send(Hello("EHLO", "client.example"))
            await next_reply(channel)
            client.authenticate(client_mechanism("PLAIN", username="alice", password="nope"))
            await channel.send()
            return (await next_reply(channel)).code
        finally:
            await channel.aclose()

    assert asyncio.run(main()) == 535
