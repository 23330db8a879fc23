"""LMTP specifics: one reply per accepted recipient, for DATA, BDAT and refused messages."""

from __future__ import annotations

import pytest

from mailproto import RemoteProtocolError
from mailproto.smtp import (
    Bdat,
    Data,
    DataChunk,
    EndOfData,
    Hello,
    LmtpClient,
    LmtpServer,
    MailFrom,
    MessageComplete,
    RcptTo,
    Reply,
)

from ._dialogue import drain


def _server_with_two_recipients() -> LmtpServer:
    server = LmtpServer(hostname="store.example")
    server.next_event()
    server.accept()
    server.receive_data(
        b"LHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@store.example>\r\n"
        b"RCPT TO:<nobody@store.example>\r\nRCPT TO:<y@store.example>\r\n"
    )
    for refuse in (False, False, False, True, False):
        server.next_event()
        if refuse:
            server.reject()
        else:
            server.accept()
    server.data_to_send()
    return server


def test_lmtp_server_refuses_ehlo() -> None:
    server = LmtpServer()
    server.next_event()
    server.accept()
    server.receive_data(b"EHLO c.example\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.reply == Reply(500, ("Use LHLO",), "5.5.1")


def test_lmtp_bare_lf_is_refused_once_per_recipient() -> None:
    server = _server_with_two_recipients()
    server.receive_data(b"DATA\r\nbad\nline\r\n.\r\n")
    assert server.next_event() == Data()
    server.accept()
    with pytest.raises(RemoteProtocolError) as info:
        while True:
            server.next_event()
    assert server.replies_owed == 2
    server.send(info.value.reply)  # type: ignore[arg-type]
    assert server.awaiting_reply
    server.send(info.value.reply)  # type: ignore[arg-type]
    assert not server.awaiting_reply
    out = server.data_to_send()
    assert out.count(b"554 5.6.0") == 2


def test_lmtp_bdat_last_gets_one_reply_per_recipient() -> None:
    server = _server_with_two_recipients()
    server.receive_data(b"BDAT 3\r\nabcBDAT 2 LAST\r\nde")
    assert server.next_event() == Bdat(3)
    assert server.next_event() == DataChunk(b"abc")
    server.next_event()  # ChunkComplete
    server.accept()
    assert server.next_event() == Bdat(2, last=True)
    assert server.next_event() == DataChunk(b"de")
    done = server.next_event()
    assert isinstance(done, MessageComplete)
    assert done.recipients == ("x@store.example", "y@store.example")
    assert server.default_replies() == [Reply(250, ("OK",), "2.0.0")] * 2
    server.send(Reply(250, ("delivered to x",), "2.0.0"))
    server.send(Reply(452, ("y is over quota",), "4.2.2"))
    assert server.data_to_send() == (
        b"250 2.0.0 3 octets received\r\n250 2.0.0 delivered to x\r\n452 4.2.2 y is over quota\r\n"
    )


def test_lmtp_client_counts_accepted_recipients() -> None:
    client = LmtpClient()
    for event in (
        Hello("LHLO", "c.example"),
        MailFrom("a@b.c"),
        RcptTo("x@s.example"),
        RcptTo("no@s.example"),
        RcptTo("y@s.example"),
        Data(),
        DataChunk(b"hi\r\n"),
        EndOfData(),
    ):
        client.send(event)
    client.receive_data(b"220 s.example LMTP\r\n250-s.example\r\n250 PIPELINING\r\n")
    drain(client)
    assert client.data_to_send().endswith(b"DATA\r\n")
    client.receive_data(b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n")
    drain(client)
    assert client.data_to_send() == b"hi\r\n.\r\n"
    client.receive_data(b"250 2.0.0 x ok\r\n")
    assert drain(client) == [Reply(250, ("x ok",), "2.0.0")]
    assert client.read_timeout == 600.0  # still waiting for y's reply
    client.receive_data(b"452 4.2.2 y over quota\r\n")
    assert drain(client) == [Reply(452, ("y over quota",), "4.2.2")]
    client.receive_data(b"250 extra\r\n")
    with pytest.raises(RemoteProtocolError):
        drain(client)
