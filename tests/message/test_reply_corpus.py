"""Reply and forward on real-world messages (``$MAILPROTO_CORPUS``) and on generated ones: the
result builds, the stdlib reads it without defects, and threading fields come out right."""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.errors import LocalProtocolError
from mailproto.message import Message
from mailproto.message._address import Address
from mailproto.message._compose import MessageBuilder
from mailproto.message._reply import forward, reply, reply_subject
from tests.message.test_compose import CountingRandom, addresses, bodies, names

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def corpus_messages(corpus: Path) -> list[Path]:
    """The files the corpus manifest marks as messages."""
    out: list[Path] = []
    for line in (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if fields[-1] == "message" and (corpus / fields[0]).is_file():
            out.append(corpus / fields[0])
    return out


def own_parts(part: email.message.Message) -> Iterator[email.message.Message]:
    """The parts we wrote: attached messages (message/*) are the original's, not ours."""
    yield part
    if part.is_multipart() and part.get_content_maintype() != "message":
        for child in part.get_payload():
            assert isinstance(child, email.message.Message)
            yield from own_parts(child)


def check_built(builder: MessageBuilder, *, allow_utf8: bool) -> bytes:
    data = builder.build(now=NOW, random_bytes=CountingRandom(), allow_utf8=allow_utf8).to_bytes()
    if not allow_utf8:
        std = email.message_from_bytes(data, policy=email.policy.default)
        for part in own_parts(std):
            assert part.defects == []
    assert Message.parse(data).to_bytes() == data
    return data


def builders(original: Message) -> Iterator[MessageBuilder]:
    yield reply(original, from_="me@example.org", text="ok")
    yield reply(original, from_="me@example.org", reply_all=True)
    yield forward(original, from_="me@example.org", to="x@example.com", text="fyi")
    yield forward(original, from_="me@example.org", to="x@example.com", as_attachment=True)


def test_reply_and_forward_every_corpus_message(corpus: Path | None) -> None:
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    files = corpus_messages(corpus)
    assert files
    failures: list[str] = []
    for path in files:
        original = Message.parse(path.read_bytes())
        for builder in builders(original):
            try:
                check_built(builder, allow_utf8=True)
                check_built(builder, allow_utf8=False)
            except LocalProtocolError as exc:
                # Refusals are documented: a non-ASCII local part needs SMTPUTF8, and a line that
                # no fold can bring under 998 octets (garbage address lists) cannot be written.
                if "needs SMTPUTF8" in exc.message or "cannot be folded" in exc.message:
                    continue
                failures.append(f"{path}: {exc!r}")
            except AssertionError as exc:
                failures.append(f"{path}: {exc!r}")
    assert failures == []


@given(
    sender=addresses,
    recipients=st.lists(addresses, min_size=1, max_size=3),
    subject=names,
    text=bodies,
    prior=st.lists(
        st.from_regex(r"[a-z0-9]{1,8}@[a-z]{1,8}\.example", fullmatch=True), max_size=25
    ),
    prefixes=st.lists(st.sampled_from(["Re: ", "RE: ", "Aw: ", "Fwd: ", "Re[2]: "]), max_size=3),
)
def test_reply_to_a_built_message_threads_correctly(
    sender: Address,
    recipients: list[Address],
    subject: str,
    text: str,
    prior: list[str],
    prefixes: list[str],
) -> None:
    me = Address("Me", "me", "example.org")
    first = MessageBuilder(
        from_=sender,
        to=[me, *recipients],
        subject="".join(prefixes) + subject,
        text=text,
        references=prior,
    ).build(now=NOW, random_bytes=CountingRandom())
    original = Message.parse(first.to_bytes())
    answer = reply(original, from_=me, reply_all=True, text="ok")
    data = check_built(answer, allow_utf8=False)
    parsed = Message.parse(data)
    assert parsed.subject == reply_subject(subject)
    assert parsed.subject is not None and not parsed.subject.startswith("Re: Re:")
    assert parsed.in_reply_to == [first.message_id[1:-1]]
    refs = parsed.references
    assert refs[-1] == first.message_id[1:-1]
    assert len(refs) <= 20
    unique_prior = list(dict.fromkeys(prior))
    if unique_prior:
        assert refs[0] == unique_prior[0]
    assert "me@example.org" not in [a.addr_spec for a in parsed.addresses("to")]
    assert "me@example.org" not in [a.addr_spec for a in parsed.addresses("cc")]
