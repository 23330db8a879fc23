"""The development server's stores: memory and Maildir."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.devserver import MaildirStore, MemoryStore, StoredMessage, mailbox_dirname
from mailproto.devserver._store import TMP_MAX_AGE

MESSAGE = b"From: ana@a.example\r\nTo: bea@b.example\r\nSubject: hi\r\n\r\nHello, Bea.\r\n"


@pytest.fixture(params=["memory", "maildir"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryStore | MaildirStore:
    if request.param == "memory":
        return MemoryStore()
    return MaildirStore(tmp_path / "mail", fsync=False)


def test_deliver_list_read_delete(store: MemoryStore | MaildirStore) -> None:
    assert store.messages("bea@b.example") == []
    first = store.deliver("bea@b.example", MESSAGE)
    second = store.deliver("Bea@B.example", b"x\r\n")
    assert first != second
    assert store.messages("bea@b.example") == [
        StoredMessage(first, len(MESSAGE)),
        StoredMessage(second, 3),
    ]
    assert store.read("BEA@b.example", first) == MESSAGE
    assert store.messages("ana@a.example") == []
    store.delete("bea@b.example", [first, "no-such-uid"])
    assert store.messages("bea@b.example") == [StoredMessage(second, 3)]
    with pytest.raises(KeyError):
        store.read("bea@b.example", first)
    assert store.mailboxes() == ["bea@b.example"]


def test_uids_are_printable_without_spaces(store: MemoryStore | MaildirStore) -> None:
    uid = store.deliver("bea", MESSAGE)
    assert uid.isprintable()
    assert " " not in uid
    assert 0 < len(uid) <= 70  # RFC 1939: a unique-id is 1 to 70 characters


def test_concurrent_deliveries_are_all_kept(store: MemoryStore | MaildirStore) -> None:
    def deliver(n: int) -> None:
        for i in range(20):
            store.deliver("bea", b"%d-%d\r\n" % (n, i))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    listed = store.messages("bea")
    assert len(listed) == 100
    assert len({m.uid for m in listed}) == 100
    bodies = {store.read("bea", m.uid) for m in listed}
    assert bodies == {b"%d-%d\r\n" % (n, i) for n in range(5) for i in range(20)}


@given(st.binary(max_size=2000))
def test_memory_store_keeps_bytes_exactly(data: bytes) -> None:
    store = MemoryStore()
    assert store.read("x", store.deliver("x", data)) == data


def test_maildir_layout_and_exact_bytes(tmp_path: Path) -> None:
    store = MaildirStore(tmp_path, fsync=True)
    data = bytes(range(256)) * 10
    uid = store.deliver("bea@b.example", data)
    box = tmp_path / "bea@b.example"
    assert sorted(p.name for p in box.iterdir()) == ["cur", "new", "tmp"]
    assert list((box / "tmp").iterdir()) == []
    assert (box / "new" / uid).read_bytes() == data
    # The name carries the pid and the host name, and a per-process counter.
    assert f"P{os.getpid()}Q" in uid


def test_maildir_reads_messages_moved_to_cur(tmp_path: Path) -> None:
    store = MaildirStore(tmp_path, fsync=False)
    uid = store.deliver("bea", MESSAGE)
    box = tmp_path / "bea"
    (box / "new" / uid).rename(box / "cur" / f"{uid}:2,S")
    assert store.messages("bea") == [StoredMessage(uid, len(MESSAGE))]
    assert store.read("bea", uid) == MESSAGE
    store.delete("bea", [uid])
    assert list((box / "cur").iterdir()) == []


def test_maildir_ignores_and_cleans_crash_debris(tmp_path: Path) -> None:
    store = MaildirStore(tmp_path, fsync=False)
    store.deliver("bea", MESSAGE)
    tmp = tmp_path / "bea" / "tmp"
    fresh = tmp / "123.M1P1Q1.host"
    stale = tmp / "1.M1P1Q2.host"
    fresh.write_bytes(b"half a mess")
    stale.write_bytes(b"half a mess")
    old = stale.stat().st_mtime - TMP_MAX_AGE - 10
    os.utime(stale, (old, old))
    # A reader never sees what is in tmp/.
    assert len(store.messages("bea")) == 1
    # Opening the tree again removes only debris older than 36 hours.
    MaildirStore(tmp_path, fsync=False)
    assert fresh.exists()
    assert not stale.exists()


def test_maildir_survives_a_failed_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MaildirStore(tmp_path, fsync=False)

    def broken_write(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", broken_write)
    with pytest.raises(OSError):
        store.deliver("bea", MESSAGE)
    monkeypatch.undo()
    assert list((tmp_path / "bea" / "tmp").iterdir()) == []
    assert store.messages("bea") == []


def test_maildir_order_is_delivery_order(tmp_path: Path) -> None:
    store = MaildirStore(tmp_path, fsync=False)
    uids = [store.deliver("bea", b"%d\r\n" % i) for i in range(15)]
    assert [m.uid for m in store.messages("bea")] == uids


def test_maildir_sees_other_writers(tmp_path: Path) -> None:
    one = MaildirStore(tmp_path, fsync=False)
    two = MaildirStore(tmp_path, fsync=False)
    uid = one.deliver("bea", MESSAGE)
    assert two.read("bea", uid) == MESSAGE
    assert two.mailboxes() == ["bea"]


@pytest.mark.parametrize(
    ("mailbox", "expected"),
    [
        ("Bea@B.example", "bea@b.example"),
        ("../etc", "%2E.%2Fetc"),
        (".hidden", "%2Ehidden"),
        ("a/b", "a%2Fb"),
        ("jos\u00e9", "jos%C3%A9"),
        ("a b", "a%20b"),
    ],
)
def test_mailbox_dirname(mailbox: str, expected: str) -> None:
    assert mailbox_dirname(mailbox) == expected


@given(st.text(min_size=1, max_size=40))
def test_mailbox_dirname_never_escapes(mailbox: str) -> None:
    name = mailbox_dirname(mailbox)
    assert "/" not in name
    assert "\x00" not in name
    assert not name.startswith(".")
    assert name


def test_mailbox_dirname_refuses_empty() -> None:
    with pytest.raises(ValueError):
        mailbox_dirname("")
