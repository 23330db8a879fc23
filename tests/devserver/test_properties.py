"""Hypothesis properties of the development server's pure parts."""

from __future__ import annotations

import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.devserver import MaildirStore, Transcript, UserTable
from mailproto.devserver._router import Local, Refuse, Remote, Router


@given(st.binary(max_size=3000), st.data())
def test_transcript_lines_do_not_depend_on_chunking(data: bytes, draw: st.DataObject) -> None:
    whole = Transcript()
    whole.record("hop", "C", data)
    pieces = Transcript()
    cuts = sorted(draw.draw(st.lists(st.integers(0, len(data)), max_size=20)))
    start = 0
    for cut in [*cuts, len(data)]:
        pieces.record("hop", "C", data[start:cut])
        start = cut
    assert pieces.lines == whole.lines


@given(
    st.text(max_size=60),
    st.booleans(),
    st.booleans(),
    st.lists(st.sampled_from(["a.example", "b.example"]), max_size=2),
)
def test_router_always_decides(
    address: str, authenticated: bool, relay: bool, domains: list[str]
) -> None:
    router = Router(UserTable([("bea", "pw")]), domains, relay=relay)
    route = router.route(address, authenticated=authenticated)
    assert isinstance(route, Local | Remote | Refuse)
    if isinstance(route, Remote):
        assert relay and authenticated
    if isinstance(route, Refuse):
        assert route.code in (550, 553)


@settings(max_examples=25)
@given(st.lists(st.binary(max_size=500), min_size=1, max_size=5), st.text(min_size=1, max_size=20))
def test_maildir_round_trip(messages: list[bytes], mailbox: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = MaildirStore(root, fsync=False)
        uids = [store.deliver(mailbox, data) for data in messages]
        assert [m.uid for m in store.messages(mailbox)] == uids
        assert [store.read(mailbox, uid) for uid in uids] == messages
        # Another store over the same tree sees the same.
        again = MaildirStore(root, fsync=False)
        assert [again.read(mailbox, uid) for uid in uids] == messages
