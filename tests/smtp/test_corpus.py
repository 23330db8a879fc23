"""Real servers' replies from the corpus (MailKit's SMTP test resources): our client parses
every file, and serialising what it parsed gives the same bytes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailproto.smtp import Noop, Reply, SmtpClient, serialize_reply

from ._dialogue import drain

_FINAL = re.compile(rb"^[0-9]{3}(?: |$)", re.MULTILINE)


def _reply_files(corpus: Path | None) -> list[Path]:
    if corpus is None:
        return []
    root = corpus / "protocol" / "mailkit" / "Smtp" / "Resources"
    return sorted(root.glob("*.txt")) if root.is_dir() else []


def test_corpus_server_replies_parse_and_round_trip(corpus: Path | None) -> None:
    files = _reply_files(corpus)
    if not files:
        pytest.skip("MAILPROTO_CORPUS with MailKit's SMTP resources is not available")
    for path in files:
        raw = path.read_bytes()
        data = re.sub(rb"\r?\n", b"\r\n", raw)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        count = len(_FINAL.findall(data.replace(b"\r\n", b"\n")))
        client = SmtpClient(pipelining=False)
        # The first reply answers the greeting; a NOOP is queued for each of the others.
        for _ in range(count - 1):
            client.send(Noop())
        client.receive_data(data)
        replies = drain(client)
        assert len(replies) == count, path.name
        assert all(isinstance(r, Reply) for r in replies)
        assert b"".join(serialize_reply(r) for r in replies) == data, path.name  # type: ignore[arg-type]
