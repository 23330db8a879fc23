"""The asyncio server of docs/smtp.rst, run as printed, receives mail from smtplib."""

from __future__ import annotations

import asyncio
import re
import smtplib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.interop

DOC = Path(__file__).resolve().parents[2] / "docs" / "smtp.rst"


def _tutorial_code() -> str:
    text = DOC.read_text()
    block = text.split(".. code-block:: python\n\n", 1)[1]
    lines = []
    for line in block.split("\n"):
        if line and not line.startswith("    "):
            break
        lines.append(line[4:])
    return "\n".join(lines)


def test_tutorial_is_at_most_40_lines_and_works() -> None:
    code = _tutorial_code()
    assert len(code.strip().split("\n")) <= 40
    namespace: dict[str, Any] = {"__name__": "tutorial"}
    exec(compile(code, str(DOC), "exec"), namespace)

    def send(port: int) -> tuple[dict[str, Any], int]:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            refused = smtp.sendmail(
                "alice@example.net",
                ["bob@example.org", "eve@elsewhere.example"],
                b"Subject: hi\r\n\r\nHello Bob.\r\n",
            )
            code = smtp.verify("bob")[0]
        return refused, code

    async def main() -> None:
        mailbox = namespace["Mailbox"]()
        server = await namespace["serve"](
            lambda: namespace["SmtpServer"](hostname="mx.example.org"),
            mailbox.handle,
            "127.0.0.1",
            0,
        )
        async with server:
            refused, vrfy = await asyncio.to_thread(send, server.port)
        assert list(refused) == ["eve@elsewhere.example"]
        assert vrfy == 252
        [(envelope, body)] = mailbox.messages
        assert envelope.recipients == ("bob@example.org",)
        assert body == b"Subject: hi\r\n\r\nHello Bob.\r\n"

    asyncio.run(main())
    assert re.search(r"async def main\(port: int = 2525\)", code)
