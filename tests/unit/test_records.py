"""``@record`` behaves as ``@dataclass(frozen=True)``: equality, hash, repr, frozenness, replace, fields."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from drp_tui.domain.records import record


def pair() -> tuple[type, type]:
    """The same class body made both ways."""
    def body() -> dict[str, object]:
        return {"__annotations__": {"a": "int", "b": "str", "tags": "tuple[str, ...]", "note": "str",
                                    "seen": "int", "key": "int"},
                "b": "x", "tags": field(default_factory=tuple), "note": field(default="", compare=False),
                "seen": field(default=0, repr=False), "key": field(default=0, hash=False)}
    old = dataclass(frozen=True)(type("Thing", (), body()))
    new = record(type("Thing", (), body()))
    return old, new


def test_a_record_compares_hashes_and_shows_itself_as_the_frozen_dataclass_does() -> None:
    old, new = pair()
    cases = [dict(a=1), dict(a=1, b="y"), dict(a=1, note="other"), dict(a=1, seen=3), dict(a=1, key=9),
             dict(a=2, tags=("p", "q")), dict(a=float("nan"))]
    for x in cases:
        for y in cases:
            assert (new(**x) == new(**y)) == (old(**x) == old(**y)), (x, y)
            assert (new(**x) != new(**y)) == (old(**x) != old(**y)), (x, y)
        assert hash(new(**x)) == hash(old(**x))
        assert repr(new(**x)) == repr(old(**x))
    nan = float("nan")
    assert new(a=nan) == new(a=nan)  # (the same object in both tuples, as the generated __eq__ finds it)
    assert new(a=1).__eq__(old(a=1)) is NotImplemented  # another class: never equal
    assert new(a=1) != (1, "x")
    assert new.__match_args__ == old.__match_args__
    assert [f.name for f in dataclasses.fields(new)] == [f.name for f in dataclasses.fields(old)]


def test_a_record_is_frozen_and_replace_makes_a_new_one() -> None:
    _, new = pair()
    r = new(a=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.a = 2  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del r.a  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.other = 1  # type: ignore[attr-defined]
    s = dataclasses.replace(r, b="z")
    assert (s.a, s.b, r.b) == (1, "z", "x")  # type: ignore[attr-defined]


@record
class Node:
    name: str
    children: list[Node] = field(default_factory=list)


@record
class Own:
    n: int

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Own)

    def __repr__(self) -> str:
        return "own"


@record
class OwnHash:
    n: int

    def __hash__(self) -> int:
        return 7


def test_recursion_and_the_class_bodys_own_methods() -> None:
    n = Node("top")
    n.children.append(n)
    assert repr(n) == "Node(name='top', children=[...])"
    assert Own(1) == Own(2) and repr(Own(1)) == "own"
    assert hash(Own(1)) == hash((1,))  # the dataclass too adds a field hash when the body wrote only __eq__
    assert hash(OwnHash(1)) == 7 and OwnHash(1) == OwnHash(1) and OwnHash(1) != OwnHash(2)
    with pytest.raises(TypeError):
        hash(Node("a"))  # a list field: unhashable, as with the dataclass


def test_a_record_with_one_field_or_none() -> None:
    @record
    class One:
        x: int

    @record
    class Empty:
        pass

    assert One(1) == One(1) and One(1) != One(2) and hash(One(1)) == hash((1,)) and repr(One(1)).endswith(".One(x=1)")
    assert Empty() == Empty() and hash(Empty()) == hash(()) and repr(Empty()).endswith("Empty()")
