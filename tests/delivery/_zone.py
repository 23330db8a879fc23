"""A tiny in-memory zone for driving the planner in tests."""

from __future__ import annotations

from collections.abc import Iterable

from mailproto.delivery import Failure, Query, Record, RType

Answer = list[Record] | Failure


class Zone:
    """Answers queries from a dict; a name with no entry at all is NXDOMAIN."""

    def __init__(self, data: dict[tuple[str, str], Answer | Iterable[Record]]) -> None:
        self.data: dict[tuple[str, str], Answer] = {}
        for key, value in data.items():
            self.data[key] = value if isinstance(value, Failure) else list(value)
        self.asked: list[Query] = []

    def __call__(self, query: Query) -> Answer:
        self.asked.append(query)
        key = (query.name, query.rtype.value)
        if key in self.data:
            return self.data[key]
        if any(name == query.name for name, _ in self.data):
            return Failure.NODATA
        return Failure.NXDOMAIN


def rtypes(*values: str) -> tuple[RType, ...]:
    return tuple(RType(v) for v in values)
