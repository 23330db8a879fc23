"""SMTP (RFC 5321) and LMTP (RFC 2033): client and server connections with their extensions.

Both sides follow the uniform interface of :mod:`mailproto.connection`. A client sends command
events and reads :class:`Reply` events; a server reads command events and answers each one that
needs a decision with a :class:`Reply` (or :meth:`SmtpServer.accept` / :meth:`SmtpServer.reject`).
"""

from ._client import LmtpClient, SmtpClient
from ._events import (
    Auth,
    AuthResponse,
    AuthResult,
    Bdat,
    ChunkComplete,
    Command,
    Connected,
    Data,
    DataChunk,
    EndOfData,
    Expand,
    Hello,
    Help,
    MailFrom,
    MessageComplete,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    StartTLSCommand,
    Verify,
)
from ._parse import parse_command
from ._serialize import serialize_command, serialize_reply
from ._server import DEFAULT_AUTO_REPLY, DEFAULT_EXTENSIONS, LmtpServer, SmtpServer
from ._state import (
    CLIENT_TIMEOUTS,
    SERVER_TIMEOUT,
    SERVER_TRANSITIONS,
    ClientState,
    ServerState,
)

__all__ = [
    "CLIENT_TIMEOUTS",
    "DEFAULT_AUTO_REPLY",
    "DEFAULT_EXTENSIONS",
    "SERVER_TIMEOUT",
    "SERVER_TRANSITIONS",
    "Auth",
    "AuthResponse",
    "AuthResult",
    "Bdat",
    "ChunkComplete",
    "ClientState",
    "Command",
    "Connected",
    "Data",
    "DataChunk",
    "EndOfData",
    "Expand",
    "Hello",
    "Help",
    "LmtpClient",
    "LmtpServer",
    "MailFrom",
    "MessageComplete",
    "Noop",
    "Quit",
    "RcptTo",
    "Reply",
    "Reset",
    "ServerState",
    "SmtpClient",
    "SmtpServer",
    "StartTLSCommand",
    "Verify",
    "parse_command",
    "serialize_command",
    "serialize_reply",
]
