from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handoff.detection.frustration import FrustrationScorer, Turn
from handoff.detection.frustration_config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    parse_frustration_config,
)
from handoff.escalation_file import load_frustration_config
from handoff.sentiment import vader_polarity

ASKS_FOR_A_PERSON = [Turn("customer", "Can I talk to a real person?")]


def shipped_document() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def write(document: dict, folder: Path) -> Path:
    path = folder / "escalation.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_a_lower_weight_in_the_yaml_changes_the_outcome(tmp_path: Path) -> None:
    polarity = vader_polarity()
    document = shipped_document()
    document["frustration"]["weights"]["person_request"] = 0.3

    shipped = FrustrationScorer(load_frustration_config(), polarity).assess(ASKS_FOR_A_PERSON)
    changed = FrustrationScorer(
        load_frustration_config(write(document, tmp_path)), polarity
    ).assess(ASKS_FOR_A_PERSON)

    assert shipped.frustrated
    assert not changed.frustrated
    assert [s.weight for s in changed.signals if s.name == "person_request"] == [0.3]


def test_a_higher_threshold_in_the_yaml_changes_the_outcome(tmp_path: Path) -> None:
    document = shipped_document()
    document["frustration"]["threshold"] = 5.0

    scorer = FrustrationScorer(load_frustration_config(write(document, tmp_path)), vader_polarity())

    assert not scorer.assess(ASKS_FOR_A_PERSON).frustrated


def test_every_bad_value_is_reported_at_once() -> None:
    document = shipped_document()
    section = document["frustration"]
    section["weights"]["profanity"] = "high"
    section["weights"]["bot_failure"] = -1
    section["weights"]["politness"] = 0.5
    section["limits"]["history_turns"] = 2.5
    section["limits"]["bot_repeat_min_similarity"] = 3
    section["phrases"]["sarcasm"] = ["yeah,? right", "(unclosed"]
    del section["weights"]["shouting"]

    with pytest.raises(ConfigError) as caught:
        parse_frustration_config(document)

    message = str(caught.value)
    for expected in (
        "frustration.weights.profanity='high' must be a finite number",
        "frustration.weights.bot_failure=-1.0 must be >= 0",
        "frustration.weights.politness is not a known setting",
        "frustration.weights.shouting=None",
        "frustration.limits.history_turns=2.5 must be a whole number",
        "frustration.limits.bot_repeat_min_similarity=3 must be between 0.0 and 1.0",
        "frustration.phrases.sarcasm: phrase '(unclosed' is not a valid pattern",
    ):
        assert expected in message


def test_a_bare_no_among_the_negators_is_explained() -> None:
    document = shipped_document()
    document["frustration"]["phrases"]["negator"] = ["not", False]

    with pytest.raises(ConfigError, match='quote "no"'):
        parse_frustration_config(document)


def test_a_missing_or_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_frustration_config(tmp_path / "missing.yml")
    with pytest.raises(ConfigError, match="frustration must be a mapping"):
        parse_frustration_config({"decision": {}})


def test_an_invalid_file_is_named_with_every_problem_in_it(tmp_path: Path) -> None:
    document = shipped_document()
    document["frustration"]["weights"]["profanity"] = -1
    document["frustration"]["limits"]["history_turns"] = 0
    path = write(document, tmp_path)

    with pytest.raises(ConfigError) as caught:
        load_frustration_config(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: invalid escalation config:\n  - ")
    assert message.count("\n  - ") == 2


def test_a_file_that_is_not_key_value_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yml"
    path.write_text("- frustration\n- decision\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file must be a mapping"):
        load_frustration_config(path)

    path.write_text("frustration: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is not valid YAML"):
        load_frustration_config(path)
