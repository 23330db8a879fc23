"""The faster ``__init__`` events get must behave exactly like the one dataclasses generates."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from collections.abc import Iterator
from dataclasses import InitVar, dataclass, field

import pytest

import mailproto.pop3
import mailproto.proxy
import mailproto.smtp
from mailproto.connection import Event


def _all_events(cls: type = Event) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        # Only the classes modules export: with slots=True, dataclasses leaves the first
        # version of each class behind until it is collected.
        if getattr(sys.modules[sub.__module__], sub.__name__, None) is sub:
            yield sub
        yield from _all_events(sub)


def _reference(cls: type) -> type:
    """The same fields in a plain frozen dataclass, whose ``__init__`` dataclasses generated."""
    spec = []
    for f in dataclasses.fields(cls):
        kwargs = {}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        spec.append((f.name, f.type, field(**kwargs)))
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True)


def _is_fast(cls: type) -> bool:
    """Whether ``cls`` has the generated fast ``__init__`` (it stores through slot setters)."""
    return "_set_0" in cls.__init__.__code__.co_freevars  # type: ignore[misc]


EVENTS = sorted(
    {c for c in _all_events() if dataclasses.is_dataclass(c)}, key=lambda c: c.__qualname__
)


def test_the_library_has_events_to_check() -> None:
    # The modules above are imported for their events; a broken walk would check nothing.
    names = {c.__name__ for c in EVENTS}
    assert {"RcptTo", "Reply", "MessageData", "RetrieveMessage", "StartTLS"} <= names
    assert mailproto.smtp and mailproto.pop3 and mailproto.proxy


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_event_builds_as_dataclasses_would(cls: type) -> None:
    reference = _reference(cls)
    assert _is_fast(cls) or not dataclasses.fields(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(reference))
    required = [
        object()
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    ours, theirs = cls(*required), reference(*required)
    for f in dataclasses.fields(cls):
        assert getattr(ours, f.name) == getattr(theirs, f.name), f.name
    # Every field can be given by keyword too.
    by_keyword = {f.name: object() for f in dataclasses.fields(cls)}
    built = cls(**by_keyword)
    assert all(getattr(built, name) is value for name, value in by_keyword.items())


def test_fields_stay_frozen_and_factories_run_per_event() -> None:
    @dataclass(frozen=True, slots=True)
    class Sample(Event):
        name: str
        tags: list[str] = field(default_factory=list)
        size: int = 3

    first, second = Sample("a"), Sample("a")
    assert first == second and first.tags == [] and first.tags is not second.tags
    assert Sample("b", ["x"], size=4) == Sample(name="b", tags=["x"], size=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.name = "c"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", [], 1, 2)  # type: ignore[call-arg]
    assert _is_fast(Sample)
    assert Sample.__init__.__qualname__.endswith("Sample.__init__")


def test_classes_it_cannot_reproduce_keep_the_dataclass_init() -> None:
    calls = []

    @dataclass(frozen=True, slots=True)
    class Checked(Event):
        size: int

        def __post_init__(self) -> None:
            calls.append(self.size)

    @dataclass(frozen=True, slots=True)
    class KeywordOnly(Event):
        size: int = field(kw_only=True)

    @dataclass(frozen=True, slots=True)
    class WithInitVar(Event):
        size: int
        scale: InitVar[int] = 1

    @dataclass(frozen=True, slots=True)
    class OwnInit(Event):
        size: int

        def __init__(self, text: str) -> None:
            object.__setattr__(self, "size", len(text))

    assert OwnInit("abc").size == 3
    Checked(5)
    assert calls == [5]
    assert KeywordOnly(size=2).size == 2
    with pytest.raises(TypeError):
        KeywordOnly(2)  # type: ignore[call-arg]
    assert WithInitVar(3, 2).size == 3
    for cls in (Checked, KeywordOnly, WithInitVar, OwnInit):
        assert not _is_fast(cls), cls


def test_replace_copy_and_pickle_still_work() -> None:
    import copy
    import pickle

    from mailproto.smtp import RcptTo

    event = RcptTo("b@example.net", {"NOTIFY": "NEVER"})
    assert dataclasses.replace(event, forward_path="c@example.net") == RcptTo(
        "c@example.net", {"NOTIFY": "NEVER"}
    )
    assert copy.deepcopy(event) == event
    assert pickle.loads(pickle.dumps(event)) == event
