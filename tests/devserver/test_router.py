"""The development server's recipient policy."""

from __future__ import annotations

import pytest

from mailproto.devserver import UserTable
from mailproto.devserver._router import Local, Refuse, Remote, Router

USERS = UserTable([("bea", "pw"), ("ana@a.example", "pw")])


def test_catch_all_catches_everything() -> None:
    router = Router(UserTable())
    assert router.route("Someone@Anywhere.example", authenticated=False) == Local(
        "someone@anywhere.example"
    )
    assert router.is_local_domain("x.example")
    router = Router(USERS)
    assert router.route("bea@whatever.example", authenticated=False) == Local("bea")


def test_domains_accept_only_their_users() -> None:
    router = Router(USERS, ["B.example.", "a.example"])
    assert router.route("bea@b.example", authenticated=False) == Local("bea")
    assert router.route("ana@a.example", authenticated=False) == Local("ana@a.example")
    refused = router.route("carl@b.example", authenticated=False)
    assert isinstance(refused, Refuse)
    assert (refused.code, refused.status) == (550, "5.1.1")
    refused = router.route("bea@c.example", authenticated=True)
    assert isinstance(refused, Refuse)
    assert (refused.code, refused.status) == (550, "5.7.1")


def test_domains_without_users_take_any_local_part() -> None:
    router = Router(UserTable(), ["b.example"])
    assert router.route("Carl@B.example", authenticated=False) == Local("carl@b.example")


def test_relay_needs_authentication() -> None:
    router = Router(USERS, ["a.example"], relay=True)
    assert router.route("bea@b.example", authenticated=True) == Remote("b.example")
    refused = router.route("bea@b.example", authenticated=False)
    assert isinstance(refused, Refuse)
    assert refused.status == "5.7.1"
    # Relaying without domains: only users' addresses are local.
    router = Router(USERS, relay=True)
    assert router.route("ana@a.example", authenticated=False) == Local("ana@a.example")
    assert router.route("zed@z.example", authenticated=True) == Remote("z.example")


@pytest.mark.parametrize("address", ["postmaster", "Postmaster", "postmaster@b.example"])
def test_postmaster_is_always_local(address: str) -> None:
    assert Router(USERS, ["b.example"]).route(address, authenticated=False) == Local("postmaster")


@pytest.mark.parametrize("address", ["nodomain", "@b.example", "bea@"])
def test_incomplete_addresses(address: str) -> None:
    refused = Router(USERS, ["b.example"]).route(address, authenticated=False)
    assert isinstance(refused, Refuse)
    assert refused.code == 553


def test_international_domains_compare_as_a_labels() -> None:
    router = Router(USERS, ["B\u00fccher.example"])
    assert router.route("bea@xn--bcher-kva.example", authenticated=False) == Local("bea")
    assert router.route("bea@b\u00fccher.example", authenticated=False) == Local("bea")
    assert router.is_local_domain("XN--BCHER-KVA.example.")
