"""The message reader against the standard library's ``email`` package, mail-parser and flanker.

Three workloads on the same messages in the same run:

(a) parse only;
(b) parse and read Subject, Date, Message-ID and the From/To/Cc addresses;
(c) parse, walk every part and decode every leaf (bytes, and text for text parts).

The messages are every ``message`` file of ``$MAILPROTO_CORPUS`` (see its MANIFEST.tsv) when
the corpus is given, else generated ones shaped like real mail. The module also prints the peak
memory (tracemalloc) of parsing and decoding a message with a 20 MB attachment.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import random
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path

from mailproto.message import Message

from ._harness import Comparison

_default = email.parser.BytesParser(policy=email.policy.default)
_compat = email.parser.BytesParser(policy=email.policy.compat32)


def corpus_messages(corpus: Path) -> list[bytes]:
    """Every file the corpus manifest marks as a message."""
    manifest = corpus / "MANIFEST.tsv"
    out: list[bytes] = []
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if fields[-1] == "message" and fields[0].startswith("messages/"):
            path = corpus / fields[0]
            if path.is_file():
                out.append(path.read_bytes())
    return out


_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "meeting",
    "report",
    "budget",
    "schedule",
    "please",
    "find",
    "attached",
    "invoice",
    "thanks",
    "regards",
    "tomorrow",
    "project",
    "update",
    "review",
    "café",
    "naïve",
    "résumé",
]


def generated_messages(count: int, seed: int = 1) -> list[bytes]:
    """Messages shaped like everyday mail: plain, alternative, with attachments, encoded words."""
    rng = random.Random(seed)
    out: list[bytes] = []
    for i in range(count):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 9)))
        subject = base64.b64encode(words.encode()).decode()
        received = "".join(
            f"Received: from mx{j}.example.net (mx{j}.example.net [192.0.2.{j}])\r\n"
            f"\tby mail.example.com with ESMTPS id {rng.getrandbits(40):x}\r\n"
            f"\tfor <user@example.com>; Mon, 2 Jan 2023 10:0{j}:00 +0100\r\n"
            for j in range(rng.randint(2, 6))
        )
        head = (
            f"{received}From: =?utf-8?q?Ren=C3=A9e_{i}?= <renee{i}@example.org>\r\n"
            f'To: "Team, All" <team@example.com>, bob@example.com\r\n'
            f"Cc: Carol <carol@example.net>\r\n"
            f"Subject: =?utf-8?B?{subject}?=\r\n"
            f"Date: Mon, {1 + i % 28} Feb 2023 1{i % 10}:22:33 +0100\r\n"
            f"Message-ID: <{i}.{rng.getrandbits(32):x}@example.org>\r\n"
            f"MIME-Version: 1.0\r\n"
        )
        text = "\r\n".join(
            " ".join(rng.choice(_WORDS) for _ in range(12)) for _ in range(rng.randint(5, 60))
        )
        kind = i % 3
        if kind == 0:
            body = (
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n"
            )
        else:
            html = "<html><body><p>" + text.replace("\r\n", "</p><p>") + "</p></body></html>"
            alt = (
                "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
                "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                + text.replace("é", "=C3=A9").replace("ï", "=C3=AF")
                + "\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                + html
                + "\r\n--alt--\r\n"
            )
            if kind == 1:
                body = alt
            else:
                blob = base64.encodebytes(rng.randbytes(rng.randint(2000, 60000))).decode()
                body = (
                    "Content-Type: multipart/mixed; boundary=mix\r\n\r\n--mix\r\n"
                    + alt
                    + '--mix\r\nContent-Type: application/pdf; name="report.pdf"\r\n'
                    'Content-Disposition: attachment; filename="report.pdf"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n" + blob + "--mix--\r\n"
                )
        out.append((head + body).encode("utf-8"))
    return out


# -- the workloads ------------------------------------------------------------------------------


def _ours_a(msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            Message.parse(raw)
        return None

    return run


def _ours_b(msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            m = Message.parse(raw)
            _ = (m.subject, m.date, m.message_id)
            _ = (m.addresses("from"), m.addresses("to"), m.addresses("cc"))
        return None

    return run


def _ours_c(msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            for part in Message.parse(raw).walk():
                if not part.parts:
                    part.decoded()
                    if part.maintype == "text":
                        part.text()
        return None

    return run


def _std_a(parser: email.parser.BytesParser, msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            parser.parsebytes(raw)
        return None

    return run


def _std_b(parser: email.parser.BytesParser, msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            m = parser.parsebytes(raw)
            try:
                _ = (m["subject"], m["date"], m["message-id"])
                for name in ("from", "to", "cc"):
                    value = m[name]
                    if value is not None:
                        _ = getattr(value, "addresses", value)
            except Exception:
                pass
        return None

    return run


def _std_c(parser: email.parser.BytesParser, msgs: list[bytes]) -> Callable[[], object]:
    def run() -> object:
        for raw in msgs:
            m = parser.parsebytes(raw)
            for part in m.walk():
                if part.is_multipart():
                    continue
                try:
                    part.get_payload(decode=True)
                    if part.get_content_maintype() == "text":
                        if isinstance(part, email.message.EmailMessage):
                            part.get_content()
                        else:
                            payload = part.get_payload(decode=True)
                            if isinstance(payload, bytes):
                                payload.decode(part.get_content_charset() or "ascii", "replace")
                except Exception:
                    pass
        return None

    return run


def _mailparser(msgs: list[bytes]) -> Callable[[], object] | None:
    try:
        import mailparser  # type: ignore[import-untyped]
    except ImportError:
        return None

    import logging

    logging.getLogger("mailparser").setLevel(logging.CRITICAL)

    def run() -> object:
        for raw in msgs:
            with contextlib.suppress(Exception):
                mailparser.parse_from_bytes(raw)
        return None

    return run


def _flanker(msgs: list[bytes]) -> dict[str, Callable[[], object]] | None:
    """flanker's three workloads (its parser is lazy too: ``from_string`` reads little)."""
    try:
        from flanker import mime  # type: ignore[import-not-found]
        from flanker.addresslib import address  # type: ignore[import-not-found]
    except Exception:  # not installed, or fails to import on this Python
        return None

    import io
    import logging

    logging.getLogger("flanker").setLevel(logging.CRITICAL)

    def quiet(fn: Callable[[], object]) -> Callable[[], object]:
        # flanker's address lexer prints its syntax errors; keep them out of the table.
        def run() -> object:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                return fn()

        return run

    def a() -> object:
        for raw in msgs:
            with contextlib.suppress(Exception):
                mime.from_string(raw)
        return None

    def b() -> object:
        for raw in msgs:
            with contextlib.suppress(Exception):
                m = mime.from_string(raw)
                _ = (m.subject, m.headers.get("Date"), m.message_id)
                for name in ("From", "To", "Cc"):
                    value = m.headers.get(name)
                    if value:
                        address.parse_list(value)
        return None

    def c() -> object:
        for raw in msgs:
            with contextlib.suppress(Exception):
                for part in mime.from_string(raw).walk(with_self=True):
                    if not part.content_type.is_multipart():
                        _ = part.body
        return None

    return {"a": quiet(a), "b": quiet(b), "c": quiet(c)}


