"""Hypothesis strategies for testing mail software, mailproto's own and anyone else's.

Install with the ``testing`` extra (``pip install 'mailproto[testing]'``); this package imports
hypothesis, the rest of mailproto never does.

* :func:`chunkings`: every way a peer's bytes can arrive, for "any chunking gives the same
  result" properties.
* :func:`domains`, :func:`mailboxes`, :func:`addresses`: what goes into SMTP paths and message
  header fields.
* :func:`email_messages`: complete RFC 5322/MIME messages, with text, HTML, attachments and
  non-ASCII headers, built with :mod:`mailproto.message`.
* :func:`smtp_commands`, :func:`smtp_replies`, :func:`pop3_commands`: protocol events that
  serialise and parse back to themselves.

Example::

    from hypothesis import given
    from mailproto.testing import chunkings, email_messages

    @given(email_messages().flatmap(chunkings))
    def test_my_parser_handles_any_chunking(chunks):
        assert my_incremental_parser(chunks) == my_parser(b"".join(chunks))
"""

from ._chunks import chunkings
from ._message import addresses, email_messages
from ._pop3 import pop3_commands
from ._smtp import domains, mailboxes, smtp_commands, smtp_replies

__all__ = [
    "addresses",
    "chunkings",
    "domains",
    "email_messages",
    "mailboxes",
    "pop3_commands",
    "smtp_commands",
    "smtp_replies",
]
