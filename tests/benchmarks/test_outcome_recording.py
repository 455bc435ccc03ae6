"""The outcome-recording benchmark's second Rasa differs from the stack's only by its port and
the mark turned off; its figures compare the two sides as labelled."""

from __future__ import annotations

from pathlib import Path

from benchmarks.outcome_recording import compared, recording_off_spec
from outcomes import keys
from stack.config import StackConfig
from stack.processes import rasa_spec


def test_the_second_rasa_runs_without_the_mark_on_its_own_port(tmp_path: Path) -> None:
    config = StackConfig.from_env(
        {"RASA_PORT": "5105", "SERVICE_TOKEN": "t" * 32, "CUSTOMER_SIGNING_SECRET": "s" * 32},
        var_dir=tmp_path,
    )
    stock, off = rasa_spec(config), recording_off_spec(config, 5199)

    assert off.name == "rasa-off" and off.health_url == "http://127.0.0.1:5199/"
    assert off.argv == [("5199" if arg == "5105" else arg) for arg in stock.argv]
    assert off.env == stock.env | {keys.RECORDING_SETTING: "0"}
    assert not keys.recording_enabled(off.env) and keys.recording_enabled(stock.env)


def test_differences_are_on_minus_off() -> None:
    figures = compared([10.0, 12.0, 30.0], [9.0, 11.0, 20.0])

    assert figures["difference_p50_ms"] == 1.0
    assert figures["difference_p95_ms"] == 10.0
    assert figures["paired_median_difference_ms"] == 1.0
