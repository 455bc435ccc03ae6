"""A bounded, thread-safe memo: remembers the latest `size` values by key, the least recently
used out first. For pure computations whose inputs come back turn after turn (a sentiment
score, the escalation decision's walk over the same turns). Python 3.10 compatible."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedMemo(Generic[Value]):
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a memo needs room for at least one value, not {size}")
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Value) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)
