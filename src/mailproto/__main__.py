"""The ``mailproto`` command line (also ``python -m mailproto``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the ``mailproto`` command."""
    parser = argparse.ArgumentParser(prog="mailproto", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mailproto {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from .cli import register

    register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mailproto`` command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
