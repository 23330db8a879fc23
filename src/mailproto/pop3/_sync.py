"""The common client job: log in, list with UIDs, download what is new, maybe delete it.

:class:`MailboxDownload` is sans-I/O like the connections: feed it every event the client
connection gives and it sends the next commands on that connection. The state needed to resume
stays with the caller: it passes the UIDs it already has (``known_uids``) and stores the UID of
each :class:`DownloadedMessage` it receives. Messages are deleted only after they have arrived,
and deletion only happens if the session ends with QUIT (RFC 1939), so a broken connection
loses nothing: the next run skips what was downloaded and, with ``delete=True``, deletes it then.

The job queues its commands on the connection itself; a channel of :mod:`mailproto.drivers`
writes them before it next reads. Driving it with the threaded driver::

    job = MailboxDownload(client, username="tim", password=Secret("..."), known_uids=seen)
    for message in download_blocking(channel, job):
        store(message.uid, message.data)
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from ..connection import ConnectionClosed, Event
from ..errors import ErrorKind, ProtocolError, SASLError
from ..sasl import ClientMechanism, Secret, choose_mechanism, client_mechanism, encode_sasl
from ._client import POP3Client
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Dele,
    Err,
    Greeting,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    Pass,
    Quit,
    Retr,
    Uidl,
    UidListing,
    User,
)

__all__ = [
    "DownloadError",
    "DownloadedMessage",
    "MailboxDownload",
    "download_async",
    "download_blocking",
]

LoginMethod = Literal["auto", "sasl", "apop", "user"]


@dataclass(frozen=True, slots=True)
class DownloadedMessage:
    """A message that arrived whole: its number in this session, its UID and its bytes."""

    msg: int
    uid: str
    data: bytes


class DownloadError(ProtocolError):
    """The server refused something the download needs (login, UIDL); :attr:`reply` is its Err."""


class MailboxDownload:
    """Download the messages whose UIDs are not in ``known_uids``.

    :param client: a fresh :class:`POP3Client` (before the greeting).
    :param username: the account.
    :param password: its password.
    :param known_uids: UIDs downloaded in earlier runs; they are skipped (and deleted with
        ``delete=True``).
    :param delete: delete each message from the server once it has arrived.
    :param login: ``"auto"`` (SASL if offered, else APOP if offered, else USER/PASS), or one
        of ``"sasl"``, ``"apop"``, ``"user"``.
    :param allow_plaintext: allow sending the password in the clear (USER/PASS, PLAIN, LOGIN);
        set it to ``False`` unless the connection is encrypted.
    :param limit: download at most this many messages in this session.
    """

    def __init__(
        self,
        client: POP3Client,
        *,
        username: str,
        password: str | Secret,
        known_uids: Iterable[str] = (),
        delete: bool = False,
        login: LoginMethod = "auto",
        allow_plaintext: bool = True,
        limit: int | None = None,
    ) -> None:
        self.client = client
        self.username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self.known_uids = frozenset(known_uids)
        self.delete = delete
        self.login = login
        self.allow_plaintext = allow_plaintext
        self.limit = limit
        #: UIDs of the messages that arrived in this session.
        self.downloaded_uids: list[str] = []
        #: UIDs whose deletion the server confirmed with its answer to QUIT.
        self.deleted_uids: list[str] = []
        #: ``(msg, uid, Err)`` for messages the server would not give.
        self.failures: list[tuple[int, str, Err]] = []
        self._phase = "greeting"
        self._mechanism: ClientMechanism | None = None
        self._expected: deque[tuple[str, int, str]] = deque()
        self._marked: list[str] = []
        self._chunks: list[bytes] = []
        self._pending_initial: bytes | None = None
        self._refused: Err | None = None
        self._answers_left = 1  # answers that end the login (USER and PASS: two)
        self._done = False

    @property
    def done(self) -> bool:
        """Whether the session has ended with the server's answer to QUIT."""
        return self._done

    # -- events -----------------------------------------------------------------------------------

    def handle(self, event: Event) -> DownloadedMessage | None:
        """Act on one event from the client connection; return a message when one is complete.

        :raises DownloadError: the server refused the login or UIDL (QUIT has been sent).
        :raises SASLError: the server failed SASL verification (SCRAM's server signature).
        """
        client = self.client
        phase = self._phase
        if isinstance(event, ConnectionClosed):
            if not self._done:
                raise DownloadError(
                    "the server closed the connection before the download ended",
                    kind=ErrorKind.UNEXPECTED_EOF,
                )
            return None
        if phase == "greeting":
            if isinstance(event, Greeting):
                client.send(Capa())
                self._phase = "capa"
                return None
            raise DownloadError("the server refused the connection", reply=event)
        if phase == "capa":
            caps = event if isinstance(event, Capabilities) else None
            self._start_login(caps)
            return None
        if phase == "login":
            self._login_event(event)
            return None
        if phase == "uidl":
            if isinstance(event, UidListing):
                self._plan(event.entries)
                return None
            self._give_up("the server refused UIDL", event)
        if phase == "transfer":
            return self._transfer(event)
        if phase == "quit" and isinstance(event, (Ok, Err)):
            self._done = True
            if isinstance(event, Ok):
                self.deleted_uids = list(self._marked)
        return None

    def _give_up(self, message: str, event: Event) -> None:
        self.client.send(Quit())
        self._phase = "quit"
        raise DownloadError(message, reply=event, kind=ErrorKind.AUTHENTICATION)

    def _start_login(self, caps: Capabilities | None) -> None:
        client = self.client
        greeting = client.greeting
        method = self.login
        offered = caps.args("SASL") if caps is not None else ()
        mechanism = None
        if method in ("auto", "sasl") and offered:
            mechanism = choose_mechanism(offered, allow_plaintext=self.allow_plaintext)
        if mechanism is not None:
            mech = client_mechanism(mechanism, username=self.username, password=self._password)
            self._mechanism = mech
            initial = mech.initial_response()
            # RFC 5034 section 4: an initial response that would make the line longer than
            # 255 octets is sent after an empty challenge instead.
            if (
                initial is not None
                and len(encode_sasl(initial, initial=True)) + 8 + len(mechanism) <= 255
            ):
                client.send(Auth(mechanism, initial))
            else:
                self._pending_initial = initial
                client.send(Auth(mechanism))
        elif method in ("auto", "apop") and greeting is not None and greeting.timestamp:
            client.send(Apop.compute(self.username, greeting.timestamp, self._password))
        elif method in ("auto", "user") and (self.allow_plaintext or client.tls_active):
            client.send(User(self.username))
            client.send(Pass(self._password))
            self._answers_left = 2
        else:
            client.send(Quit())
            self._phase = "quit"
            raise DownloadError(f"no usable login method ({method}) is offered")
        self._phase = "login"

    def _login_event(self, event: Event) -> None:
        client = self.client
        if isinstance(event, AuthChallenge):
            mech = self._mechanism
            if mech is None:
                raise DownloadError("a challenge came without AUTH")
            if self._pending_initial is not None:
                response, self._pending_initial = self._pending_initial, None
            elif mech.complete:
                mech.verify(event.data)
                response = b""
            else:
                try:
                    response = mech.respond(event.data)
                except SASLError:
                    client.send(AuthCancel())  # keep the exchange in step
                    raise
            client.send(AuthResponse(response))
            return
        if isinstance(event, Err):
            if self._answers_left == 2:
                self._answers_left = 1  # USER refused: PASS is answered (with -ERR) next
                self._refused = event
                return
            self._give_up("the server refused the login", self._refused or event)
        if isinstance(event, Ok):
            self._answers_left -= 1
            if self._answers_left == 0:
                client.send(Uidl())
                self._phase = "uidl"

    def _plan(self, entries: tuple[tuple[int, str], ...]) -> None:
        client = self.client
        wanted = [(msg, uid) for msg, uid in entries if uid not in self.known_uids]
        if self.limit is not None:
            wanted = wanted[: self.limit]
        if self.delete:
            for msg, uid in entries:
                if uid in self.known_uids:
                    client.send(Dele(msg))
                    self._expected.append(("dele", msg, uid))
        for msg, uid in wanted:
            client.send(Retr(msg))
            self._expected.append(("retr", msg, uid))
        self._phase = "transfer"
        self._maybe_quit()

    def _maybe_quit(self) -> None:
        if not self._expected:
            self.client.send(Quit())
            self._phase = "quit"

    def _transfer(self, event: Event) -> DownloadedMessage | None:
        if not self._expected:
            return None
        kind, msg, uid = self._expected[0]
        result = None
        if isinstance(event, MessageStart):
            self._chunks = []
            return None
        if isinstance(event, MessageData):
            self._chunks.append(event.data)
            return None
        if isinstance(event, MessageEnd):
            data = b"".join(self._chunks)
            self._chunks = []
            result = DownloadedMessage(msg, uid, data)
            self.downloaded_uids.append(uid)
            if self.delete:
                self.client.send(Dele(msg))
                self._expected.append(("dele", msg, uid))
        elif isinstance(event, Err):
            if kind == "retr":
                self.failures.append((msg, uid, event))
        elif isinstance(event, Ok) and kind == "dele":
            self._marked.append(uid)
        self._expected.popleft()
        self._maybe_quit()
        return result


class _BlockingChannel(Protocol):
    def next_event(self) -> Event: ...


class _AsyncChannel(Protocol):
    def next_event(self) -> Awaitable[Event]: ...


def download_blocking(
    channel: _BlockingChannel, job: MailboxDownload
) -> Iterator[DownloadedMessage]:
    """Run ``job`` over a blocking channel (``mailproto.drivers.threaded``), yielding messages."""
    while not job.done:
        event = channel.next_event()
        message = job.handle(event)
        if message is not None:
            yield message
        if isinstance(event, ConnectionClosed):
            return


async def download_async(
    channel: _AsyncChannel, job: MailboxDownload
) -> AsyncIterator[DownloadedMessage]:
    """Run ``job`` over an asyncio or trio channel, yielding messages as they arrive."""
    while not job.done:
        event = await channel.next_event()
        message = job.handle(event)
        if message is not None:
            yield message
        if isinstance(event, ConnectionClosed):
            return
