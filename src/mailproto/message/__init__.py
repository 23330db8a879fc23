"""The message model: RFC 5322 and MIME messages, read losslessly and lazily, and written.

Reading::

    msg = Message.parse(raw)            # never raises; msg.to_bytes() == raw
    msg.subject, msg.date, msg.addresses("from")
    msg.text_body.text() if msg.text_body else ""
    for part in msg.attachments:
        part.filename, part.decoded()

The structured parsers are available on their own for other packages (SMTP, delivery, IMAP):
:func:`parse_address_list`, :func:`parse_date`, :func:`decode_encoded_words`,
:func:`parse_content_type`, :func:`parse_msg_ids`, :func:`parse_received`.
"""

from __future__ import annotations

from ._address import Address, Group
from ._address_format import (
    format_addr_spec,
    format_address,
    format_address_list,
    format_group,
    format_mailbox,
    is_dot_atom,
    quote_string,
)
from ._address_parse import parse_address_list
from ._compose import (
    Attachment,
    ComposedMessage,
    MessageBuilder,
    compose,
    format_date,
    make_msgid,
    prepend_header,
    remove_header,
    set_header,
)
from ._dates import parse_date
from ._defects import Defect, DefectKind
from ._encode import (
    TransferEncoding,
    choose_transfer_encoding,
    encode_base64,
    encode_param,
    encode_phrase,
    encode_quoted_printable,
    encode_transfer,
    encode_unstructured,
    encode_words,
)
from ._encoded_words import decode_encoded_words, lookup_charset
from ._fold import ENCODED_WORD_LINE, MAX_LINE, SOFT_LINE, fold_header
from ._headers import Header, Received, parse_msg_ids, parse_received
from ._imap import Bodies, ImapValue, body_structure, envelope, imap_serialize, section_part
from ._message import Message, Part, Priority, unflow_text
from ._mime import parse_content_type
from ._reply import (
    base_subject,
    forward,
    forward_subject,
    quote_text,
    reply,
    reply_subject,
    trim_references,
)
from ._summary import MessageSummary

__all__ = [
    # Reading.
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
    "unflow_text",
    # IMAP.
    "Bodies",
    "ImapValue",
    "body_structure",
    "envelope",
    "imap_serialize",
    "section_part",
    # Writing.
    "ENCODED_WORD_LINE",
    "MAX_LINE",
    "SOFT_LINE",
    "Attachment",
    "ComposedMessage",
    "MessageBuilder",
    "TransferEncoding",
    "choose_transfer_encoding",
    "compose",
    "encode_base64",
    "encode_param",
    "encode_phrase",
    "encode_quoted_printable",
    "encode_transfer",
    "encode_unstructured",
    "encode_words",
    "fold_header",
    "format_addr_spec",
    "format_address",
    "format_address_list",
    "format_date",
    "format_group",
    "format_mailbox",
    "is_dot_atom",
    "make_msgid",
    "prepend_header",
    "quote_string",
    "remove_header",
    "set_header",
    "base_subject",
    "forward",
    "forward_subject",
    "quote_text",
    "reply",
    "reply_subject",
    "trim_references",
]
