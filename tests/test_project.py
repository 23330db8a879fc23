"""Checks on the project itself: the CI script runs the README's test command, and the sans-I/O
core imports no I/O modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IO_MODULES = {"socket", "ssl", "asyncio", "trio", "threading", "selectors", "socketserver"}
IO_PACKAGES = {"drivers", "devserver", "cli", "demo"}


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)
    matches = [c for c in commands if "pytest" in c]
    assert len(matches) == 1, matches
    return matches[0].strip()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_test_command() in [line.strip() for line in ci]


def test_core_imports_no_io_modules() -> None:
    offenders = []
    for path in sorted((ROOT / "src" / "mailproto").rglob("*.py")):
        relative = path.relative_to(ROOT / "src" / "mailproto")
        if relative.parts[0] in IO_PACKAGES or relative.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{relative}: {n}" for n in names if n.split(".")[0] in IO_MODULES]
    assert offenders == []


def test_version_is_single_sourced() -> None:
    from mailproto import __version__

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)\n```", text, flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.startswith("Connected()\nHello(command='EHLO', domain='client.example.com')\n")
    assert "220 mx.example.org ESMTP ready\r\n250-mx.example.org\r\n" in out
    assert out.endswith("250 2.1.0 OK\r\n\n")
