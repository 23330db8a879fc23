"""Where the development server keeps mail: in memory, or in a Maildir tree.

Both stores hold one mailbox per user (named by the user's address or login), keep each message's
bytes exactly as they arrived on the wire (CRLF line endings, no added headers), and give every
message a unique id that stays the same for its whole life (POP3's ``UIDL``). They are safe to use
from several threads at once.

The Maildir store follows the classic layout (``tmp/``, ``new/``, ``cur/`` under each mailbox's
directory): a message is written into ``tmp/`` under a name nobody else can choose (time, a
per-process counter, the process id and the host name), flushed to disk with ``fsync``, and only
then renamed into ``new/``; the directory is synced too. A crash mid-write therefore leaves at
most a file in ``tmp/``, which readers never look at and which the store removes when it is old.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "Maildir",
    "MaildirStore",
    "MemoryStore",
    "Store",
    "StoredMessage",
    "mailbox_dirname",
]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message in a mailbox.

    :param uid: the message's unique, unchanging id (printable ASCII, no spaces).
    :param size: its size in octets, as stored.
    """

    uid: str
    size: int


class Store(Protocol):
    """What the SMTP and POP3 sides of the development server need from a mail store."""

    def deliver(self, mailbox: str, data: bytes) -> str:
        """Store ``data`` durably in ``mailbox`` (created on first use); return the new uid."""
        ...

    def messages(self, mailbox: str) -> list[StoredMessage]:
        """The messages of ``mailbox``, oldest first (empty for an unknown mailbox)."""
        ...

    def read(self, mailbox: str, uid: str) -> bytes:
        """The bytes of message ``uid``; :class:`KeyError` if it is not there."""
        ...

    def delete(self, mailbox: str, uids: Iterable[str]) -> None:
        """Remove the messages ``uids`` (ids that are already gone are ignored)."""
        ...

    def mailboxes(self) -> list[str]:
        """The names of the mailboxes that hold or have held mail, sorted."""
        ...


def _mailbox_key(mailbox: str) -> str:
    return mailbox.lower()


