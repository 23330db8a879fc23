"""A faster ``__init__`` for the frozen, slotted dataclasses that events are.

A frozen dataclass's generated ``__init__`` stores every field with
``object.__setattr__(self, name, value)``, which looks the attribute up by name each time; it
is the largest part of what building an event costs, and events are built on every hot path
(each RCPT reply, each RETR, each chunk of a message). Calling the field's slot descriptor
directly stores the same value without the lookup, in about two thirds of the time.

:func:`install_fast_init` swaps the generated ``__init__`` for such a one with the same
signature, defaults and default factories, so an event built either way is the same object.
Classes with anything this does not reproduce (``__post_init__``, ``InitVar``, fields outside
``__init__``, keyword-only fields) keep the dataclass's own ``__init__``, and a class that
writes its own ``__init__`` keeps that.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["install_fast_init"]

_MISSING = dataclasses.MISSING


class _Factory:
    """The default of a field with a default factory, shown as dataclasses shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def install_fast_init(cls: type) -> None:
    """Replace the dataclass-generated ``__init__`` of ``cls`` if it can be done exactly."""
    if not (
        dataclasses.is_dataclass(cls)
        and "__slots__" in cls.__dict__
        and cls.__dataclass_params__.init  # type: ignore[attr-defined]
    ):
        return
    if hasattr(cls, "__post_init__"):
        return
    code = getattr(cls.__init__, "__code__", None)
    names = () if code is None else code.co_freevars + code.co_names
    if "__dataclass_builtins_object__" not in names:
        return  # not the __init__ dataclasses generates for a frozen class: the class's own
    fields = dataclasses.fields(cls)
    if len(fields) != len(cls.__dataclass_fields__):
        return  # an InitVar or ClassVar pseudo-field
    if any(not f.init or f.kw_only for f in fields):
        return
    closure: dict[str, Any] = {"_FACTORY": _FACTORY}
    params = ["self"]
    body = []
    for index, f in enumerate(fields):
        setter = f"_set_{index}"
        # The slot's member descriptor (found on whichever class in the MRO declared it).
        closure[setter] = getattr(cls, f.name).__set__
        value = f.name
        if f.default is not _MISSING:
            closure[f"_default_{index}"] = f.default
            params.append(f"{f.name}=_default_{index}")
        elif f.default_factory is not _MISSING:
            closure[f"_factory_{index}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_factory_{index}() if {f.name} is _FACTORY else {f.name}"
        else:
            params.append(f.name)
        body.append(f"        {setter}(self, {value})")
    names = ", ".join(closure)
    source = (
        f"def _make({names}):\n"
        f"    def __init__({', '.join(params)}):\n" + ("\n".join(body) or "        pass") + "\n"
        "    return __init__\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # generated from the field names, as dataclasses does
    init = namespace["_make"](**closure)
    original = cls.__init__
    init.__qualname__ = original.__qualname__
    init.__module__ = original.__module__
    init.__annotations__ = original.__annotations__
    init.__doc__ = original.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
