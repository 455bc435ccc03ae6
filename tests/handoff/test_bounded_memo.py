"""The bounded memo keeps the most recently used values and forgets the rest."""

from __future__ import annotations

import pytest

from handoff.bounded_memo import BoundedMemo


def test_the_least_recently_used_value_goes_first() -> None:
    memo: BoundedMemo[str] = BoundedMemo(2)
    memo.put("a", "first")
    memo.put("b", "second")
    assert memo.get("a") == "first"  # "a" is now the most recently used
    memo.put("c", "third")

    assert (memo.get("a"), memo.get("b"), memo.get("c")) == ("first", None, "third")
    assert len(memo) == 2


def test_putting_a_known_key_again_replaces_its_value_without_growing() -> None:
    memo: BoundedMemo[int] = BoundedMemo(2)
    memo.put(("turn", 1), 1)
    memo.put(("turn", 1), 2)
    assert (memo.get(("turn", 1)), len(memo)) == (2, 1)


def test_a_memo_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BoundedMemo(0)
