"""``@record``: a frozen, slotted dataclass, made without compiling code for each class.

``dataclass(frozen=True, slots=True)`` writes the source of six methods for every class
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) and
compiles each: about a millisecond a class, and every run of the tool makes a few dozen
classes before it does anything. A record is the same dataclass (``dataclasses.fields``,
``replace`` and ``asdict`` take it; msgspec encodes and decodes it), with those methods
shared by every record class: they read the class's fields instead of being written for
them. Equal, hashed, shown and frozen as ``dataclass(frozen=True, slots=True)`` would make
it; only its ``__init__`` is slower, so classes made by the thousand stay plain dataclasses.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_MISSING = dataclasses.MISSING


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """``cls`` as ``@dataclass(frozen=True, slots=True)`` makes it."""
    made: type[T] = dataclasses.dataclass(init=False, repr=False, eq=False, slots=True)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    spec = _Spec(
        names=tuple(f.name for f in fields),
        known=frozenset(f.name for f in fields),
        defaults=tuple(_default_of(f) for f in fields),
        shown=tuple(f.name for f in fields if f.repr),
        compared=tuple(f.name for f in fields if f.compare),
        hashed=tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)),
    )
    made._record_spec = spec  # type: ignore[attr-defined]
    for name, method in _METHODS.items():
        setattr(made, name, method)
    return made


@dataclasses.dataclass(frozen=True)
class _Spec:
    names: tuple[str, ...]
    known: frozenset[str]  # the names, to check keyword arguments against
    defaults: tuple[Callable[[], Any] | None, ...]  # None: the field must be given
    shown: tuple[str, ...]
    compared: tuple[str, ...]
    hashed: tuple[str, ...]


def _default_of(field: dataclasses.Field[Any]) -> Callable[[], Any] | None:
    if field.default is not _MISSING:
        value = field.default
        return lambda: value
    if field.default_factory is not _MISSING:
        return field.default_factory
    return None


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = self._record_spec
    cls = type(self).__name__
    if len(args) > len(spec.names):
        raise TypeError(f"{cls}() takes {len(spec.names)} positional arguments, got {len(args)}")
    unknown = kwargs.keys() - spec.known
    if unknown:
        raise TypeError(f"{cls}() got an unexpected keyword argument {min(unknown)!r}")
    for i, (name, default) in enumerate(zip(spec.names, spec.defaults, strict=True)):
        if i < len(args):
            if name in kwargs:
                raise TypeError(f"{cls}() got multiple values for argument {name!r}")
            value = args[i]
        elif name in kwargs:
            value = kwargs[name]
        elif default is not None:
            value = default()
        else:
            raise TypeError(f"{cls}() missing required argument: {name!r}")
        object.__setattr__(self, name, value)


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_spec.shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = self._record_spec.compared
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in self._record_spec.hashed))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in self._record_spec.names]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self._record_spec.names, state, strict=True):
        object.__setattr__(self, name, value)


_METHODS: dict[str, Callable[..., Any]] = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
}
