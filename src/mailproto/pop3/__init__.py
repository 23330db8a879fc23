"""POP3 (RFC 1939) with CAPA and response codes (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034),
UTF8 and LANG (RFC 6856): sans-I/O client and server connections.

Both connections follow :mod:`mailproto.connection`: feed bytes with ``receive_data``, take
events from ``next_event`` until ``NEED_DATA``, ``send`` events, write ``data_to_send()``.

A client downloads like this (the driver moves the bytes)::

    client = POP3Client()
    # ... Greeting arrives
    client.send(User("tim"))
    client.send(Pass(Secret("secret")))
    client.send(Retr(1))
    # ... Ok, Ok, MessageStart, MessageData..., MessageEnd

A server answers the few events that need the application; the connection answers the rest::

    server = POP3Server(authenticator=PasswordAuthenticator({"tim": "secret"}))
    event = server.next_event()
    if isinstance(event, OpenMaildrop):
        server.send(Maildrop(sizes=(120, 200), uids=("a1", "b2")))
    elif isinstance(event, RetrieveMessage):
        server.send_message(store[event.msg])
"""

from ._client import POP3Client
from ._events import (
    Apop,
    Auth,
    AuthCancel,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Capability,
    Command,
    Dele,
    Err,
    Greeting,
    Lang,
    LangListing,
    List,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Noop,
    Ok,
    OpenMaildrop,
    Pass,
    Quit,
    Reply,
    Retr,
    RetrieveMessage,
    Rset,
    ScanLine,
    ScanListing,
    ServerRequest,
    Stat,
    StatReply,
    Stls,
    Top,
    Uidl,
    UidLine,
    UidListing,
    Update,
    User,
    Utf8,
    apop_digest,
)
from ._server import POP3Server
from ._state import ALLOWED, CLIENT_TRANSITIONS, SERVER_TRANSITIONS, State
from ._sync import (
    DownloadedMessage,
    DownloadError,
    MailboxDownload,
    download_async,
    download_blocking,
)

__all__ = [
    "ALLOWED",
    "CLIENT_TRANSITIONS",
    "SERVER_TRANSITIONS",
    "Apop",
    "Auth",
    "AuthCancel",
    "AuthChallenge",
    "AuthResponse",
    "Capa",
    "Capabilities",
    "Capability",
    "Command",
    "Dele",
    "DownloadError",
    "DownloadedMessage",
    "Err",
    "Greeting",
    "Lang",
    "LangListing",
    "List",
    "MailboxDownload",
    "Maildrop",
    "MessageData",
    "MessageEnd",
    "MessageStart",
    "Noop",
    "Ok",
    "OpenMaildrop",
    "POP3Client",
    "POP3Server",
    "Pass",
    "Quit",
    "Reply",
    "Retr",
    "RetrieveMessage",
    "Rset",
    "ScanLine",
    "ScanListing",
    "ServerRequest",
    "Stat",
    "StatReply",
    "State",
    "Stls",
    "Top",
    "Uidl",
    "UidLine",
    "UidListing",
    "Update",
    "User",
    "Utf8",
    "apop_digest",
    "download_async",
    "download_blocking",
]
