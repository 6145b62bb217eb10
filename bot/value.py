"""Immutable value classes that cost nothing to define.

`@dataclass(frozen=True, slots=True)` generates its methods with exec() when
the module is imported: ~0.5-1 ms a class, paid by every `intune-bot lookup`.
A class deriving from `Value` lists its fields in `__slots__` and sets them in
a hand-written `__init__` with `object.__setattr__`; it compares, hashes and
prints by those fields, and refuses assignment afterwards, like a frozen dataclass.
"""

from __future__ import annotations


class Value:
    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({inner})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        # Pickled (a summary's part coming back from a worker process) field by field:
        # the default would restore it through __setattr__, which refuses.
        return (_rebuilt, (type(self), self._values()))

    def replace(self, **changes):
        """A copy with some fields changed (dataclasses.replace)."""
        new = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(new, name, changes.get(name, getattr(self, name)))
        return new


def _rebuilt(cls: type, values: tuple) -> Value:
    new = object.__new__(cls)
    for name, value in zip(cls.__slots__, values, strict=True):
        object.__setattr__(new, name, value)
    return new
