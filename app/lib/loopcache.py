"""Cache an async client per event loop.

asyncpg and redis connections belong to the loop that opened them. The app has one loop, but a
Dramatiq worker runs async actors in its own loop thread; a per-loop cache keeps each loop on its
own pool instead of failing with "attached to a different loop".
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, factory: Callable[[str | None], T]) -> None:
        self._factory = factory
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str | None, T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, key: str | None = None) -> T:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        cache = self._by_loop.setdefault(loop, {})
        if key not in cache:
            cache[key] = self._factory(key)
        return cache[key]

    def items_for_current_loop(self) -> list[T]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return []
        return list(self._by_loop.get(loop, {}).values())
