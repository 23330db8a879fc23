"""``mailproto serve``: run the development mail server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

__all__ = ["main"]


def main(args: argparse.Namespace) -> int:
    """Run the server described by ``args``; return the exit status."""
    from ..devserver import DevServer, ServerConfig

    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    config = ServerConfig(
        host=args.host,
        smtp_port=args.smtp_port,
        pop3_port=args.pop3_port,
        hostname=args.hostname,
        maildir=args.maildir,
        users=args.user,
        domains=args.domain,
        relay=args.relay,
        smarthost=args.smarthost,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        max_message_size=args.max_size,
    )
    try:
        server = DevServer(config)
    except (ValueError, OSError) as exc:
        print(f"mailproto serve: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        await server.start()
        store = f"Maildir {config.maildir}" if config.maildir else "memory"
        mode = f"domains {', '.join(config.domains)}" if config.domains else "catching all mail"
        print(f"SMTP listening on {config.host}:{server.smtp_port}", flush=True)
        if server.pop3_port is not None:
            print(f"POP3 listening on {config.host}:{server.pop3_port}", flush=True)
        print(f"storing in {store}; {mode}; Ctrl-C stops", flush=True)
        print(
            f"try: mailproto send --server {config.host}:{server.smtp_port} "
            "--from me@example.com --to you@example.com --body hello",
            flush=True,
        )
        await server.serve_until_signalled()

    try:
        asyncio.run(run())
    except OSError as exc:
        print(f"mailproto serve: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # where signal handlers cannot be installed (Windows)
        return 0
    return 0
