"""The development server's user table."""

from __future__ import annotations

import pytest

from mailproto.devserver import UserTable, parse_user_spec
from mailproto.sasl import Secret, server_mechanism


def test_parse_user_spec() -> None:
    assert parse_user_spec("bea:pw") == ("bea", "pw")
    assert parse_user_spec("bea@b.example:a:b") == ("bea@b.example", "a:b")
    assert parse_user_spec("bea:") == ("bea", "")


@pytest.mark.parametrize("spec", ["bea", ":pw", "b ea:pw"])
def test_parse_user_spec_refuses(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_user_spec(spec)


def test_passwords_and_owners() -> None:
    users = UserTable([("bea", "pw1"), ("ana@a.example", "pw2")])
    assert "BEA" in users
    assert len(users) == 2
    assert users.names == ["ana@a.example", "bea"]
    assert users.check("bea", "pw1")
    assert not users.check("bea", "pw2")
    assert not users.check("nobody", "pw1")
    assert users.password("Bea") == Secret("pw1")
    assert users.password("nobody") is None
    assert users.owner_of("bea@anything.example") == "bea"
    assert users.owner_of("ANA@a.example") == "ana@a.example"
    assert users.owner_of("ana@b.example") is None
    assert users.owner_of("carl@b.example") is None
    assert users.mailbox_of("Bea") == "bea"
    assert not UserTable()


def test_authenticator_drives_sasl() -> None:
    users = UserTable([("bea", "pw1")])
    mech = server_mechanism("PLAIN", users.authenticator())
    result = mech.start(b"\x00bea\x00pw1")
    assert getattr(result, "authcid", None) == "bea"
