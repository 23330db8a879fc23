"""The PROXY protocol (HAProxy's, versions 1 and 2): the real client address behind a proxy.

A load balancer that forwards connections to a mail server can prefix each one with a PROXY
header naming the original client and the address it connected to. The server reads that header
before anything else, :func:`read_proxy_header`, and then runs its protocol on the same buffer::

    buffer = ReceiveBuffer()
    buffer.feed(received)
    info = read_proxy_header(buffer)     # None until the whole header has arrived
    if info is not None:
        client_address = info.source     # None for UNKNOWN/LOCAL: use the socket's address

Version 1 is one text line (``PROXY TCP4 192.0.2.1 198.51.100.1 56324 25\\r\\n``, at most 107
bytes); version 2 is binary: a 12-byte signature, version and command, family and transport,
a length, the addresses and optional type-length-value fields (TLVs).
:func:`format_proxy_header` writes either, for proxies, clients and tests.

Accept a PROXY header only from a proxy you trust: whoever can send one chooses the address the
server believes.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from dataclasses import dataclass
from typing import Final

from ._buffer import ReceiveBuffer
from .connection import Event
from .errors import ErrorKind, RemoteProtocolError

__all__ = [
    "PP2_TYPE_ALPN",
    "PP2_TYPE_AUTHORITY",
    "PP2_TYPE_CRC32C",
    "PP2_TYPE_NETNS",
    "PP2_TYPE_NOOP",
    "PP2_TYPE_SSL",
    "PP2_TYPE_UNIQUE_ID",
    "V1_MAX_LENGTH",
    "V2_SIGNATURE",
    "ProxyInfo",
    "crc32c",
    "format_proxy_header",
    "read_proxy_header",
]

#: The longest version 1 header, CRLF included.
V1_MAX_LENGTH: Final = 107
#: The 12 bytes that begin every version 2 header.
V2_SIGNATURE: Final = b"\r\n\r\n\x00\r\nQUIT\n"

#: Version 2 TLV types defined by the specification.
PP2_TYPE_ALPN: Final = 0x01
PP2_TYPE_AUTHORITY: Final = 0x02
PP2_TYPE_CRC32C: Final = 0x03
PP2_TYPE_NOOP: Final = 0x04
PP2_TYPE_UNIQUE_ID: Final = 0x05
PP2_TYPE_SSL: Final = 0x20
PP2_TYPE_NETNS: Final = 0x30

_V1_PREFIX: Final = b"PROXY "
_V2_HEAD: Final = 16  # signature, version/command, family/transport, length
_V1_TCP = re.compile(
    rb"PROXY (TCP4|TCP6) ([0-9A-Fa-f:.]{1,45}) ([0-9A-Fa-f:.]{1,45}) "
    rb"(0|[1-9][0-9]{0,4}) (0|[1-9][0-9]{0,4})"
)
_V1_UNKNOWN = re.compile(rb"PROXY UNKNOWN(?: [^\r\n]*)?")

_LOCAL, _PROXY = 0x0, 0x1
_UNSPEC, _INET, _INET6, _UNIX = 0x0, 0x1, 0x2, 0x3
_ADDRESS_LENGTH: Final = {_UNSPEC: 0, _INET: 12, _INET6: 36, _UNIX: 216}
_STREAM: Final = 0x1


@dataclass(frozen=True, slots=True)
class ProxyInfo(Event):
    """What a PROXY header said about the connection.

    :param source: the original client's address and port, or ``None`` when the proxy did not
        say (v1 ``UNKNOWN``, v2 ``LOCAL`` such as a health check, or an unspecified or Unix
        socket family): then the connection's own addresses apply.
    :param destination: the address and port the client connected to, or ``None`` likewise.
    :param version: 1 (text) or 2 (binary).
    :param tlvs: version 2 type-length-value fields as ``(type, value)`` pairs, in order.
    """

    source: tuple[str, int] | None
    destination: tuple[str, int] | None
    version: int
    tlvs: tuple[tuple[int, bytes], ...] = ()


def _error(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"PROXY header: {message}", kind=ErrorKind.SYNTAX, fatal=True)


def read_proxy_header(buffer: ReceiveBuffer) -> ProxyInfo | None:
    """Read a PROXY header (version 1 or 2) from the start of ``buffer``.

    Returns ``None`` (consuming nothing) until the whole header has arrived, then consumes
    exactly the header and returns it; what follows stays in the buffer for the protocol.

    :raises RemoteProtocolError: (fatal) the header is malformed, or the connection does not
        begin with a PROXY header at all; this is noticed as soon as the first bytes differ.
    """
    head = buffer.peek(V1_MAX_LENGTH)
    if not head:
        return None
    if head[:1] == b"P":
        return _read_v1(buffer, head)
    if head[:1] == b"\r":
        return _read_v2(buffer, head)
    raise _error("the connection does not begin with a PROXY header")


def _read_v1(buffer: ReceiveBuffer, head: bytes) -> ProxyInfo | None:
    if not head.startswith(_V1_PREFIX[: len(head)]):
        raise _error("the connection does not begin with a PROXY header")
    newline = head.find(b"\n")
    if newline < 0:
        if len(head) >= V1_MAX_LENGTH:
            raise _error(f"a version 1 header is at most {V1_MAX_LENGTH} bytes")
        return None
    if head[newline - 1 : newline] != b"\r":
        raise _error("a version 1 header ends with CRLF")
    line = head[: newline - 1]
    match = _V1_TCP.fullmatch(line)
    if match is not None:
        family, source, destination, source_port, destination_port = match.groups()
        version = 4 if family == b"TCP4" else 6
        info = ProxyInfo(
            source=(_v1_address(source, version), _v1_port(source_port)),
            destination=(_v1_address(destination, version), _v1_port(destination_port)),
            version=1,
        )
    elif _V1_UNKNOWN.fullmatch(line):
        info = ProxyInfo(source=None, destination=None, version=1)
    else:
        raise _error("malformed version 1 header")
    buffer.read_exact(newline + 1)
    return info


def _v1_address(text: bytes, version: int) -> str:
    try:
        # The pattern allows only ASCII, so the decode cannot fail.
        address = ipaddress.ip_address(text.decode("ascii"))
    except ValueError:
        raise _error(f"{text.decode('ascii')!r} is not an IP address") from None
    if address.version != version:
        raise _error(f"{address} is not an IPv{version} address")
    return str(address)


def _v1_port(text: bytes) -> int:
    port = int(text)  # the pattern allows only 1 to 5 digits
    if port > 0xFFFF:
        raise _error(f"port {port} is out of range")
    return port


def _read_v2(buffer: ReceiveBuffer, head: bytes) -> ProxyInfo | None:
    if not head.startswith(V2_SIGNATURE[: len(head)]):
        raise _error("the connection does not begin with a PROXY header")
    if len(head) < _V2_HEAD:
        return None
    version, command = head[12] >> 4, head[12] & 0x0F
    family, transport = head[13] >> 4, head[13] & 0x0F
    (length,) = struct.unpack_from("!H", head, 14)
    if version != 2:
        raise _error(f"unknown version {version} after the version 2 signature")
    if command not in (_LOCAL, _PROXY):
        raise _error(f"unknown command {command:#x}")
    if family not in _ADDRESS_LENGTH or transport > 2:
        raise _error(f"unknown address family/transport {head[13]:#04x}")
    address_length = _ADDRESS_LENGTH[family]
    if length < address_length:
        raise _error(f"{length} bytes are too few for the addresses of family {family}")
    if len(buffer) < _V2_HEAD + length:
        return None
    header = buffer.read_exact(_V2_HEAD + length)
    if header is None:  # pragma: no cover - the length was checked just above
        return None
    payload = memoryview(header)[_V2_HEAD:]
    source = destination = None
    if command == _PROXY and family in (_INET, _INET6):
        size = 4 if family == _INET else 16
        factory = ipaddress.IPv4Address if family == _INET else ipaddress.IPv6Address
        source_port, destination_port = struct.unpack_from("!HH", payload, 2 * size)
        source = (str(factory(bytes(payload[:size]))), source_port)
        destination = (str(factory(bytes(payload[size : 2 * size]))), destination_port)
    tlvs = _parse_tlvs(payload[address_length:])  # a CRC32C TLV, if any, is verified
    _check_crc(header, tlvs, _V2_HEAD + address_length)
    return ProxyInfo(source=source, destination=destination, version=2, tlvs=tlvs)


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE: Final = _crc32c_table()


def crc32c(data: bytes) -> int:
    """The CRC-32C (Castagnoli) checksum that the ``PP2_TYPE_CRC32C`` TLV carries.

    A plain table-driven loop: headers are short and read once per connection.
    """
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _check_crc(header: bytes, tlvs: tuple[tuple[int, bytes], ...], offset: int) -> None:
    """Verify a CRC32C TLV, computed over the header with the checksum's bytes zeroed."""
    if sum(kind == PP2_TYPE_CRC32C for kind, _ in tlvs) > 1:
        raise _error("more than one CRC32C TLV")
    position = offset
    for kind, value in tlvs:
        if kind == PP2_TYPE_CRC32C:
            if len(value) != 4:
                raise _error("the CRC32C TLV must hold 4 bytes")
            start = position + 3
            zeroed = header[:start] + bytes(4) + header[start + 4 :]
            if crc32c(zeroed) != int.from_bytes(value, "big"):
                raise _error("the CRC32C checksum does not match the header")
        position += 3 + len(value)


