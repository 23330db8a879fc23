"""The driver written in docs/tutorial-trio-adapter.rst runs as printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import trio

from mailproto.connection import ConnectionClosed

from ._lineproto import Command, LineClient, LineServer, Reply, answer

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial-trio-adapter.rst"


def test_tutorial_driver_speaks_starttls(tls: Any) -> None:
    if not TUTORIAL.exists():
        pytest.fail(f"{TUTORIAL} is missing")
    code = "\n".join(
        "\n".join(line[4:] for line in block.splitlines())
        for block in re.findall(
            r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)",
            TUTORIAL.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )
    namespace: dict[str, Any] = {
        "ConnectionClosed": ConnectionClosed,
        "decide": lambda event: answer(event, tls=False),
    }
    exec(compile(code, str(TUTORIAL), "exec"), namespace)
    commands = [Command("ECHO", "before"), Command("STARTTLS"), Command("ECHO", "after")]

    async def main() -> Any:
        with trio.fail_after(20):
            return await namespace["main"](LineServer, LineClient, commands, tls.server, tls.client)

    assert trio.run(main) == [Reply("OK", "before"), Reply("OK", "go ahead"), Reply("OK", "after")]
