"""The message model: RFC 5322 and MIME messages, parsed losslessly and lazily.

Reading::

    msg = Message.parse(raw)
    msg.subject, msg.date, msg.addresses("from")
    msg.text_body.text()
    for part in msg.attachments:
        part.filename, part.decoded()
"""

from __future__ import annotations

from ._address import Address, Group
from ._address_parse import parse_address_list
from ._dates import parse_date
from ._defects import Defect, DefectKind
from ._encoded_words import decode_encoded_words, lookup_charset
from ._headers import Header, Received, parse_msg_ids, parse_received
from ._message import Message, Part, Priority
from ._mime import parse_content_type
from ._summary import MessageSummary

__all__ = [
    "Address",
    "Defect",
    "DefectKind",
    "Group",
    "Header",
    "Message",
    "MessageSummary",
    "Part",
    "Priority",
    "Received",
    "decode_encoded_words",
    "lookup_charset",
    "parse_address_list",
    "parse_content_type",
    "parse_date",
    "parse_msg_ids",
    "parse_received",
]