def _parse_tlvs(data: memoryview) -> tuple[tuple[int, bytes], ...]:
    tlvs = []
    position, end = 0, len(data)
    while position < end:
        if end - position < 3:
            raise _error("truncated TLV")
        kind = data[position]
        (length,) = struct.unpack_from("!H", data, position + 1)
        start = position + 3
        position = start + length
        if position > end:
            raise _error(f"TLV {kind:#04x} is longer than the header")
        tlvs.append((kind, bytes(data[start:position])))
    return tuple(tlvs)


def _ip(
    address: tuple[str, int], label: str
) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    host, port = address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the {label} {host!r} is not an IP address") from None
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"the {label} port {port} is out of range")
    return ip, port


def format_proxy_header(info: ProxyInfo) -> bytes:
    """Write ``info`` as a PROXY header of ``info.version``.

    A ``source`` of ``None`` becomes ``PROXY UNKNOWN`` (version 1) or the ``LOCAL`` command
    (version 2). TLVs exist only in version 2; a ``PP2_TYPE_CRC32C`` TLV (given with any
    4-byte value) is filled with the header's checksum.

    :raises ValueError: the addresses are not IP addresses of one family, a port or TLV is out
        of range, or the version is neither 1 nor 2.
    """
    if (info.source is None) != (info.destination is None):
        raise ValueError("give both source and destination, or neither")
    if info.version == 1:
        if info.tlvs:
            raise ValueError("version 1 headers cannot carry TLVs")
        if info.source is None or info.destination is None:
            return b"PROXY UNKNOWN\r\n"
        source, source_port = _ip(info.source, "source")
        destination, destination_port = _ip(info.destination, "destination")
        if source.version != destination.version:
            raise ValueError("source and destination must be of the same IP version")
        protocol = "TCP4" if source.version == 4 else "TCP6"
        line = f"PROXY {protocol} {source} {destination} {source_port} {destination_port}\r\n"
        return line.encode("ascii")
    if info.version != 2:
        raise ValueError(f"unknown PROXY protocol version {info.version}")
    tlvs = b"".join(_format_tlv(kind, value) for kind, value in info.tlvs)
    if info.source is None or info.destination is None:
        command, family, addresses = _LOCAL, _UNSPEC, b""
    else:
        source, source_port = _ip(info.source, "source")
        destination, destination_port = _ip(info.destination, "destination")
        if source.version != destination.version:
            raise ValueError("source and destination must be of the same IP version")
        command = _PROXY
        family = _INET if source.version == 4 else _INET6
        addresses = (
            source.packed + destination.packed + struct.pack("!HH", source_port, destination_port)
        )
    length = len(addresses) + len(tlvs)
    if length > 0xFFFF:
        raise ValueError("the TLVs make the header longer than 65535 bytes")
    transport = _STREAM if family != _UNSPEC else 0
    head = struct.pack("!BBH", 0x20 | command, family << 4 | transport, length)
    header = V2_SIGNATURE + head + addresses + tlvs
    crc_count = sum(kind == PP2_TYPE_CRC32C for kind, _ in info.tlvs)
    if crc_count > 1:
        raise ValueError("at most one CRC32C TLV")
    if crc_count:
        header = _fill_crc(header, info.tlvs, len(V2_SIGNATURE) + 4 + len(addresses))
    return header


def _fill_crc(header: bytes, tlvs: tuple[tuple[int, bytes], ...], offset: int) -> bytes:
    """Write the checksum into the (first) CRC32C TLV, whatever value it was given."""
    position = offset
    for kind, value in tlvs:
        if kind == PP2_TYPE_CRC32C:
            if len(value) != 4:
                raise ValueError("the CRC32C TLV holds 4 bytes (any value; it is computed)")
            start = position + 3
            zeroed = header[:start] + bytes(4) + header[start + 4 :]
            return zeroed[:start] + crc32c(zeroed).to_bytes(4, "big") + zeroed[start + 4 :]
        position += 3 + len(value)
    return header


def _format_tlv(kind: int, value: bytes) -> bytes:
    if not 0 <= kind <= 0xFF:
        raise ValueError(f"TLV type {kind} is out of range")
    if len(value) > 0xFFFF:
        raise ValueError("a TLV value is at most 65535 bytes")
    return struct.pack("!BH", kind, len(value)) + value
