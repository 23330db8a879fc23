"""Run every ``benchmarks/bench_*.py`` module and print a table of rates and ratios.

Usage::

    python -m benchmarks [--quick] [--only NAME ...] [--corpus PATH]

The corpus defaults to ``$MAILPROTO_CORPUS``; benchmarks that need it fall back to generated data.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from ._harness import Comparison, rate, seconds_per_call


def _modules(only: list[str]) -> list[str]:
    here = Path(__file__).parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    return names


def _format_rate(value: float, unit: str) -> str:
    return f"{value:,.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, shorter timings")
    parser.add_argument("--only", nargs="*", default=[], help="run modules whose name contains")
    parser.add_argument("--corpus", default=os.environ.get("MAILPROTO_CORPUS"))
    args = parser.parse_args()
    corpus = Path(args.corpus) if args.corpus and Path(args.corpus).is_dir() else None
    min_time = 0.1 if args.quick else 0.4
    header = f"{'benchmark':<52} {'mailproto':>16} {'peer':>30} {'ratio':>8} {'target':>7}"
    print(header)
    print("-" * len(header))
    for name in _modules(args.only):
        module = importlib.import_module(f"benchmarks.{name}")
        comparisons: list[Comparison] = list(module.comparisons(corpus, args.quick))
        for comp in comparisons:
            ours_s = seconds_per_call(comp.ours, min_time=min_time)
            ours_rate, unit = rate(comp.work, comp.unit, ours_s)
            peer_text, ratio_text = "-", "-"
            if comp.peer is not None:
                peer_s = seconds_per_call(comp.peer, min_time=min_time)
                peer_rate, _ = rate(comp.work, comp.unit, peer_s)
                peer_text = f"{comp.peer_name}: {_format_rate(peer_rate, unit)}"
                ratio_text = f"{peer_s / ours_s:.1f}x"
            target = f"{comp.target:g}x" if comp.target else ""
            print(
                f"{comp.name:<52} {_format_rate(ours_rate, unit):>16} {peer_text:>30} "
                f"{ratio_text:>8} {target:>7}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
