"""Every real-world message of the corpus: parsed without raising, byte for byte, in any line
ending convention, with every accessor read."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailproto.message import Message

from .test_differential import corpus_messages
from .test_properties import touch_everything


def test_every_corpus_message_parses_losslessly(corpus: Path | None) -> None:
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    files = corpus_messages(corpus)
    assert len(files) > 100
    for path in files:
        raw = path.read_bytes()
        variants = [
            raw,
            raw.replace(b"\r\n", b"\n"),
            raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        ]
        for data in variants:
            msg = Message.parse(data)
            assert msg.to_bytes() == data, path
            touch_everything(msg)


def test_no_decoded_value_in_the_corpus_holds_a_line_break(corpus: Path | None) -> None:
    """Display names, keywords, parameters and every decoded header value are unfolded: one
    corpus message has an encoded word that decodes to text with a line feed in a display name."""
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    for path in corpus_messages(corpus):
        for part in Message.parse(path.read_bytes()).walk():
            values = [h.value for h in part.headers]
            values += part.params.values()
            if isinstance(part, Message):
                for name in ("from", "sender", "reply-to", "to", "cc", "bcc"):
                    values += [a.display_name for a in part.addresses(name)]
                values += part.keywords
            assert not any("\r" in v or "\n" in v for v in values), path
