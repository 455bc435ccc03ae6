"""How many Rasa workers the stack starts: one per core and one more unless RASA_WORKERS says,
handed to Rasa as its own SANIC_WORKERS; a bad value stops the start-up with a clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stack.config import StackConfig, StackConfigError, default_rasa_workers
from stack.processes import rasa_env


def test_by_default_one_worker_per_core_and_one_more(tmp_path: Path) -> None:
    config = StackConfig.from_env({}, var_dir=tmp_path)
    assert config.rasa_workers == default_rasa_workers() == min((os.cpu_count() or 1) + 1, 8)
    assert rasa_env(config)["SANIC_WORKERS"] == str(config.rasa_workers)


def test_rasa_workers_sets_rasas_own_setting(tmp_path: Path) -> None:
    config = StackConfig.from_env({"RASA_WORKERS": "1"}, var_dir=tmp_path)
    assert rasa_env(config)["SANIC_WORKERS"] == "1"


@pytest.mark.parametrize("value", ["0", "many", "33"])
def test_a_bad_worker_count_is_refused_with_its_name(tmp_path: Path, value: str) -> None:
    with pytest.raises(StackConfigError, match=f"RASA_WORKERS={value!r}"):
        StackConfig.from_env({"RASA_WORKERS": value}, var_dir=tmp_path)