class MemoryStore:
    """A :class:`Store` that keeps everything in memory (lost when the process ends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boxes: dict[str, dict[str, bytes]] = {}
        self._counter = itertools.count(1)

    def deliver(self, mailbox: str, data: bytes) -> str:
        """Store ``data`` in ``mailbox``; return the new uid."""
        with self._lock:
            uid = f"m{next(self._counter)}.{os.getpid()}"
            self._boxes.setdefault(_mailbox_key(mailbox), {})[uid] = bytes(data)
            return uid

    def messages(self, mailbox: str) -> list[StoredMessage]:
        """The messages of ``mailbox``, oldest first."""
        with self._lock:
            box = self._boxes.get(_mailbox_key(mailbox), {})
            return [StoredMessage(uid, len(data)) for uid, data in box.items()]

    def read(self, mailbox: str, uid: str) -> bytes:
        """The bytes of message ``uid``."""
        with self._lock:
            return self._boxes.get(_mailbox_key(mailbox), {})[uid]

    def delete(self, mailbox: str, uids: Iterable[str]) -> None:
        """Remove the messages ``uids``."""
        with self._lock:
            box = self._boxes.get(_mailbox_key(mailbox), {})
            for uid in uids:
                box.pop(uid, None)

    def mailboxes(self) -> list[str]:
        """The names of the mailboxes that hold or have held mail."""
        with self._lock:
            return sorted(self._boxes)


_UNSAFE_RE = re.compile(r"[^a-z0-9@._+=-]")
#: A file left in ``tmp/`` longer than this (seconds) is debris of a crash (36 hours, as the
#: Maildir convention has it).
TMP_MAX_AGE = 36 * 3600


def mailbox_dirname(mailbox: str) -> str:
    """The directory name of ``mailbox`` in a Maildir tree.

    Lower-cased; every character outside ``a-z 0-9 @ . _ + = -`` becomes ``%XX`` (its UTF-8
    bytes), and so does a leading dot, so no name can climb out of the tree or hide itself.

    >>> mailbox_dirname("Bea@B.example")
    'bea@b.example'
    >>> mailbox_dirname("../x")
    '%2E.%2Fx'
    """
    key = _mailbox_key(mailbox)
    if not key:
        raise ValueError("a mailbox name must not be empty")

    def escape(match: re.Match[str]) -> str:
        return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))

    name = _UNSAFE_RE.sub(escape, key)
    if name.startswith("."):
        name = "%2E" + name[1:]
    return name


def _hostname_for_maildir() -> str:
    # The Maildir convention replaces "/" and ":" in the host name, which would break the name.
    host = socket.gethostname() or "localhost"
    return host.replace("/", r"\057").replace(":", r"\072")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MaildirStore:
    """A :class:`Store` over a directory tree with one Maildir per mailbox.

    ``root/<mailbox>/{tmp,new,cur}``, the mailbox's directory named by :func:`mailbox_dirname`.
    A message's uid is its file name up to the ``:`` that starts the Maildir flags, so a message
    keeps its uid when a mail reader moves it from ``new/`` to ``cur/``.

    :param root: the directory that holds the mailboxes (created if missing).
    :param fsync: sync every message and directory to disk before reporting it stored; turning
        it off makes tests faster and gives up durability across power loss.
    :param clock: the time source for file names and for the age of leftovers in ``tmp/``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._host = _hostname_for_maildir()
        self._clock = clock
        for box in self.root.iterdir():
            if (box / "tmp").is_dir():
                self._clean_tmp(box / "tmp")

    def _clean_tmp(self, tmp: Path) -> None:
        """Remove files that a crash left in ``tmp/`` long ago."""
        now = self._clock()
        for entry in tmp.iterdir():
            try:
                if now - entry.stat().st_mtime > TMP_MAX_AGE:
                    entry.unlink()
            except OSError:
                continue

    def _box(self, mailbox: str, *, create: bool) -> Path:
        path = self.root / mailbox_dirname(mailbox)
        if create:
            for sub in ("tmp", "new", "cur"):
                (path / sub).mkdir(parents=True, exist_ok=True)
        return path

    def deliver(self, mailbox: str, data: bytes) -> str:
        """Write ``data`` to ``tmp/``, sync it, and rename it into ``new/``; return the uid."""
        box = self._box(mailbox, create=True)
        return _write_message(box, data, fsync=self._fsync, clock=self._clock, host=self._host)

    def _files(self, mailbox: str) -> dict[str, Path]:
        box = self._box(mailbox, create=False)
        found: list[tuple[float, str, Path]] = []
        for sub in ("new", "cur"):
            try:
                entries = list(os.scandir(box / sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    mtime = entry.stat().st_mtime
                except FileNotFoundError:
                    continue
                uid = entry.name.split(":", 1)[0]
                found.append((mtime, uid, Path(entry.path)))
        found.sort(key=_message_order)
        return {uid: path for _, uid, path in found}

    def messages(self, mailbox: str) -> list[StoredMessage]:
        """The messages in ``new/`` and ``cur/``, oldest first."""
        result = []
        for uid, path in self._files(mailbox).items():
            try:
                result.append(StoredMessage(uid, path.stat().st_size))
            except FileNotFoundError:
                continue
        return result

    def read(self, mailbox: str, uid: str) -> bytes:
        """The bytes of message ``uid``."""
        path = self._files(mailbox).get(uid)
        if path is None:
            raise KeyError(uid)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(uid) from None

    def delete(self, mailbox: str, uids: Iterable[str]) -> None:
        """Unlink the messages ``uids``."""
        files = self._files(mailbox)
        for uid in uids:
            path = files.get(uid)
            if path is not None:
                path.unlink(missing_ok=True)
        if self._fsync and files:
            for sub in ("new", "cur"):
                _fsync_dir(self._box(mailbox, create=False) / sub)

    def mailboxes(self) -> list[str]:
        """The directory names of the mailboxes in the tree."""
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if (entry / "new").is_dir() and (entry / "cur").is_dir()
        )


_name_lock = threading.Lock()
_name_counter = itertools.count(1)


def _unique_name(clock: Callable[[], float], host: str) -> str:
    now = clock()
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    with _name_lock:
        count = next(_name_counter)
    return f"{seconds}.M{micros}P{os.getpid()}Q{count}.{host}"


def _write_message(
    box: Path, data: bytes, *, fsync: bool, clock: Callable[[], float], host: str
) -> str:
    """Write into ``box/tmp``, sync, rename into ``box/new``; return the file name."""
    while True:
        name = _unique_name(clock, host)
        tmp_path = box / "tmp" / name
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # pragma: no cover - another process chose the same name
            continue
        break
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp_path.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.rename(tmp_path, box / "new" / name)
    if fsync:
        _fsync_dir(box / "new")
    return name


class Maildir:
    """One Maildir directory (``tmp/``, ``new/``, ``cur/``), written as :class:`MaildirStore`
    writes each of its mailboxes; ``mailproto fetch`` delivers into one.

    :param path: the directory (created with its three subdirectories if missing).
    :param fsync: sync each message and the directory before reporting it stored.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._clock = clock
        self._host = _hostname_for_maildir()

    def deliver(self, data: bytes) -> str:
        """Store ``data`` in ``new/``; return its file name."""
        return _write_message(
            self.path, data, fsync=self._fsync, clock=self._clock, host=self._host
        )

    def names(self) -> list[str]:
        """The file names in ``new/`` and ``cur/``."""
        return sorted(entry.name for sub in ("new", "cur") for entry in os.scandir(self.path / sub))


def _message_order(item: tuple[float, str, Path]) -> tuple[float, int, str]:
    """Order by delivery time, then by the counter in our own names, then by name."""
    mtime, uid, _ = item
    match = re.search(r"Q(\d+)\.", uid)
    seconds = uid.split(".", 1)[0]
    when = float(seconds) if seconds.isdigit() else mtime
    return (when, int(match.group(1)) if match else 0, uid)
