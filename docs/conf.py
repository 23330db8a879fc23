"""Sphinx configuration for mailproto's documentation (built with ``-W``: warnings fail)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

from mailproto import __version__

project = "mailproto"
author = "The mailproto developers"
copyright = "2026, The mailproto developers"
release = version = __version__

# state_diagrams (docs/_ext) draws the state machines from their transition tables with
# Graphviz's dot, which .ci/run installs.
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "state_diagrams"]
graphviz_output_format = "svg"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"mailproto {release}"
