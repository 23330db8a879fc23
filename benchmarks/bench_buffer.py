"""The shared receive buffer against a bare ``bytes.find`` over the same data.

``bytes.find`` for the terminator is the floor: no reader can find lines or the end of a block
faster than a C scan of the bytes. The ratio column shows how close the buffer stays to it
(1.0x would be equal; lower is slower) when the data arrives in one piece, in 64 KiB reads, and
one byte at a time. Byte by byte is one Python call per byte, so it cannot come near a C scan;
what it shows is that the cost stays linear: the quick run (0.2 MB) and the full run (10 MB)
give the same rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mailproto._buffer import BLOCK_END, ReceiveBuffer
from mailproto._dotstuff import dot_stuff

from ._harness import Comparison


def _lines(size: int) -> bytes:
    line = b"RCPT TO:<someone.with.a.long.name@example.org> NOTIFY=SUCCESS,FAILURE\r\n"
    return line * (size // len(line))


def _block(size: int) -> bytes:
    body = (b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n") * (
        size // 75
    )
    return dot_stuff(body)


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _read_all_lines(chunks: list[bytes]) -> int:
    buf = ReceiveBuffer(max_buffer_size=1 << 25)
    count = 0
    for chunk in chunks:
        buf.feed(chunk)
        while buf.read_line() is not None:
            count += 1
    return count


def _find_all_lines(data: bytes) -> int:
    count, pos, find = 0, 0, data.find
    while (pos := find(b"\n", pos) + 1) > 0:
        count += 1
    return count


def _read_block(chunks: list[bytes]) -> int:
    buf = ReceiveBuffer(max_buffer_size=1 << 25)
    buf.begin_block()
    size = 0
    for chunk in chunks:
        buf.feed(chunk)
        while (item := buf.read_block()) is not None:
            if item is BLOCK_END:
                return size
            size += len(item)
    raise RuntimeError("block did not end")


def comparisons(corpus: Path | None, quick: bool) -> Iterator[Comparison]:
    big = 1_000_000 if quick else 10_000_000
    # Byte-at-a-time is one Python call per byte; the full run uses the whole 10 MB anyway,
    # and the quick run's smaller input shows the same rate, i.e. the cost stays linear.
    small = 200_000 if quick else big
    lines = _lines(big)
    lines_small = _lines(small)
    block = _block(big)
    block_small = _block(small)
    assert _read_all_lines([lines]) == _find_all_lines(lines)
    for label, data, chunks in (
        (f"lines {len(lines) / 1e6:.3g} MB, one piece", lines, [lines]),
        (f"lines {len(lines) / 1e6:.3g} MB, 64 KiB reads", lines, _chunks(lines, 65536)),
        (
            f"lines {len(lines_small) / 1e6:.3g} MB, 1-byte reads",
            lines_small,
            _chunks(lines_small, 1),
        ),
    ):
        yield Comparison(
            name=f"buffer: {label}",
            ours=lambda chunks=chunks: _read_all_lines(chunks),
            work=len(data),
            peer=lambda data=data: _find_all_lines(data),
            peer_name="bytes.find",
        )
    for label, data, chunks in (
        (f"DATA block {len(block) / 1e6:.3g} MB, one piece", block, [block]),
        (f"DATA block {len(block) / 1e6:.3g} MB, 64 KiB reads", block, _chunks(block, 65536)),
        (
            f"DATA block {len(block_small) / 1e6:.3g} MB, 1-byte reads",
            block_small,
            _chunks(block_small, 1),
        ),
    ):
        yield Comparison(
            name=f"buffer: {label}",
            ours=lambda chunks=chunks: _read_block(chunks),
            work=len(data),
            peer=lambda data=data: data.find(b"\r\n.\r\n"),
            peer_name="bytes.find",
        )
