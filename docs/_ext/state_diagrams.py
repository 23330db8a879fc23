"""``.. state-diagram:: module.TABLE``: draw a state machine from its transition table.

The tables are tuples of ``(from state, what happens, to state)`` (for example
:data:`mailproto.smtp.SERVER_TRANSITIONS`); the diagram is made from them when the docs are
built, so it cannot drift from what the tests hold the code to.
"""

from __future__ import annotations

import importlib
from typing import Any

from sphinx.application import Sphinx
from sphinx.ext.graphviz import graphviz
from sphinx.util.docutils import SphinxDirective


def _dot(table: Any) -> str:
    lines = [
        "digraph {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="sans-serif", fontsize=11];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    for source, happening, target in table:
        label = str(happening).replace('"', r"\"")
        lines.append(f'  "{source.name}" -> "{target.name}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines)


class StateDiagram(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[Any]:
        module_name, _, name = self.arguments[0].rpartition(".")
        table = getattr(importlib.import_module(module_name), name)
        node = graphviz()
        node["code"] = _dot(table)
        current = getattr(self.env, "current_document", None)
        docname = current.docname if current is not None else self.env.docname
        node["options"] = {"docname": docname}
        node["alt"] = f"state diagram drawn from {self.arguments[0]}"
        return [node]


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.graphviz")
    app.add_directive("state-diagram", StateDiagram)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
