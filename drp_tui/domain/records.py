"""``@record``: a frozen dataclass whose ``==``, ``hash()`` and ``repr()`` are shared, not generated.

``@dataclass(frozen=True)`` compiles six functions for every class (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``): about 1–3 ms and a few KB of code
each, and the desk builds some seventy such classes before its first screen. ``@record`` lets the
dataclass machinery make ``__init__`` and the frozen ``__setattr__``/``__delattr__`` as before, and
gives every record the same three functions for the rest, reading the fields named on the class.
They behave as the generated ones do: equal only to an instance of the very same class with equal
compared fields (``NotImplemented`` otherwise), the hash of the tuple of the hashed fields, and
``Name(field=value, ...)`` with recursion shown as ``...``. A method the class body defines itself
is kept, as the dataclass would keep it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


def _tuple_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes of an object (as the generated methods build it)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda o: (one(o),)
    return lambda o: ()


def _eq(self: Any, other: object) -> Any:
    cls: Any = self.__class__
    key = cls.__record_compared__  # (a plain function or attrgetter: read from the class, never bound)
    if other.__class__ is cls:
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    cls: Any = self.__class__
    return hash(cls.__record_hashed__(self))


@recursive_repr()
def _repr(self: Any) -> str:
    cls: Any = self.__class__
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in cls.__record_shown__)
    return f"{self.__class__.__qualname__}({shown})"


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """A frozen dataclass (as ``@dataclass(frozen=True)``) with shared ``__eq__``/``__hash__``/``__repr__``."""
    own = dict(cls.__dict__)  # what the class body defined, before the dataclass adds anything
    made = dataclasses.dataclass(cls, frozen=True, eq=False, repr=False)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    c: Any = made
    c.__record_compared__ = _tuple_of(tuple(f.name for f in fields if f.compare))
    c.__record_hashed__ = _tuple_of(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    c.__record_shown__ = tuple(f.name for f in fields if f.repr)
    if "__repr__" not in own:
        c.__repr__ = _repr
    if "__eq__" not in own:
        c.__eq__ = _eq
    # as the dataclass does for frozen=True, eq=True: a hash of the fields unless the body wrote one
    # (a body that defines __eq__ alone gets __hash__ = None from Python: that is not its own)
    body_hash = own.get("__hash__", dataclasses.MISSING)
    if body_hash is dataclasses.MISSING or (body_hash is None and "__eq__" in own):
        c.__hash__ = _hash
    return made
