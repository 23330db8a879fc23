"""The public hypothesis strategies produce what they promise."""

from __future__ import annotations

import email
import email.policy

from hypothesis import given
from hypothesis import strategies as st

from mailproto.connection import Event
from mailproto.message import Address, Message, format_address
from mailproto.pop3 import Command
from mailproto.pop3._parse import parse_command as parse_pop3
from mailproto.pop3._serialize import serialize_command as serialize_pop3
from mailproto.smtp import Reply, parse_command, serialize_command, serialize_reply
from mailproto.smtp._parse import build_reply, parse_reply_line
from mailproto.testing import (
    addresses,
    chunkings,
    domains,
    email_messages,
    mailboxes,
    pop3_commands,
    smtp_commands,
    smtp_replies,
)


@given(st.binary(max_size=200).flatmap(lambda d: st.tuples(st.just(d), chunkings(d))))
def test_chunkings_cover_the_data_with_non_empty_pieces(case: tuple[bytes, list[bytes]]) -> None:
    data, pieces = case
    assert b"".join(pieces) == data
    assert all(pieces)
    assert len(pieces) <= 32


@given(chunkings(b""))
def test_chunkings_of_nothing_is_no_pieces(pieces: list[bytes]) -> None:
    assert pieces == []


@given(smtp_commands())
def test_smtp_commands_round_trip(command: Event) -> None:
    line = serialize_command(command)  # type: ignore[arg-type]
    assert parse_command(line[:-2]) == command


@given(smtp_replies())
def test_smtp_replies_round_trip(reply: Reply) -> None:
    lines = serialize_reply(reply).split(b"\r\n")[:-1]
    parsed = [parse_reply_line(line) for line in lines]
    assert build_reply(reply.code, [text for _, _, text in parsed]) == reply


@given(mailboxes(utf8=True), domains(literals=True))
def test_mailboxes_and_domains_are_well_formed(mailbox: str, domain: str) -> None:
    local, _, right = mailbox.rpartition("@")
    assert local and right
    assert domain == domain.strip() and " " not in domain


@given(pop3_commands())
def test_pop3_commands_round_trip(command: Command) -> None:
    assert parse_pop3(serialize_pop3(command)[:-2]) == command


@given(addresses(utf8=True))
def test_addresses_survive_a_header(address: Address) -> None:
    header = f"To: {format_address(address, allow_utf8=True)}\r\n\r\n".encode()
    assert Message.parse(header).addresses("To") == [address]


@given(email_messages())
def test_messages_parse_without_defects_here_and_in_the_stdlib(raw: bytes) -> None:
    ours = Message.parse(raw)
    assert ours.defects == []
    assert ours.to_bytes() == raw
    theirs = email.message_from_bytes(raw, policy=email.policy.default)
    assert theirs.defects == []
    assert ours.subject == str(theirs["Subject"])


@given(email_messages(utf8=True))
def test_utf8_messages_parse_without_defects(raw: bytes) -> None:
    assert Message.parse(raw).defects == []
