"""SMTP paths, commands and replies (RFC 5321) as hypothesis strategies."""

from __future__ import annotations

import re
from typing import Literal

from hypothesis import strategies as st

from .. import smtp
from ..connection import Event
from ..smtp import (
    Auth,
    Bdat,
    Data,
    Expand,
    Hello,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    StartTLSCommand,
    Verify,
)

__all__ = ["domains", "mailboxes", "smtp_commands", "smtp_replies"]

_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_atom = st.text(_ATEXT, min_size=1, max_size=8)
_dot_string = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_quoted = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'), max_size=8
).map(lambda s: f'"{s}"')
_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
_address_literal = st.from_regex(r"\[[0-9]{1,3}(\.[0-9]{1,3}){3}\]", fullmatch=True)
_keyword = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,8}", fullmatch=True)
_value = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="="),
    min_size=1,
    max_size=10,
)
_params = st.dictionaries(_keyword, st.one_of(st.none(), _value), max_size=4)
_argument = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
_utf8_local = st.text("äöüßéñabc", min_size=1, max_size=6)


def domains(*, literals: bool = False) -> st.SearchStrategy[str]:
    """Domain names (lower-case LDH labels), and address literals such as ``[192.0.2.1]``."""
    names = st.lists(_label, min_size=1, max_size=3).map(".".join)
    return st.one_of(names, _address_literal) if literals else names


def mailboxes(*, utf8: bool = False) -> st.SearchStrategy[str]:
    """``local@domain`` as SMTP writes it: dot-atoms or quoted local parts, domains or literals.

    With ``utf8``, UTF-8 local parts (RFC 6531) are drawn too.
    """
    local = (
        st.one_of(_dot_string, _quoted, _utf8_local) if utf8 else st.one_of(_dot_string, _quoted)
    )
    return st.builds(lambda lp, dom: f"{lp}@{dom}", local, domains(literals=True))


def smtp_commands() -> st.SearchStrategy[Event]:
    """Every SMTP command event, with arguments that serialise and parse back unchanged."""
    return st.one_of(
        st.builds(Hello, st.sampled_from(["EHLO", "HELO", "LHLO"]), domains(literals=True)),
        st.builds(MailFrom, st.one_of(st.just(""), mailboxes()), _params),
        st.builds(
            MailFrom,
            st.builds(lambda lp, dom: f"{lp}@{dom}", _utf8_local, domains()),
            st.just({"SMTPUTF8": None}),
        ),
        st.builds(RcptTo, st.one_of(mailboxes(), st.just("Postmaster")), _params),
        st.just(Data()),
        st.builds(Bdat, st.integers(0, 10**12), st.booleans()),
        st.just(Reset()),
        st.builds(Verify, _argument),
        st.builds(Expand, _argument),
        st.builds(Help, st.one_of(st.just(""), _argument)),
        st.builds(Noop, st.one_of(st.just(""), _argument)),
        st.just(Quit()),
        st.just(StartTLSCommand()),
        st.builds(
            Auth,
            st.from_regex(r"[A-Z0-9_-]{1,20}", fullmatch=True),
            st.one_of(st.none(), st.binary(max_size=40)),
        ),
    )


# A reply text that begins like an enhanced status code would be read back as one.
_STATUS_LIKE = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}( |$)")
_NO_SURROGATES: list[Literal["Cs"]] = ["Cs"]
_reply_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=_NO_SURROGATES),
    max_size=30,
)


@st.composite
def smtp_replies(draw: st.DrawFn) -> smtp.Reply:
    """Replies with valid codes, one to four lines, and enhanced status codes where allowed."""
    code = draw(st.integers(200, 599).filter(lambda c: c % 100 < 60 and c // 10 % 10 <= 5))
    lines = draw(st.lists(_reply_text, min_size=1, max_size=4))
    status = None
    if code // 100 != 3:
        status = draw(
            st.one_of(
                st.none(),
                st.builds(
                    lambda a, b: f"{code // 100}.{a}.{b}", st.integers(0, 999), st.integers(0, 999)
                ),
            )
        )
    if status is None:
        lines = [line for line in lines if not _STATUS_LIKE.match(line)] or [""]
    return Reply(code, tuple(lines), status)
