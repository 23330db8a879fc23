"""The PROXY protocol header: the specification's examples, chunking, malformed input."""

from __future__ import annotations

import ipaddress
import itertools
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto._buffer import ReceiveBuffer
from mailproto.connection import Event
from mailproto.errors import ErrorKind, RemoteProtocolError
from mailproto.proxy import (
    PP2_TYPE_ALPN,
    PP2_TYPE_AUTHORITY,
    PP2_TYPE_CRC32C,
    PP2_TYPE_NOOP,
    PP2_TYPE_UNIQUE_ID,
    V2_SIGNATURE,
    ProxyInfo,
    crc32c,
    format_proxy_header,
    read_proxy_header,
)
from tests._programs import require_program


def read(data: bytes) -> tuple[ProxyInfo | None, bytes]:
    """Parse a header fed whole; return it and what is left in the buffer."""
    buffer = ReceiveBuffer()
    buffer.feed(data)
    info = read_proxy_header(buffer)
    return info, buffer.read_some(len(buffer))


def read_chunked(chunks: list[bytes]) -> tuple[ProxyInfo, bytes]:
    """Feed chunks one by one, calling read_proxy_header after each, until it answers."""
    buffer = ReceiveBuffer()
    info = None
    for chunk in chunks:
        buffer.feed(chunk)
        if info is None:
            before = len(buffer)
            info = read_proxy_header(buffer)
            if info is None:
                assert len(buffer) == before  # nothing consumed while waiting
    assert info is not None
    return info, buffer.read_some(len(buffer))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


# -- version 1 --------------------------------------------------------------------------------


