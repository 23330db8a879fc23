"""A local development mail server: SMTP and POP3 over one store (``mailproto serve``).

The pieces are usable on their own: the stores (:class:`MemoryStore`, :class:`MaildirStore`),
the user table (:class:`UserTable`) and the transcript recorder (:class:`Transcript`), which the
demo uses to show every hop of a message's journey.
"""

from ._lmtp import LmtpDelivery
from ._pop3 import AnyPasswordAuthenticator, POP3Service
from ._relay import DEV_RETRY_POLICY, RelayQueue, RelayResult, dns_lookup
from ._router import Local, Refuse, Remote, Route, Router
from ._server import DevServer, ServerConfig
from ._smtp import DeliveryOutcome, LocalDelivery, Relay, SMTPService, StoreDelivery
from ._store import Maildir, MaildirStore, MemoryStore, Store, StoredMessage, mailbox_dirname
from ._transcript import RecordingConnection, Transcript, TranscriptLine
from ._users import UserTable, parse_user_spec

__all__ = [
    "DEV_RETRY_POLICY",
    "LmtpDelivery",
    "RelayQueue",
    "RelayResult",
    "dns_lookup",
    "AnyPasswordAuthenticator",
    "DeliveryOutcome",
    "DevServer",
    "Local",
    "LocalDelivery",
    "POP3Service",
    "Refuse",
    "Relay",
    "Remote",
    "Route",
    "Router",
    "SMTPService",
    "ServerConfig",
    "StoreDelivery",
    "Maildir",
    "MaildirStore",
    "MemoryStore",
    "RecordingConnection",
    "Store",
    "StoredMessage",
    "Transcript",
    "TranscriptLine",
    "UserTable",
    "mailbox_dirname",
    "parse_user_spec",
]
