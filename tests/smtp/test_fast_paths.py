"""The client's fast paths against its general path: the same bytes, events and errors.

``_General`` is the client with every fast path turned off (send's shortcuts for RCPT and
NOOP, RCPT replies resolved or compared in bulk, replies parsed ahead from the buffer's
bytes). Whatever is sent and received, in whatever pieces, both must behave alike.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto import NEED_DATA, LocalProtocolError, RemoteProtocolError, StartTLS
from mailproto.connection import ConnectionClosed, Event
from mailproto.smtp import (
    Data,
    DataChunk,
    EndOfData,
    Expand,
    Hello,
    Help,
    LmtpClient,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    SmtpClient,
    StartTLSCommand,
    Verify,
)
from mailproto.smtp._client import _READY_NONE


class _General(SmtpClient):
    """SmtpClient with its fast paths turned off."""

    def _refresh_ready(self) -> None:
        self._ready = _READY_NONE

    def _parse_ahead(self) -> bool:
        return False

    def _repeated_rcpt_replies(self, run: int) -> bool:
        return False

    def _resolve_held(self) -> None:
        pass


_ADDRESSES = [
    "bob@example.net",
    "first.last+tag@sub.example.co.uk",
    "a-b_c@ex-ample.org",
    "x@localhost",
    '"quoted name"@example.com',
    "caf\u00e9@example.com",
    "user@[192.0.2.1]",
    "Postmaster",
    "postmaster",
    "bad@",
    "@bad",
    "two@@at.example",
    "dot.@example.com",
    ".dot@example.com",
    "a..b@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@exa..mple.com",
    "a b@example.com",
    "a@example.com\r\nDATA",
    "",
]

_COMMANDS: list[Event] = [
    MailFrom("alice@example.org"),
    *[RcptTo(address) for address in _ADDRESSES],
    RcptTo("bob@example.net", {"NOTIFY": "NEVER"}),
    RcptTo("bob@example.net", {"BAD KEY": None}),
    Noop(),
    Noop("hello"),
    Noop(" padded "),
    Help(),
    Help("RCPT"),
    Verify("bob"),
    Verify(""),
    Expand("list"),
    Reset(),
    Data(),
    DataChunk(b"Subject: x\r\n\r\nbody\r\n"),
    EndOfData(),
    Quit(),
    StartTLSCommand(),
]

_REPLY_LINES = [
    b"250 2.1.5 Recipient ok\r\n",
    b"250 2.1.0 OK\r\n",
    b"250 ok\r\n",
    b"250\r\n",
    b"250-2.0.0 member one\r\n",
    b"250-2.0.0 member two\r\n",
    b"250 2.0.0 end of list\r\n",
    b"250-2.0.0\r\n",
    b"250 2.0.0\r\n",
    b"250-2.1.0 other status\r\n",
    b"250-mx.example\r\n",
    b"250-PIPELINING\r\n",
    b"250 SIZE 1000\r\n",
    b"250 x\n",
    b"250-x\n",
    b"250-caf\xc3\xa9 \xff\r\n",
    b"250 caf\xc3\xa9\r\n",
    b"251 2.1.5 will forward\r\n",
    b"354 go ahead\r\n",
    b"550 5.1.1 no such user\r\n",
    b"550-5.1.1 no such\r\n",
    b"550 5.1.1 user\r\n",
    b"421 4.3.0 closing\r\n",
    b"220 2.0.0 ready for TLS\r\n",
    b"221 2.0.0 bye\r\n",
    b"25\r\n",
    b"250_x\r\n",
    b"\r\n",
    b"250 " + b"y" * 40 + b"\r\n",
    b"250-" + b"z" * 40 + b"\r\n",
    b"250 2.1.5 <a@example.net> ok\r\n",
    b"250 2.1.5 <b@example.net> ok\r\n",
    b"250 2.1.5 caf\xc3\xa9 \xff\r\n",
    b"250 2.1.5\r\n",
    b"250 2.1.50 long\r\n",
    b"250 4.1.5 wrong class\r\n",
    b"421 4.4.2 closing\r\n",
]


def _mail_sent(client: SmtpClient) -> SmtpClient:
    """``client`` greeted by a server that offers PIPELINING, its EHLO/LHLO answered and MAIL
    sent (not yet answered)."""
    client.receive_data(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n")
    client.send(Hello("LHLO" if client.lmtp else "EHLO", "c.example"))
    assert client.next_event() == Reply(220, ("mx",))
    assert client.next_event() == Reply(250, ("mx", "PIPELINING"))
    client.send(MailFrom("a@example.org"))
    return client


def _run(
    cls: type[SmtpClient], pipelining: bool, commands: list[Event], data: bytes, cuts: list[int]
) -> list[object]:
    """Everything observable: bytes written, events, errors, and the state after each step."""
    client = cls(pipelining=pipelining, max_reply_lines=5, max_reply_line_length=30)
    log: list[object] = []

    def drain() -> None:
        while True:
            try:
                event = client.next_event()
            except (LocalProtocolError, RemoteProtocolError) as exc:
                log.append((type(exc).__name__, str(exc), exc.kind))
                if isinstance(exc, RemoteProtocolError) and exc.fatal:
                    raise
                continue
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                # (ConnectionClosed would be returned again and again.)
                log.append((event, client.data_to_send(), client.state, client.read_timeout))
                return
            log.append(event)
            if isinstance(event, StartTLS):
                client.tls_started()

    greeting = b"220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"
    client.receive_data(greeting)
    client.send(Hello("EHLO", "c.example"))
    try:
        drain()
        for command in commands:
            try:
                client.send(command)
                log.append("sent")
            except LocalProtocolError as exc:
                log.append(("refused", str(exc)))
        log.append(client.data_to_send())
        pos = 0
        index = 0
        while pos < len(data):
            size = cuts[index % len(cuts)]
            index += 1
            client.receive_data(data[pos : pos + size])
            pos += size
            drain()
            # Commands sent between reads take the fast paths in other states.
            if index % 3 == 0 and commands:
                try:
                    client.send(commands[index % len(commands)])
                    log.append("sent")
                except LocalProtocolError as exc:
                    log.append(("refused", str(exc)))
        client.receive_data(b"")
        drain()
    except RemoteProtocolError:
        pass
    return log


_ENDINGS: list[list[Event]] = [[], [Data()], [Reset()], [Data(), DataChunk(b"x\r\n"), EndOfData()]]


def _transaction(rcpts: list[Event], ending: list[Event]) -> list[Event]:
    return [MailFrom("alice@example.org"), *rcpts, *ending]


_TRANSACTIONS = st.builds(
    _transaction,
    st.lists(st.sampled_from([*_COMMANDS[1 : len(_ADDRESSES) + 3], Noop()]), max_size=6),
    st.sampled_from(_ENDINGS),
)

_SCRIPTS = st.lists(
    st.one_of(st.sampled_from(_COMMANDS).map(lambda command: [command]), _TRANSACTIONS),
    max_size=5,
).map(lambda groups: [command for group in groups for command in group])


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    _SCRIPTS,
    st.lists(st.sampled_from(_REPLY_LINES), max_size=16),
    st.lists(st.integers(1, 200), min_size=1, max_size=5),
)
def test_fast_paths_behave_as_the_general_path(
    pipelining: bool, commands: list[Event], lines: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(lines)
    assert _run(SmtpClient, pipelining, commands, data, cuts) == _run(
        _General, pipelining, commands, data, cuts
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_ADDRESSES[:4]), min_size=1, max_size=80),
    st.lists(
        st.tuples(
            st.sampled_from(
                _REPLY_LINES[:3] + _REPLY_LINES[17:22] + _REPLY_LINES[4:7] + _REPLY_LINES[-7:]
            ),
            st.integers(1, 40),
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(1, 400), min_size=1, max_size=4),
)
def test_pipelined_rcpt_replies_in_bulk_behave_as_one_by_one(
    addresses: list[str], runs: list[tuple[bytes, int]], cuts: list[int]
) -> None:
    """Long pipelines of RCPTs, their replies runs of one repeated line."""
    commands: list[Event] = [MailFrom("a@example.org")]
    commands += [RcptTo(address) for address in addresses]
    commands.append(Data())
    data = b"250 2.1.0 OK\r\n" + b"".join(line * count for line, count in runs)
    assert _run(SmtpClient, True, commands, data, cuts) == _run(
        _General, True, commands, data, cuts
    )


def test_repeated_rcpt_replies_stop_at_the_first_other_reply() -> None:
    client = _mail_sent(SmtpClient())
    for i in range(200):
        client.send(RcptTo(f"user{i}@example.net"))
    client.send(Data())
    written = client.data_to_send()
    assert written == (
        b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n"
        + b"".join(b"RCPT TO:<user%d@example.net>\r\n" % i for i in range(200))
        + b"DATA\r\n"
    )
    ok = b"250 2.1.5 Ok\r\n"
    client.receive_data(b"250 2.1.0 Ok\r\n" + ok * 120 + b"550 5.1.1 No\r\n" + ok * 79)
    client.receive_data(b"354 go\r\n")
    got = []
    while (event := client.next_event()) is not NEED_DATA:
        got.append(event)
    assert got[0] == Reply(250, ("Ok",), "2.1.0")
    assert got[1:121] == [Reply(250, ("Ok",), "2.1.5")] * 120
    assert got[121] == Reply(550, ("No",), "5.1.1")
    assert got[122:201] == [Reply(250, ("Ok",), "2.1.5")] * 79
    assert got[201] == Reply(354, ("go",))
    assert len(got) == 202


def test_replies_parsed_ahead_are_discarded_with_starttls() -> None:
    """A reply parsed from the buffer before STARTTLS was sent, but coming after its 220,
    is reported as discarded plaintext exactly as if it had stayed in the buffer."""
    for cls in (SmtpClient, _General):
        client = cls(pipelining=False)
        client.receive_data(b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n")
        client.send(Hello("EHLO", "c.example"))
        assert client.next_event() == Reply(220, ("mx",))
        assert client.next_event() == Reply(250, ("mx", "STARTTLS"))
        client.send(Noop())
        client.receive_data(b"250 2.0.0 ok\r\n220 2.0.0 go\r\n250-2.0.0 a\r\n250 2.0.0 b\r\nx")
        assert client.next_event() == Reply(250, ("ok",), "2.0.0")
        client.send(StartTLSCommand())
        assert client.data_to_send() == b"EHLO c.example\r\nNOOP\r\nSTARTTLS\r\n"
        assert client.next_event() == Reply(220, ("go",), "2.0.0")
        event = client.next_event()
        assert event == StartTLS(discarded=b"250-2.0.0 a\r\n250 2.0.0 b\r\nx"), cls


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([250, 251, 550, 452]),
            st.sampled_from(["2.0.0 ", "5.1.1 ", "", "2.0.0", "4.5.6 "]),
            st.lists(st.text("ab \u00e9\t", max_size=6), min_size=1, max_size=7),
        ),
        max_size=6,
    ),
    st.lists(st.integers(1, 50), min_size=1, max_size=4),
)
def test_multi_line_replies_parsed_ahead_match_the_general_path(
    replies: list[tuple[int, str, list[str]]], cuts: list[int]
) -> None:
    lines = []
    for code, status, texts in replies:
        for i, text in enumerate(texts):
            separator = " " if i == len(texts) - 1 else "-"
            lines.append(f"{code}{separator}{status}{text}\r\n".encode())
    data = b"".join(lines)
    commands: list[Event] = [Noop()] * len(replies)
    for pipelining in (False, True):
        assert _run(SmtpClient, pipelining, commands, data, cuts) == _run(
            _General, pipelining, commands, data, cuts
        )


def test_rcpt_written_in_order_with_what_the_pipeline_holds_back() -> None:
    """A RCPT sent while a NOOP blocks the pipeline waits behind it; one with parameters
    keeps them."""
    for cls in (SmtpClient, _General):
        client = _mail_sent(cls())
        client.send(RcptTo("b@example.net"))
        client.send(RcptTo("c@example.net", {"NOTIFY": "NEVER"}))
        client.send(Noop())
        client.send(RcptTo("d@example.net"))
        client.send(RcptTo("e@example.net"))
        assert client.data_to_send() == (
            b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
            b"RCPT TO:<c@example.net> NOTIFY=NEVER\r\nNOOP\r\n"
        ), cls
        client.receive_data(b"250 ok\r\n" * 4)
        assert [client.next_event() for _ in range(5)] == [Reply(250, ("ok",))] * 4 + [NEED_DATA]
        assert client.data_to_send() == b"RCPT TO:<d@example.net>\r\nRCPT TO:<e@example.net>\r\n"
        client.send(RcptTo("f@example.net"))
        assert client.data_to_send() == b"RCPT TO:<f@example.net>\r\n", cls


def test_reply_line_limit_is_the_same_for_replies_parsed_ahead() -> None:
    for count in (4, 5, 6):
        for status in (b"2.0.0 ", b""):
            data = b"250-%sa\r\n" % status * (count - 1) + b"250 %sb\r\n" % status
            fast = _run(SmtpClient, False, [Noop()], data, [200])
            assert fast == _run(_General, False, [Noop()], data, [200])
            parsed = [event for event in fast if isinstance(event, Reply) and event.code == 250]
            assert (parsed[-1].lines[-1] == "b") == (count <= 5)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([b"250 2.1.5 ok\r\n", b"550 5.1.1 no\r\n"]), st.integers(1, 30)),
        min_size=1,
        max_size=4,
    ).map(lambda runs: [line for line, count in runs for _ in range(count)]),
    st.integers(1, 300),
)
def test_lmtp_counts_the_recipients_accepted_in_bulk(answers: list[bytes], cut: int) -> None:
    """LMTP owes one reply after the message per accepted recipient, however RCPT replies
    were taken."""

    class _GeneralLmtp(_General):
        def __init__(self) -> None:
            super().__init__(lmtp=True, helo_fallback=False)

    outcomes = []
    for cls in (LmtpClient, _GeneralLmtp):
        client = _mail_sent(cls())
        for i in range(len(answers)):
            client.send(RcptTo(f"u{i}@example.net"))
        client.send(Data())
        accepted = answers.count(b"250 2.1.5 ok\r\n")
        data = b"250 ok\r\n" + b"".join(answers) + b"354 go\r\n"
        data += b"250 2.0.0 delivered\r\n" * max(accepted, 1) + b"221 bye\r\n"
        events: list[object] = []
        for start in range(0, len(data), cut):
            client.receive_data(data[start : start + cut])
            while (event := client.next_event()) is not NEED_DATA:
                events.append(event)
                if event == Reply(354, ("go",)):
                    client.send(DataChunk(b"x\r\n"))
                    client.send(EndOfData())
                    client.send(Quit())
        outcomes.append((events, client.state))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][-1] == Reply(221, ("bye",))


_PLAIN_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]"
_PLAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
#: The simple mailbox as the grammar says it, without the possessive tricks.
_PLAIN_SIMPLE = re.compile(
    rf"{_PLAIN_ATEXT}+(?:\.{_PLAIN_ATEXT}+)*@{_PLAIN_LABEL}(?:\.{_PLAIN_LABEL})*"
)


@settings(max_examples=2000)
@given(st.text('ab9Z-._+!"@[]\u00e9 ', max_size=14))
def test_simple_mailbox_is_the_plain_grammar_and_a_mailbox(text: str) -> None:
    from mailproto.smtp._parse import MAILBOX_RE
    from mailproto.smtp._serialize import SIMPLE_MAILBOX_RE

    simple = SIMPLE_MAILBOX_RE.fullmatch(text) is not None
    assert simple == (_PLAIN_SIMPLE.fullmatch(text) is not None)
    if simple:
        assert MAILBOX_RE.fullmatch(text) is not None


def test_a_bare_lf_inside_a_multi_line_reply_is_left_to_the_general_path() -> None:
    data = b"250-x\n250-2.0.0\r\n250 2.1.5 Recipient ok\r\n"
    for cuts in ([41], [len(data)], [1]):
        fast = _run(SmtpClient, False, [Noop()], data, cuts)
        assert fast == _run(_General, False, [Noop()], data, cuts)
        assert Reply(250, ("x", "2.0.0", "2.1.5 Recipient ok")) in fast


def _scripted(client: SmtpClient, data: bytes, cut: int) -> list[object]:
    events: list[object] = []
    try:
        for start in range(0, len(data), cut):
            client.receive_data(data[start : start + cut])
            while (event := client.next_event()) is not NEED_DATA:
                events.append(event)
                if isinstance(event, Reply) and event.code in (235, 535):
                    client.send(Noop())
                    client.send(Quit())
        events.append(client.data_to_send())
    except (LocalProtocolError, RemoteProtocolError) as exc:
        events.append((type(exc).__name__, str(exc)))
    return events


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 120), st.sampled_from([b"235 2.7.0 ok\r\n", b"535 5.7.8 no\r\n"]))
def test_helo_fallback_and_auth_challenges_parsed_ahead(cut: int, outcome: bytes) -> None:
    """Replies answered inside the client (a refused EHLO, a 334 challenge) in the middle of
    replies parsed ahead."""
    from mailproto.sasl import client_mechanism

    data = (
        b"220 mx\r\n502 5.5.1 no EHLO\r\n250 mx hello\r\n250 2.0.0 ok\r\n"
        b"334 \r\n" + outcome + b"250 2.0.0 ok\r\n221 2.0.0 bye\r\n"
    )
    outcomes = []
    for cls in (SmtpClient, _General):
        client = cls()
        client.send(Hello("EHLO", "c.example"))
        client.send(Noop())
        client.authenticate(client_mechanism("PLAIN", username="u", password="p"))
        outcomes.append(_scripted(client, data, cut))
    assert outcomes[0] == outcomes[1]
    assert Reply(221, ("bye",), "2.0.0") in outcomes[0]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"250 2.1.5 <%d> ok\r\n", b"550 5.1.1 <%d> unknown\r\n", b"250 2.1.5 ok\r\n"]
        ),
        min_size=1,
        max_size=120,
    ),
    st.lists(st.integers(1, 500), min_size=1, max_size=3),
)
def test_rcpt_replies_naming_each_recipient_behave_as_one_by_one(
    kinds: list[bytes], cuts: list[int]
) -> None:
    """Servers that name the recipient in each reply: lines that share only their start."""
    lines = [kind % i if b"%d" in kind else kind for i, kind in enumerate(kinds)]
    commands: list[Event] = [MailFrom("a@example.org")]
    commands += [RcptTo(f"u{i}@example.net") for i in range(len(lines))]
    data = b"250 2.1.0 OK\r\n" + b"".join(lines)
    fast = _run(SmtpClient, True, commands, data, cuts)
    assert fast == _run(_General, True, commands, data, cuts)
    assert sum(isinstance(event, Reply) for event in fast) == len(lines) + 3


def test_rcpt_replies_sharing_a_start_in_awkward_shapes() -> None:
    shapes = [
        [b"250 4.1.5 wrong class\r\n"] * 3,
        [b"250 2.1.5 <a> ok\r\n", b"250 2.1.5 <b> ok\r\n"] + [b"250 2.1.5 <b> ok\r\n"] * 50,
        [b"250 2.1.5 <a> ok\r\n", b"250 2.1.5\r\n", b"250 2.1.5 <c> ok\r\n"],
        [b"421 4.4.2 <a> bye\r\n", b"421 4.4.2 <b> bye\r\n"],
        [b"550 5.1.1 <a> no\r\n", b"550 5.1.1 <b>\xff no\r\n", b"250 2.1.5 <c> ok\r\n"],
        [b"250 ok\n"] * 4,
        [b"250 ok\r\n", b"250 ok\n", b"250 ok\r\n", b"250 ok\r\n"],
        [b"250\r\n"] * 3,
        [b"250-2.1.5 two\r\n", b"250 2.1.5 lines\r\n", b"250 2.1.5 lines\r\n"],
    ]
    for lines in shapes:
        commands: list[Event] = [MailFrom("a@example.org")]
        commands += [RcptTo(f"u{i}@example.net") for i in range(len(lines))]
        data = b"250 2.1.0 OK\r\n" + b"".join(lines)
        for cut in (1, 7, 64, len(data)):
            fast = _run(SmtpClient, True, commands, data, [cut])
            assert fast == _run(_General, True, commands, data, [cut]), (lines, cut)


def test_rcpts_written_at_once_count_as_awaited_before_their_bytes_are_taken() -> None:
    """Replies read, timeouts asked and the session closed before data_to_send() see the
    RCPTs written at once just as the general path does."""
    for ending in (b"250 2.1.5 ok\r\n" * 3, b"250 2.1.5 ok\r\n421 4.3.0 bye\r\n"):
        outcomes = []
        for cls in (SmtpClient, _General):
            client = _mail_sent(cls())
            client.send(RcptTo("b@example.net"))
            # The server answers early, before the other RCPTs are even sent.
            client.receive_data(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n" + ending)
            log: list[object] = [client.next_event(), client.read_timeout]
            client.send(RcptTo("c@example.net"))
            client.send(RcptTo("d@example.net"))
            log.append(client.read_timeout)
            try:
                while (event := client.next_event()) is not NEED_DATA:
                    log.append(event)
                    if isinstance(event, ConnectionClosed):
                        break
            except RemoteProtocolError as exc:
                log.append(str(exc))
            log += [client.data_to_send(), client.state, client.read_timeout]
            client.receive_data(b"")
            try:
                log.append(client.next_event())
            except RemoteProtocolError as exc:
                log.append(str(exc))
            outcomes.append(log)
        assert outcomes[0] == outcomes[1]
        written = [item for item in outcomes[0] if isinstance(item, bytes)]
        assert written[-1].endswith(b"RCPT TO:<c@example.net>\r\nRCPT TO:<d@example.net>\r\n")


def test_replies_parsed_ahead_answer_rcpts_written_after_them() -> None:
    outcomes = []
    for cls in (SmtpClient, _General):
        client = _mail_sent(cls())
        client.receive_data(b"250 2.1.0 ok\r\n250 2.1.5 b\r\n250 2.1.5 c\r\n")
        log: list[object] = [client.next_event()]
        client.send(RcptTo("b@example.net"))
        client.send(RcptTo("c@example.net"))
        log += [client.next_event(), client.next_event(), client.next_event()]
        client.send(RcptTo("d@example.net"))
        log += [client.read_timeout, client.state, client.data_to_send()]
        outcomes.append(log)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] == Reply(250, ("c",), "2.1.5")
    assert outcomes[0][3] is NEED_DATA
    assert outcomes[0][4] == 300.0  # the RCPT written last awaits its reply


def test_plain_replies_are_parsed_up_to_the_first_that_is_not() -> None:
    from mailproto.smtp._parse import parse_plain_replies

    blob = (
        b"250 OK\r\n250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 last\r\n"
        b"354\r\n550 5.1.1 \xe2\x80\x9cno\xe2\x80\x9d\r\n"
    )
    cache: dict[str, Reply] = {}
    replies, ends = parse_plain_replies(blob, 10, 100, 10, cache)
    assert replies == [
        Reply(250, ("OK",)),
        Reply(250, ("first", "second", "last"), "2.0.0"),
        Reply(354, ("",)),
    ]
    assert ends == [0, 8, 59, 64]  # the non-ASCII reply is left to the general path
    assert cache == {"250 OK": Reply(250, ("OK",)), "354": Reply(354, ("",))}
    assert parse_plain_replies(blob, 1, 100, 10, {}) == ([Reply(250, ("OK",))], [0, 8])
    # Too many lines, a line too long, an unfinished reply: nothing is taken.
    assert parse_plain_replies(blob[8:], 10, 100, 2, {}) == ([], [0])
    assert parse_plain_replies(blob[8:], 10, 12, 10, {}) == ([], [0])
    assert parse_plain_replies(blob[8:40], 10, 100, 10, {}) == ([], [0])
