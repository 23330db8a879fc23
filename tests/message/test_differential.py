"""Differential tests against the standard library (``email.policy.default``).

On every message of the corpus (``$MAILPROTO_CORPUS``, when set) and on messages generated here,
the decoded Subject, the From/To/Cc address lists and the Date must agree with the standard
library wherever the standard library does not itself fail (raise). White space runs are compared
collapsed to one space.

Every disagreement must be explained by one of these documented standard-library limitations; an
unexplained one fails the test (and was, until fixed, a bug of ours):

``stdlib-stops-header``
    The standard library ends the header block at the first line that is not a well-formed field
    (a byte order mark, an mbox ``From`` line after it, ``Subject : x`` with white space before
    the colon as RFC 5322 section 4.5 allows, a junk line between fields) and loses every field
    after it. We skip such a line (recording a defect) and read the fields that follow.
``broken-fold``
    A line without leading white space and without a colon, between two fields, is a fold that
    lost its indent: we read it as part of the field before (with a defect); the standard library
    ends the header block there, so the value it has is a prefix of ours.
``stdlib-8bit``
    The standard library does not decode 8-bit header bytes: UTF-8 (RFC 6532) is left as
    surrogate escapes in address fields, and legacy 8-bit text and charsets it does not know
    (``iso-8859-8-i``) become U+FFFD. We read UTF-8, else windows-1252, and map such labels.
``stdlib-ew-space``
    RFC 2047 section 6.2 says white space between adjacent encoded words is ignored; in
    structured fields (addresses) the standard library keeps it (``Чаплы гина``).
``stdlib-ew-undecoded``
    The standard library leaves an encoded word undecoded when its text is invalid in the charset
    (ISO-2022-JP with NEC extensions); we decode it with a replacement character.
``stdlib-missing-comma``
    For ``a@b c@d`` (a missing comma) the standard library keeps only the first address.
``both-malformed``
    Both parsers report the field as malformed (the standard library registers a defect on it and
    we record an ``INVALID_ADDRESS`` defect) and recover differently.
``stdlib-at-in-name``
    For ``a@b <c@d>`` (an unquoted ``@`` in a display name) the standard library returns the
    display name as the address, without a defect; we return ``c@d`` named ``a@b``, as mail
    clients show it, with a defect.
``stdlib-date-gives-up``
    The standard library returns ``None`` for dates it cannot read (``22:23:35.882 0000``,
    ``EDT`` after an hour it misreads) where we return a value; or it ignores ``PM``.
``stdlib-date-no-zone``
    For ``-0000`` or a missing zone the standard library returns a naive datetime; we return UTC
    (compared as naive).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.message import DefectKind, Message

_PARSER = email.parser.BytesParser(policy=email.policy.default)
_STDLIB_ENCODED_COMMA = re.compile(rb"=\?utf-8\?q\?=2C\?=", re.I)
_BAD_NAME = re.compile(rb"(?m)^[!-9;-~]+[ \t]+:")


@dataclass
class Disagreement:
    """One field on which we and the standard library differ."""

    where: str
    field: str
    stdlib: object
    ours: object
    reason: str | None


def _ws(text: str) -> str:
    return " ".join(text.split())


def _has_surrogates(value: object) -> bool:
    return "\\udc" in repr(value)


def _has_replacement(value: object) -> bool:
    return "\ufffd" in str(value) or "\\ufffd" in repr(value)


def _stdlib_stopped(ours: Message, raw: bytes) -> bool:
    kinds = {d.kind for d in ours.defects}
    return (
        DefectKind.MALFORMED_HEADER_LINE in kinds
        or DefectKind.FIRST_LINE_IS_CONTINUATION in kinds
        or bool(_BAD_NAME.search(raw[: ours.header_end]))
    )


def _explain_text(ours: Message, raw: bytes, std: object, mine: object) -> str | None:
    if std is None and mine is not None and _stdlib_stopped(ours, raw):
        return "stdlib-stops-header"
    if (
        isinstance(std, str)
        and isinstance(mine, str)
        and mine.startswith(std)
        and any(d.detail == "continuation without indent" for d in ours.defects)
    ):
        return "broken-fold"
    if _has_surrogates(std) or (_has_replacement(std) and not _has_replacement(mine)):
        return "stdlib-8bit"
    if "=?" in str(std) and "=?" not in str(mine):
        return "stdlib-ew-undecoded"
    if (
        isinstance(std, str)
        and isinstance(mine, str)
        and "".join(std.split()) == "".join(mine.split())
    ):
        return "stdlib-ew-space"
    return None


def compare(raw: bytes, where: str) -> list[Disagreement]:
    """Every disagreement between us and the standard library on ``raw``."""
    ours = Message.parse(raw)
    try:
        std = _PARSER.parsebytes(raw)
    except Exception:  # the standard library failed: nothing to compare
        return []
    out: list[Disagreement] = []

    # Subject.
    try:
        std_subject = std["subject"]
    except Exception:
        std_subject = ...
    if std_subject is not ...:
        mine = ours.subject
        s = None if std_subject is None else _ws(str(std_subject))
        m = None if mine is None else _ws(mine)
        if s != m:
            out.append(Disagreement(where, "subject", s, m, _explain_text(ours, raw, s, m)))

    # Addresses.
    for name in ("from", "to", "cc"):
        try:
            header = std[name]
            std_list = (
                None
                if header is None
                else [(_ws(a.display_name), a.username, a.domain) for a in header.addresses]
            )
            std_defects = [] if header is None else list(header.defects)
        except Exception:
            continue
        my_list = (
            [(_ws(a.display_name), a.local_part, a.domain) for a in ours.addresses(name)]
            if name in ours
            else None
        )
        if std_list == my_list:
            continue
        reason = _explain_text(ours, raw, std_list, my_list)
        if reason is None and std_list is not None and my_list is not None:
            flagged = any(
                d.kind is DefectKind.INVALID_ADDRESS and d.detail.lower().startswith(name + ":")
                for d in ours.defects
            )
            if (
                flagged
                and len(std_list) < len(my_list)
                and my_list[: len(std_list)] == std_list
                and any("not separated by commas" in d.detail for d in ours.defects)
            ):
                reason = "stdlib-missing-comma"
            elif flagged and std_defects:
                reason = "both-malformed"
            elif flagged and any("'@' in a display name" in d.detail for d in ours.defects):
                reason = "stdlib-at-in-name"
            elif len(std_list) == len(my_list) and all(
                "".join(a[0].split()) == "".join(b[0].split()) and a[1:] == b[1:]
                for a, b in zip(std_list, my_list, strict=True)
            ):
                reason = "stdlib-ew-space"
        out.append(Disagreement(where, name, std_list, my_list, reason))

    # Date.
    try:
        header = std["date"]
        std_date: datetime | None = None if header is None else header.datetime
    except Exception:
        return out
    my_date = ours.date
    if std_date is not None and std_date.tzinfo is None and my_date is not None:
        if my_date.utcoffset():
            reason = "stdlib-date-gives-up"  # it ignored the zone (or AM/PM)
            if my_date.replace(tzinfo=None) != std_date:
                out.append(Disagreement(where, "date", std_date, my_date, reason))
            return out
        my_date = my_date.replace(tzinfo=None)
    if std_date != my_date:
        reason = None
        if std_date is None and my_date is not None:
            if header is not None:
                reason = "stdlib-date-gives-up"
            elif _stdlib_stopped(ours, raw):
                reason = "stdlib-stops-header"
        elif (
            std_date is not None
            and my_date is not None
            and std_date.tzinfo is None
            and (std_date.hour + 12) % 24 == my_date.hour
        ):
            reason = "stdlib-date-gives-up"
        out.append(Disagreement(where, "date", std_date, my_date, reason))
    return out


def corpus_messages(corpus: Path) -> list[Path]:
    """The files the corpus manifest marks as messages."""
    out: list[Path] = []
    for line in (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if fields[-1] == "message" and fields[0].startswith("messages/"):
            path = corpus / fields[0]
            if path.is_file():
                out.append(path)
    return out


def test_corpus_agrees_with_stdlib(corpus: Path | None) -> None:
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    files = corpus_messages(corpus)
    assert files
    found: list[Disagreement] = []
    for path in files:
        found.extend(compare(path.read_bytes(), str(path.relative_to(corpus))))
    unexplained = [d for d in found if d.reason is None]
    assert unexplained == [], "\n".join(
        f"{d.where} {d.field}: stdlib {d.stdlib!r} ours {d.ours!r}" for d in unexplained
    )


# Generated messages: the standard library writes them, both parsers read them back.

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=60,
)
_local = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True).filter(
    lambda s: ".." not in s
)
_domain = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,3}", fullmatch=True)


@st.composite
def _mailbox(draw: st.DrawFn) -> tuple[str, str, str]:
    return (draw(_text).strip(), draw(_local), draw(_domain))


@settings(max_examples=40)
@given(
    subject=_text,
    sender=_mailbox(),
    to=st.lists(_mailbox(), min_size=1, max_size=4),
    when=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    linesep=st.sampled_from(["\r\n", "\n"]),
)
def test_generated_messages_agree_with_stdlib(
    subject: str,
    sender: tuple[str, str, str],
    to: list[tuple[str, str, str]],
    when: datetime,
    linesep: str,
) -> None:
    from email.headerregistry import Address as StdAddress
    from email.utils import format_datetime

    msg = EmailMessage(policy=email.policy.default.clone(linesep=linesep))
    try:
        msg["Subject"] = subject
        msg["From"] = StdAddress(sender[0], sender[1], sender[2])
        msg["To"] = [StdAddress(n, u, d) for n, u, d in to]
        msg["Date"] = format_datetime(when.replace(tzinfo=None)) + " +0130"
        msg.set_content("body\n")
        raw = msg.as_bytes()
    except Exception:  # the standard library cannot write this one
        return
    found = compare(raw, "generated")
    assert [d for d in found if d.reason is None] == []
    ours = Message.parse(raw)
    assert ours.to_bytes() == raw
    if _STDLIB_ENCODED_COMMA.search(raw):
        # A standard library bug: folding an address list, it sometimes writes the separating
        # comma as an encoded word (=?utf-8?q?=2C?=), which is no separator; only the
        # comparison above applies then.
        return
    assert [(a.local_part, a.domain) for a in ours.addresses("to")] == [(u, d) for _, u, d in to]