def test_v1_spec_example() -> None:
    info, rest = read(b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n")
    assert info == ProxyInfo(("192.168.0.1", 56324), ("192.168.0.11", 443), version=1)
    assert isinstance(info, Event)
    assert rest == b"GET / HTTP/1.1\r\n"


def test_v1_worst_cases() -> None:
    tcp4 = b"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"
    assert read(tcp4)[0] == ProxyInfo(
        ("255.255.255.255", 65535), ("255.255.255.255", 65535), version=1
    )
    ffff = ":".join(["ffff"] * 8).encode()
    tcp6 = b"PROXY TCP6 " + ffff + b" " + ffff + b" 65535 65535\r\n"
    assert len(tcp6) == 104
    full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    assert read(tcp6)[0] == ProxyInfo((full, 65535), (full, 65535), version=1)
    unknown = b"PROXY UNKNOWN " + ffff + b" " + ffff + b" 65535 65535\r\n"
    assert len(unknown) == 107
    assert read(unknown + b"x") == (ProxyInfo(None, None, version=1), b"x")


def test_v1_unknown() -> None:
    assert read(b"PROXY UNKNOWN\r\n") == (ProxyInfo(None, None, version=1), b"")


def test_v1_ipv6_normalised() -> None:
    info, _ = read(b"PROXY TCP6 2001:DB8:0::1 ::1 1 0\r\n")
    assert info == ProxyInfo(("2001:db8::1", 1), ("::1", 0), version=1)


def test_v1_waits_for_the_whole_line() -> None:
    header = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
    buffer = ReceiveBuffer()
    for byte in header[:-1]:
        buffer.feed(bytes([byte]))
        assert read_proxy_header(buffer) is None
    buffer.feed(b"\n")
    assert read_proxy_header(buffer) == ProxyInfo(
        ("192.168.0.1", 56324), ("192.168.0.11", 443), version=1
    )
    assert len(buffer) == 0


def test_empty_buffer() -> None:
    assert read_proxy_header(ReceiveBuffer()) is None


@pytest.mark.parametrize(
    "data",
    [
        b"EHLO example.com\r\n",
        b"PROXZ",
        b"proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
        b"PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n",
        b"PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n",
        b"PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n",
        b"PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY TCP4 ::1 ::1 1 2\r\n",
        b"PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY TCP6 ::1 1.2.3.4 1 2\r\n",
        b"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
        b"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY\r\n",
        b"PROXY \r\n",
        b"PROXY UNKNOWNX\r\n",
        b"PROXY TCP4 \xff.2.3.4 1.2.3.4 1 2\r\n",
        b"PROXY UNKNOWN " + b"x" * 100,
        b"\r\n\r\n\x00\r\nQUIX\n",
        b"\n",
    ],
)
def test_malformed(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        read(data)
    assert info.value.fatal
    assert info.value.kind is ErrorKind.SYNTAX


def test_not_a_proxy_header_is_noticed_at_once() -> None:
    buffer = ReceiveBuffer()
    buffer.feed(b"E")
    with pytest.raises(RemoteProtocolError, match="does not begin"):
        read_proxy_header(buffer)
    buffer = ReceiveBuffer()
    buffer.feed(b"PRX")
    with pytest.raises(RemoteProtocolError, match="does not begin"):
        read_proxy_header(buffer)


# -- version 2 --------------------------------------------------------------------------------

V2_IPV4 = (
    V2_SIGNATURE
    + b"\x21\x11\x00\x0c"  # v2 PROXY, INET STREAM, 12 bytes
    + bytes([192, 0, 2, 1, 198, 51, 100, 7])
    + (56324).to_bytes(2, "big")
    + (25).to_bytes(2, "big")
)


def test_v2_ipv4() -> None:
    info, rest = read(V2_IPV4 + b"EHLO x\r\n")
    assert info == ProxyInfo(("192.0.2.1", 56324), ("198.51.100.7", 25), version=2)
    assert rest == b"EHLO x\r\n"


def test_v2_ipv6_with_tlvs() -> None:
    source = ipaddress.IPv6Address("2001:db8::1")
    destination = ipaddress.IPv6Address("2001:db8::25")
    tlvs = b"\x01\x00\x04smtp" + b"\x02\x00\x0bexample.com" + b"\x04\x00\x00"
    body = source.packed + destination.packed + b"\x01\xbb\x00\x19" + tlvs
    data = V2_SIGNATURE + b"\x21\x21" + len(body).to_bytes(2, "big") + body
    info, rest = read(data)
    assert info == ProxyInfo(
        ("2001:db8::1", 443),
        ("2001:db8::25", 25),
        version=2,
        tlvs=((PP2_TYPE_ALPN, b"smtp"), (PP2_TYPE_AUTHORITY, b"example.com"), (PP2_TYPE_NOOP, b"")),
    )
    assert rest == b""
    assert format_proxy_header(info) == data


def test_v2_local() -> None:
    data = V2_SIGNATURE + b"\x20\x00\x00\x00"
    assert read(data) == (ProxyInfo(None, None, version=2), b"")
    assert format_proxy_header(ProxyInfo(None, None, version=2)) == data
    # LOCAL with addresses: the addresses are ignored
    local_inet = V2_SIGNATURE + b"\x20" + V2_IPV4[13:]
    assert read(local_inet) == (ProxyInfo(None, None, version=2), b"")


def test_v2_unspec_and_unix() -> None:
    assert read(V2_SIGNATURE + b"\x21\x00\x00\x00")[0] == ProxyInfo(None, None, version=2)
    unix = b"/var/run/a".ljust(108, b"\x00") + b"/var/run/b".ljust(108, b"\x00")
    data = V2_SIGNATURE + b"\x21\x31" + len(unix).to_bytes(2, "big") + unix
    assert read(data)[0] == ProxyInfo(None, None, version=2)


def test_v2_one_byte_at_a_time() -> None:
    data = V2_IPV4 + b"\x01\x00\x02h2"
    data = data[:14] + (12 + 5).to_bytes(2, "big") + data[16:]
    info, rest = read_chunked([bytes([b]) for b in data + b"QUIT\r\n"])
    assert info == ProxyInfo(
        ("192.0.2.1", 56324), ("198.51.100.7", 25), version=2, tlvs=((1, b"h2"),)
    )
    assert rest == b"QUIT\r\n"


@pytest.mark.parametrize(
    "data",
    [
        V2_SIGNATURE + b"\x11\x11\x00\x0c" + bytes(12),  # version 1 in a v2 header
        V2_SIGNATURE + b"\x22\x11\x00\x0c" + bytes(12),  # command 2
        V2_SIGNATURE + b"\x21\x41\x00\x0c" + bytes(12),  # family 4
        V2_SIGNATURE + b"\x21\x13\x00\x0c" + bytes(12),  # transport 3
        V2_SIGNATURE + b"\x21\x11\x00\x0b" + bytes(11),  # too short for IPv4
        V2_SIGNATURE + b"\x21\x21\x00\x0c" + bytes(12),  # too short for IPv6
        V2_SIGNATURE + b"\x21\x11\x00\x0e" + bytes(14),  # 2 bytes: truncated TLV
        V2_SIGNATURE + b"\x21\x11\x00\x10" + bytes(12) + b"\x01\x00\x05x",  # TLV overruns
        V2_SIGNATURE[:5] + b"X",
    ],
)
def test_v2_malformed(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        read(data)
    assert info.value.fatal


def test_v2_waits_for_length() -> None:
    buffer = ReceiveBuffer()
    buffer.feed(V2_IPV4[:-1])
    assert read_proxy_header(buffer) is None
    assert len(buffer) == len(V2_IPV4) - 1


def test_crc32c_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_v2_crc32c_written_and_verified() -> None:
    info = ProxyInfo(
        ("192.0.2.1", 56324),
        ("198.51.100.7", 25),
        version=2,
        tlvs=((PP2_TYPE_ALPN, b"smtp"), (PP2_TYPE_CRC32C, bytes(4))),
    )
    data = format_proxy_header(info)
    checksum = data[-4:]
    assert crc32c(data[:-4] + bytes(4)) == int.from_bytes(checksum, "big")
    parsed, _ = read(data)
    assert parsed == ProxyInfo(
        info.source, info.destination, 2, ((PP2_TYPE_ALPN, b"smtp"), (PP2_TYPE_CRC32C, checksum))
    )
    assert format_proxy_header(parsed) == data
    corrupted = data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
    with pytest.raises(RemoteProtocolError, match="CRC32C"):
        read(corrupted)
    with pytest.raises(RemoteProtocolError, match="4 bytes"):
        read(V2_SIGNATURE + b"\x20\x00\x00\x05" + b"\x03\x00\x02ab")
    with pytest.raises(ValueError, match="4 bytes"):
        format_proxy_header(ProxyInfo(None, None, 2, ((PP2_TYPE_CRC32C, b""),)))
    with pytest.raises(ValueError, match="at most one"):
        format_proxy_header(ProxyInfo(None, None, 2, ((3, bytes(4)), (3, bytes(4)))))


# -- format_proxy_header ----------------------------------------------------------------------


def test_format_v1() -> None:
    assert (
        format_proxy_header(ProxyInfo(("192.168.0.1", 56324), ("192.168.0.11", 443), version=1))
        == b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
    )
    assert format_proxy_header(ProxyInfo(None, None, version=1)) == b"PROXY UNKNOWN\r\n"
    assert (
        format_proxy_header(ProxyInfo(("::1", 1), ("::2", 2), 1)) == b"PROXY TCP6 ::1 ::2 1 2\r\n"
    )
    assert format_proxy_header(ProxyInfo(("192.0.2.1", 56324), ("198.51.100.7", 25), 2)) == V2_IPV4


@pytest.mark.parametrize(
    "info",
    [
        ProxyInfo(("1.2.3.4", 1), ("::1", 2), version=1),
        ProxyInfo(("1.2.3.4", 1), ("::1", 2), version=2),
        ProxyInfo(("1.2.3.4", 1), None, version=1),
        ProxyInfo(("host", 1), ("1.2.3.4", 2), version=1),
        ProxyInfo(("1.2.3.4", 70000), ("1.2.3.4", 2), version=2),
        ProxyInfo(None, None, version=1, tlvs=((1, b"x"),)),
        ProxyInfo(None, None, version=2, tlvs=((256, b"x"),)),
        ProxyInfo(None, None, version=2, tlvs=((1, bytes(70000)),)),
        ProxyInfo(None, None, version=3),
    ],
)
def test_format_refuses(info: ProxyInfo) -> None:
    with pytest.raises(ValueError):
        format_proxy_header(info)


# -- properties -------------------------------------------------------------------------------

ports = st.integers(0, 65535)
ipv4 = st.builds(lambda n: str(ipaddress.IPv4Address(n)), st.integers(0, 2**32 - 1))
ipv6 = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(0, 2**128 - 1))
pairs = st.one_of(
    st.tuples(st.tuples(ipv4, ports), st.tuples(ipv4, ports)),
    st.tuples(st.tuples(ipv6, ports), st.tuples(ipv6, ports)),
    st.just((None, None)),
)
tlv_types = st.integers(0, 255).filter(lambda kind: kind != PP2_TYPE_CRC32C)
tlvs = st.lists(st.tuples(tlv_types, st.binary(max_size=40)), max_size=4).map(tuple)
infos = st.one_of(
    st.builds(lambda p: ProxyInfo(p[0], p[1], version=1), pairs),
    st.builds(lambda p, t: ProxyInfo(p[0], p[1], version=2, tlvs=t), pairs, tlvs),
)


@given(infos, st.binary(max_size=20), st.lists(st.integers(0, 400), max_size=6))
def test_round_trip_any_chunking(info: ProxyInfo, after: bytes, cuts: list[int]) -> None:
    data = format_proxy_header(info)
    if info.version == 1:
        assert len(data) <= 107
    assert read_chunked(split(data + after, cuts)) == (info, after)


@settings(max_examples=200)
@given(st.binary(max_size=150))
def test_arbitrary_bytes(data: bytes) -> None:
    buffer = ReceiveBuffer()
    buffer.feed(data)
    try:
        info = read_proxy_header(buffer)
    except RemoteProtocolError as error:
        assert error.fatal
        return
    if info is None:
        assert len(buffer) == len(data)
    else:
        assert len(buffer) < len(data)


@settings(max_examples=200)
@given(
    st.sampled_from([b"PROXY ", b"PROXY TCP4 ", b"PROXY TCP6 ", b"PROXY UNKNOWN", V2_SIGNATURE]),
    st.binary(max_size=60),
)
def test_arbitrary_bytes_after_a_prefix(prefix: bytes, data: bytes) -> None:
    buffer = ReceiveBuffer()
    buffer.feed(prefix + data)
    try:
        read_proxy_header(buffer)
    except RemoteProtocolError as error:
        assert error.fatal


# -- interop: headers written by curl (v1) and HAProxy (v2) -----------------------------------


def _read_header_from(conn: socket.socket) -> tuple[ProxyInfo, ReceiveBuffer]:
    buffer = ReceiveBuffer()
    conn.settimeout(10)
    while True:
        data = conn.recv(4096)
        assert data, "the peer closed before the PROXY header was complete"
        buffer.feed(data)
        info = read_proxy_header(buffer)
        if info is not None:
            return info, buffer


@pytest.mark.interop
@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_curl_v1_header(family: socket.AddressFamily) -> None:
    curl = require_program("curl")
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    try:
        listener = socket.socket(family)
        listener.bind((host, 0))
    except OSError:  # pragma: no cover - a machine without IPv6 loopback
        pytest.skip(f"no {host} loopback here")
    with listener:
        listener.listen()
        listener.settimeout(10)
        port = listener.getsockname()[1]
        url = f"http://{host}:{port}/" if family == socket.AF_INET else f"http://[{host}]:{port}/"
        proc = subprocess.Popen(
            [curl, "--haproxy-protocol", "-s", "-m", "10", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            conn, peer = listener.accept()
            with conn:
                info, buffer = _read_header_from(conn)
                assert info == ProxyInfo((host, peer[1]), (host, port), version=1)
                while len(buffer) < 4:
                    buffer.feed(conn.recv(4096))
                assert buffer.read_some(4) == b"GET "  # the HTTP request follows, untouched
        finally:
            proc.kill()
            proc.wait()


@pytest.mark.interop
def test_haproxy_v2_header_with_crc32c_and_unique_id(tmp_path: Path) -> None:
    haproxy = require_program("haproxy", "/usr/sbin/haproxy")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(10)
        backend_port = listener.getsockname()[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            frontend_port = probe.getsockname()[1]
        config = tmp_path / "haproxy.cfg"
        config.write_text(
            "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n"
            "  timeout server 10s\n"
            f"frontend fe\n  bind 127.0.0.1:{frontend_port}\n  unique-id-format conn-42\n"
            "  default_backend be\n"
            f"backend be\n  server s1 127.0.0.1:{backend_port} send-proxy-v2 "
            "proxy-v2-options crc32c,unique-id\n"
        )
        proc = subprocess.Popen(
            [haproxy, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = None
            for _ in range(200):
                try:
                    client = socket.create_connection(("127.0.0.1", frontend_port), timeout=10)
                    break
                except OSError:
                    time.sleep(0.05)
            assert client is not None, "haproxy did not start listening"
            with client:
                client.sendall(b"EHLO client.example\r\n")
                conn, _ = listener.accept()
                with conn:
                    info, buffer = _read_header_from(conn)
                    assert info.version == 2
                    assert info.source == client.getsockname()
                    assert info.destination == ("127.0.0.1", frontend_port)
                    kinds = [kind for kind, _ in info.tlvs]
                    assert PP2_TYPE_CRC32C in kinds  # and it was verified while reading
                    assert (PP2_TYPE_UNIQUE_ID, b"conn-42") in info.tlvs
                    while len(buffer) < 21:
                        buffer.feed(conn.recv(4096))
                    assert buffer.read_line() == b"EHLO client.example"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
