"""What every benchmark module shares: the comparison record and the timer.

A benchmark module is ``benchmarks/bench_<area>.py`` with a function
``comparisons(corpus: Path | None, quick: bool) -> Iterable[Comparison]``. Each comparison times
our code and, when there is one, the peer a user would otherwise pick, on the same input in the
same run, and the runner prints both rates and their ratio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Comparison:
    """One line of the results table.

    :param name: what is measured, e.g. ``"buffer: 10 MB block, one piece"``.
    :param ours: does the work once with mailproto.
    :param work: how many units one call of ``ours`` (and ``peer``) processes.
    :param unit: ``"MB"`` (then ``work`` is in bytes) or a count noun such as ``"cmds"``.
    :param peer: does the same work with the peer, or ``None`` if there is no peer.
    :param peer_name: the peer's name for the table.
    :param target: the ratio (ours / peer) the project aims for, for the table only.
    """

    name: str
    ours: Callable[[], object]
    work: float
    unit: str = "MB"
    peer: Callable[[], object] | None = None
    peer_name: str = ""
    target: float | None = None


def seconds_per_call(fn: Callable[[], object], *, min_time: float = 0.3, repeat: int = 3) -> float:
    """Best-of-``repeat`` wall time of one call, each round running for at least ``min_time``."""
    # Warm up for a whole round, not one call: caches, lazy imports, and the allocator, which
    # hands out large buffers through fresh (page-faulting) mappings until it has seen them
    # freed a few times; the first round of a large-message benchmark would measure that.
    start = time.perf_counter()
    fn()
    while time.perf_counter() - start < min_time:
        fn()
    best = float("inf")
    for _ in range(repeat):
        calls = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < min_time or calls == 0:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
        best = min(best, elapsed / calls)
    return best


def rate(work: float, unit: str, seconds: float) -> tuple[float, str]:
    """Units per second, with megabytes scaled from bytes."""
    if unit == "MB":
        return work / seconds / 1e6, "MB/s"
    return work / seconds, f"{unit}/s"
