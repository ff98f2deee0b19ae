"""A small explicit registry: ``@REG.register("name")``; duplicate names raise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from hsiadapt.hints import unknown_name

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> object registry for one kind of component (adapters, datasets, backbones...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name``.

        Raises:
            ValueError: ``name`` is already registered.
        """

        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        """The object registered as ``name``.

        Raises:
            KeyError: unknown name; the message lists the known names and the closest one.
        """
        if name not in self._items:
            raise KeyError(unknown_name(self.kind, name, self._items))
        return self._items[name]

    def unregister(self, name: str) -> T:
        """Remove ``name`` (for plug-ins and tests that register temporarily)."""
        return self._items.pop(name)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def in_order(self) -> list[str]:
        """Registered names, in the order they were registered."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
