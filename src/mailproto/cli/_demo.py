"""``mailproto demo``: play the demo's scenes and print what happened on the wire."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import TextIO

__all__ = ["main", "run_demo"]


async def run_demo(names: list[str], *, quiet: bool, out: TextIO) -> bool:
    """Play the scenes ``names`` in one world; print transcripts and outcomes to ``out``."""
    from ..demo._scenes import SCENES
    from ..demo._world import ZONE_TEXT, World
    from ..devserver import Transcript

    chosen = [scene for scene in SCENES if scene.name in names]
    transcript = Transcript()
    world = World(transcript)
    await world.start()
    ok = True
    try:
        if not quiet:
            out.write("The demo's DNS zone (answered in memory; no real DNS is used):\n")
            for record in ZONE_TEXT.splitlines():
                out.write(f"  {record}\n")
            out.write("\n")
        for number, scene in enumerate(chosen, 1):
            shown = len(transcript.lines)
            started = time.monotonic()
            try:
                outcome = await asyncio.wait_for(scene.run(world), world.timeout * 6)
                good, summary = outcome.ok, outcome.summary
            except Exception as exc:
                good, summary = False, f"{type(exc).__name__}: {exc}"
            ok = ok and good
            elapsed = time.monotonic() - started
            if not quiet:
                out.write(f"=== Scene {number}: {scene.title} [{scene.name}] ===\n")
                out.write(f"{scene.description}\n\n")
                out.write(transcript.render(start=shown))
            mark = "ok  " if good else "FAIL"
            out.write(f"[{mark}] {scene.name}: {summary} ({elapsed:.2f}s)\n")
            if not quiet:
                out.write("\n")
            out.flush()
    finally:
        await world.stop()
    return ok


def main(args: argparse.Namespace) -> int:
    """Run the demo; the exit status is 0 only if every scene ended as it should."""
    from ..demo._scenes import SCENES

    names = [args.scene] if args.scene else [scene.name for scene in SCENES]
    try:
        ok = asyncio.run(run_demo(names, quiet=args.quiet, out=sys.stdout))
    except BrokenPipeError:
        # The reader went away (``mailproto demo | head``): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if not ok:
        print("mailproto demo: some scenes failed", file=sys.stderr)
    return 0 if ok else 1