def _peak_memory(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def big_attachment_message(size: int = 20_000_000) -> bytes:
    """A message with a ``size`` byte base64 attachment."""
    blob = base64.encodebytes(random.Random(7).randbytes(size))
    return (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\n"
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--zz\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob.replace(b"\n", b"\r\n") + b"--zz--\r\n"
    )


def report_memory(quick: bool) -> None:
    """Print the peak memory of parsing and decoding the big-attachment message."""
    size = 2_000_000 if quick else 20_000_000
    raw = big_attachment_message(size)

    def ours() -> object:
        m = Message.parse(raw)
        return [p.decoded() for p in m.walk() if not p.parts]

    def std() -> object:
        m = _default.parsebytes(raw)
        return [p.get_payload(decode=True) for p in m.walk() if not p.is_multipart()]

    mb = len(raw) / 1e6
    for name, fn in (("mailproto", ours), ("email policy.default", std)):
        peak = _peak_memory(fn)
        print(
            f"peak memory, parse + decode a {mb:.0f} MB message ({size // 1_000_000} MB "
            f"attachment), {name}: {peak / 1e6:.1f} MB allocated beyond the message "
            f"= {peak / len(raw):.2f}x its size"
        )


def comparisons(corpus: Path | None, quick: bool) -> Iterable[Comparison]:
    """The three workloads against policy.default, compat32 and mail-parser."""
    if corpus is not None:
        msgs = corpus_messages(corpus)
        source = f"corpus {len(msgs)} msgs"
    else:
        msgs = generated_messages(60 if quick else 300)
        source = f"generated {len(msgs)} msgs"
    if quick:
        msgs = msgs[: max(50, len(msgs) // 4)]
    total = sum(map(len, msgs))
    report_memory(quick)
    mp = _mailparser(msgs)
    fl = _flanker(msgs)
    peers_a: list[tuple[str, Callable[[], object], float | None]] = [
        ("policy.default", _std_a(_default, msgs), 20.0),
        ("compat32", _std_a(_compat, msgs), 1.0),
    ]
    if mp is not None:
        peers_a.append(("mail-parser", mp, None))
    if fl is not None:
        peers_a.append(("flanker", fl["a"], None))
    for peer_name, peer, target in peers_a:
        yield Comparison(
            f"message (a) parse, {source}",
            _ours_a(msgs),
            total,
            peer=peer,
            peer_name=peer_name,
            target=target,
        )
    peers_b: list[tuple[str, Callable[[], object], float | None]] = [
        ("policy.default", _std_b(_default, msgs), 20.0),
        ("compat32", _std_b(_compat, msgs), 1.0),
    ]
    if fl is not None:
        peers_b.append(("flanker", fl["b"], None))
    for peer_name, peer, target in peers_b:
        yield Comparison(
            f"message (b) parse + 6 fields, {source}",
            _ours_b(msgs),
            total,
            peer=peer,
            peer_name=peer_name,
            target=target,
        )
    peers_c: list[tuple[str, Callable[[], object], float | None]] = [
        ("policy.default", _std_c(_default, msgs), 5.0),
        ("compat32", _std_c(_compat, msgs), None),
    ]
    if fl is not None:
        peers_c.append(("flanker", fl["c"], None))
    for peer_name, peer, target in peers_c:
        yield Comparison(
            f"message (c) parse + decode all, {source}",
            _ours_c(msgs),
            total,
            peer=peer,
            peer_name=peer_name,
            target=target,
        )
    if mp is not None:
        yield Comparison(
            f"message (c) parse + decode all, {source}",
            _ours_c(msgs),
            total,
            peer=mp,
            peer_name="mail-parser",
        )
