"""POP3 commands (RFC 1939 and its extensions) as hypothesis strategies."""

from __future__ import annotations

from hypothesis import strategies as st

from ..pop3 import (
    Apop,
    Auth,
    Capa,
    Command,
    Dele,
    Lang,
    List,
    Noop,
    Pass,
    Quit,
    Retr,
    Rset,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)
from ..sasl import Secret

__all__ = ["pop3_commands"]

_numbers = st.integers(min_value=1, max_value=10**9)
_tokens = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


def pop3_commands() -> st.SearchStrategy[Command]:
    """Every POP3 command event, with arguments that serialise and parse back unchanged."""
    return st.one_of(
        st.builds(User, _tokens),
        st.builds(Pass, st.builds(Secret, _tokens)),
        st.builds(Apop, _tokens, st.text("0123456789abcdef", min_size=32, max_size=32)),
        st.builds(Auth, _tokens.map(str.upper), st.none() | st.binary(max_size=50)),
        st.just(Stat()),
        st.builds(List, st.none() | _numbers),
        st.builds(Uidl, st.none() | _numbers),
        st.builds(Retr, _numbers),
        st.builds(Dele, _numbers),
        st.builds(Top, _numbers, st.integers(min_value=0, max_value=10**9)),
        st.sampled_from([Noop(), Rset(), Quit(), Capa(), Stls(), Utf8()]),
        st.builds(Lang, st.none() | _tokens),
    )
