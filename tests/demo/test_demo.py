"""``mailproto demo``: every scene passes, the transcript shows every hop, failures are caught."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys

import pytest

from mailproto.cli import SCENES
from mailproto.cli._demo import run_demo
from mailproto.devserver import MemoryStore


def play(*names: str, quiet: bool = False) -> tuple[bool, str]:
    out = io.StringIO()
    ok = asyncio.run(run_demo(list(names), quiet=quiet, out=out))
    return ok, out.getvalue()


def test_all_scenes_pass_and_the_transcript_shows_every_hop() -> None:
    ok, text = play(*SCENES)
    assert ok, text
    for name in SCENES:
        assert f"[ok  ] {name}: " in text
    expected = [
        # submission with AUTH
        "[ana's mail program -> smtp.a.example [192.0.2.10]:587 (submission)]",
        "  C: AUTH SCRAM-SHA-256 ",
        "  S: 235 2.7.0 Authentication successful",
        # the MX decision, from the planner over the in-memory zone
        "  # MX for b.example: try mx.b.example [192.0.2.20] (preference 10), "
        "backup.b.example [192.0.2.21] (preference 20)",
        # the relay hop and the LMTP hop
        "[smtp.a.example -> mx.b.example [192.0.2.20]]",
        "  C: EHLO smtp.a.example",
        "[mx.b.example -> mail.b.example [192.0.2.22]:24 (LMTP)]",
        "  C: LHLO mx.b.example",
        # the download
        "[bea's mail program -> mail.b.example [192.0.2.22]:110 (POP3)]",
        "  C: APOP bea@b.example ",
        "  C: RETR 1",
        # the backup MX scene
        "  # mx.b.example [192.0.2.20]: connection refused (192.0.2.20 is down); "
        "trying the next host",
        "[smtp.a.example -> backup.b.example [192.0.2.21]]",
        # the bounce
        "  S: 550 5.1.1 <nobody@b.example>: no such user here",
        "  # bounce to <ana@a.example> for nobody@b.example",
        # the refused relay
        "  S: 550 5.7.1 ",
    ]
    for piece in expected:
        assert piece in text, piece
    # The same-domain scene never consults the relay queue.
    same = text.split("[same-domain]")[1].split("=== Scene 3")[0]
    assert "relay queue" not in same
    assert "MX for" not in same


@pytest.mark.parametrize("name", SCENES)
def test_each_scene_alone(name: str) -> None:
    ok, text = play(name, quiet=True)
    assert ok, text
    assert text.count("\n") == 1
    assert text.startswith(f"[ok  ] {name}: ")


def test_a_changed_message_fails_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    deliver = MemoryStore.deliver

    def corrupt(self: MemoryStore, mailbox: str, data: bytes) -> str:
        return deliver(self, mailbox, data.replace(b"Friday", b"Monday"))

    monkeypatch.setattr(MemoryStore, "deliver", corrupt)
    ok, text = play("journey", quiet=True)
    assert not ok
    assert text.startswith("[FAIL] journey: ")


def test_the_command_exits_zero() -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mailproto", "demo", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("[ok  ]") == len(SCENES)
    assert "[FAIL]" not in result.stdout


def test_the_command_line_knows_every_scene() -> None:
    from mailproto.demo._scenes import SCENES as PLAYED

    assert tuple(scene.name for scene in PLAYED) == SCENES
    assert all(scene.description for scene in PLAYED)
