"""The pure part of the CLINC150 out-of-scope evaluation: data conversion, the detector's rule,
metrics and the threshold choice on validation data."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from benchmarks.clinc150_linear import Vectors, linear_probe
from benchmarks.clinc150_oos import (
    ROOT,
    component_sources,
    coverage_scores,
    eval_config,
    nearest,
    prepare,
    shipped_thresholds,
)
from benchmarks.clinc150_results import HEADLINE, Shipped, ablations, rasa_agreement, scored_splits
from benchmarks.oos_detection import (
    COVERAGE_OFF,
    DatasetError,
    Detector,
    Scored,
    accepted_oos_as,
    choose_thresholds,
    confusions,
    evaluate,
    parse_clinc150,
    rasa_nlu_yaml,
    rejection_reasons,
    wilson_interval,
)


def clinc(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "train": [["what's my balance", "balance"], ["set a timer for (x) minutes", "timer"]],
        "val": [["how much money do i have", "balance"]],
        "test": [["start a 5 minute timer", "timer"]],
        "oos_train": [["how much is an overdraft fee for bank", "oos"]],
        "oos_val": [["who won the game", "oos"]],
        "oos_test": [["how much has the dow changed today", "oos"]],
    }
    data.update(overrides)
    return data


def test_clinc150_splits_are_read_and_checked() -> None:
    splits = parse_clinc150(clinc(train=[["  padded text ", "balance"]]))

    assert splits["train"] == [("padded text", "balance")]
    assert splits["oos_test"] == [("how much has the dow changed today", "oos")]
    with pytest.raises(DatasetError, match="oos_val"):
        parse_clinc150(clinc(oos_val=[]))
    with pytest.raises(DatasetError, match="unexpected label"):
        parse_clinc150(clinc(test=[["out of scope in the wrong split", "oos"]]))
    with pytest.raises(DatasetError, match="expected"):
        parse_clinc150(clinc(val=[["only a text"]]))


def test_rasa_training_data_groups_by_intent_and_oos_becomes_out_of_scope() -> None:
    splits = parse_clinc150(clinc())
    text = rasa_nlu_yaml(splits["train"] + splits["oos_train"])
    data = yaml.safe_load(text)

    blocks = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert data["version"] == "3.1"
    assert sorted(blocks) == ["balance", "out_of_scope", "timer"]
    # a literal block: brackets, quotes and parentheses reach Rasa unchanged
    assert blocks["timer"] == "- set a timer for (x) minutes\n"
    assert blocks["balance"] == "- what's my balance\n"
    assert blocks["out_of_scope"] == "- how much is an overdraft fee for bank\n"


def test_text_that_rasa_would_read_as_an_entity_is_refused() -> None:
    with pytest.raises(DatasetError, match="entity"):
        rasa_nlu_yaml([("transfer [100](amount) dollars", "transfer")])
    # square brackets alone are plain text (CLINC150 has "a travel alert for [country]")
    assert "[country]" in rasa_nlu_yaml([("is there a travel alert for [country]", "travel")])


def scored(rows: list[tuple[str, str, float, float, float]]) -> Scored:
    """rows: (gold, predicted, confidence, second confidence, coverage)"""
    return Scored.build(
        [gold for gold, *_ in rows],
        [[(predicted, top), ("other", second)] for _, predicted, top, second, _ in rows],
        [coverage for *_, coverage in rows],
    )


EXAMPLE = scored(
    [
        ("balance", "balance", 0.90, 0.05, 0.80),  # right, confident, covered
        ("timer", "timer", 0.35, 0.30, 0.70),  # right but unsure and ambiguous
        ("timer", "alarm", 0.80, 0.10, 0.75),  # confidently wrong
        ("balance", "balance", 0.85, 0.10, 0.40),  # right, confident, poorly covered
        ("oos", "out_of_scope", 0.70, 0.20, 0.45),  # the classifier knows
        ("oos", "balance", 0.30, 0.25, 0.60),  # unsure
        ("oos", "timer", 0.95, 0.01, 0.30),  # confident but far from every example
        ("oos", "alarm", 0.90, 0.05, 0.85),  # looks in scope to every signal
    ]
)


def test_in_scope_accuracy_needs_the_right_intent_and_no_rejection() -> None:
    m = evaluate(EXAMPLE, Detector(use_intent=True))  # the classifier alone

    assert m.in_scope == 4 and m.out_of_scope == 4
    assert m.in_scope_accuracy == pytest.approx(3 / 4)  # the alarm/timer confusion is wrong
    assert m.oos_recall == pytest.approx(1 / 4)  # only the predicted out_of_scope
    assert m.oos_precision == pytest.approx(1.0)


def test_each_signal_rejects_on_its_own_and_they_combine_with_or() -> None:
    confidence = evaluate(EXAMPLE, Detector(True, confidence_threshold=0.4))
    ambiguity = evaluate(EXAMPLE, Detector(True, ambiguity_threshold=0.1))
    coverage = evaluate(EXAMPLE, Detector(True, coverage_threshold=0.5))
    combined = evaluate(EXAMPLE, Detector(True, 0.4, 0.0, 0.5))

    assert (confidence.in_scope_accuracy, confidence.oos_recall) == (0.5, 0.5)
    assert (ambiguity.in_scope_accuracy, ambiguity.oos_recall) == (0.5, 0.5)  # 0.05 margins
    assert (coverage.in_scope_accuracy, coverage.oos_recall) == (0.5, 0.5)
    assert (combined.in_scope_accuracy, combined.oos_recall) == (0.25, 0.75)
    assert combined.in_scope_rejected == pytest.approx(0.5)
    without_intent = evaluate(EXAMPLE, Detector(use_intent=False))
    assert without_intent.oos_recall == 0.0


def test_thresholds_maximise_accuracy_among_points_reaching_the_recall_target() -> None:
    choice = choose_thresholds(EXAMPLE, Detector(True), target_recall=0.5)

    # t1 just above 0.30 catches the unsure query, t2 just above 0.30 the far one, and no
    # in-scope query is lost: more recall than the target at the same accuracy wins
    assert choice.reached_target
    assert choice.val.in_scope_accuracy == 0.75 and choice.val.oos_recall == 0.75
    assert choice.detector.confidence_threshold == 0.31  # the lowest thresholds win ties
    assert choice.detector.coverage_threshold == 0.31


def test_an_unreachable_target_falls_back_to_the_highest_recall() -> None:
    choice = choose_thresholds(
        EXAMPLE, Detector(True), target_recall=1.0, confidence_grid=[0.0, 0.4], coverage_grid=None
    )

    assert not choice.reached_target
    assert choice.detector == Detector(True, 0.4, 0.0, COVERAGE_OFF)
    assert choice.val.oos_recall == 0.5


def test_a_grid_of_none_keeps_the_shipped_value() -> None:
    shipped = Detector(True, confidence_threshold=0.4, ambiguity_threshold=0.1)
    choice = choose_thresholds(EXAMPLE, shipped, 0.7, confidence_grid=None)

    assert choice.detector.confidence_threshold == 0.4
    assert choice.detector.ambiguity_threshold == 0.1


def test_error_analysis_explains_every_in_scope_failure() -> None:
    detector = Detector(True, 0.4, 0.0, 0.5)

    assert rejection_reasons(EXAMPLE, detector) == {
        "confidence below t1": 1,
        "accepted, wrong intent": 1,
        "coverage below t2": 1,
    }
    assert confusions(EXAMPLE) == [("timer", "alarm", 1)]
    assert accepted_oos_as(EXAMPLE, detector) == [("alarm", 1)]


def test_wilson_interval_brackets_the_proportion() -> None:
    low, high = wilson_interval(700, 1000)

    assert low < 0.70 < high
    assert high - low == pytest.approx(0.057, abs=0.002)
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_coverage_is_the_similarity_to_the_closest_training_example() -> None:
    train = np.array([[1.0, 0.0], [0.0, 1.0]])
    queries = np.array([[0.6, 0.8], [-1.0, 0.0]])

    assert coverage_scores(train, queries).tolist() == pytest.approx([0.8, 0.0])
    assert nearest(train, queries)[1].tolist() == [1, 1]  # the second example is closest to both


def test_the_evaluated_config_is_the_shipped_one_unless_a_quick_run_says_otherwise() -> None:
    shipped = {
        "pipeline": [
            {"name": "DIETClassifier", "epochs": 100},
            {"name": "FallbackClassifier", "threshold": 0.4, "ambiguity_threshold": 0.1},
        ]
    }

    same, overrides = eval_config(shipped, None)
    assert same == shipped and overrides == {}
    quick, overrides = eval_config(shipped, 5)
    assert quick["pipeline"][0]["epochs"] == 5 and shipped["pipeline"][0]["epochs"] == 100
    assert overrides == {"DIETClassifier.epochs": {"shipped": 100, "used": 5}}
    assert shipped_thresholds(shipped) == Shipped(0.4, 0.1, None)
    coverage = {"name": "rasa_extensions.coverage_fallback.CoverageFallbackClassifier"}
    shipped["pipeline"].append({**coverage, "threshold": 0.45})
    assert shipped_thresholds(shipped) == Shipped(0.4, 0.1, 0.45)
    # the component's source is part of the model's key: editing it retrains
    source = (ROOT / "rasa_extensions" / "coverage_fallback.py").read_text()
    assert component_sources(shipped) == [source]


def test_the_report_has_the_as_shipped_row_only_when_the_pipeline_has_coverage() -> None:
    without = [a.label for a in ablations(Shipped(0.4, 0.1, None), with_oos=True)]
    with_component = ablations(Shipped(0.4, 0.1, 0.45), with_oos=True)

    assert HEADLINE in without and not any(label.startswith("as shipped") for label in without)
    as_shipped = next(a for a in with_component if a.label.startswith("as shipped"))
    assert as_shipped.base == Detector(True, 0.4, 0.1, 0.45)
    assert not as_shipped.tune_t1 and not as_shipped.tune_t2
    assert as_shipped.coverage_over_all_examples  # as the component computes it


def test_predictions_are_split_back_into_val_and_test_and_checked_against_rasa() -> None:
    splits = parse_clinc150(clinc())
    predictions = [
        {"rasa_intent": "balance", "ranking": [["balance", 0.9], ["timer", 0.05]], "coverage": 0.8},
        {"rasa_intent": "nlu_fallback", "ranking": [["timer", 0.3], ["balance", 0.2]]},
        {"rasa_intent": "timer", "ranking": [["timer", 0.7], ["balance", 0.1]]},
        {"rasa_intent": "nlu_fallback", "ranking": [["balance", 0.5], ["timer", 0.45]]},
    ]
    for prediction in predictions:
        prediction.setdefault("coverage", 0.5)
    data = scored_splits(splits, predictions, np.array([0.8, 0.5, 0.5, 0.5]))

    assert data["val"].labels.tolist() == ["balance", "oos"]
    assert data["test"].predicted.tolist() == ["timer", "balance"]
    check = rasa_agreement(predictions, data, Shipped(0.4, 0.1, None))
    assert check == {"nlu_fallback_agreement": 1.0, "coverage_max_difference": 0.0}
    # with a coverage threshold of 0.6 our rule also rejects the covered-at-0.5 timer query
    assert (
        rasa_agreement(predictions, data, Shipped(0.4, 0.1, 0.6))["nlu_fallback_agreement"] == 0.75
    )
    with pytest.raises(ValueError, match="5 predictions for 4 queries"):
        scored_splits(splits, [*predictions, predictions[0]], np.zeros(5))


def test_the_linear_probe_learns_intents_from_vectors_and_rejects_what_is_far_away() -> None:
    """Two intents in two directions; the out-of-scope queries point elsewhere, so the coverage
    threshold chosen on val rejects them on test, and every in-scope query keeps its intent."""
    axes = np.eye(3)
    splits = parse_clinc150(
        clinc(
            train=[["balance a", "balance"], ["balance b", "balance"]]
            + [["timer a", "timer"], ["timer b", "timer"]],
        )
    )
    train = np.array([axes[0], axes[0], axes[1], axes[1]])
    queries = np.array([axes[0], axes[2], axes[1], axes[2]])  # val, oos_val, test, oos_test
    vectors = Vectors(
        train=train,
        oos_train=np.array([axes[2]]),
        queries=queries,
        coverage=coverage_scores(train, queries),
        query_texts=("balance c", "who won", "timer c", "dow today"),
    )

    rows = linear_probe(splits, vectors)

    assert {(row["features"], row["model"]) for row in rows} == {
        (features, model)
        for features in ("sentence vectors", "sentence vectors + n-grams")
        for model in ("with oos_train", "without oos_train")
    }
    for row in rows:
        if row["model"] == "without oos_train":
            assert row["argmax_test_in_scope_accuracy"] == 1.0
            assert (row["test"]["in_scope_accuracy"], row["test"]["oos_recall"]) == (1.0, 1.0)


def test_the_linear_probe_refuses_vectors_that_do_not_match_the_queries() -> None:
    splits = parse_clinc150(clinc())
    vectors = Vectors(
        train=np.eye(2),
        oos_train=np.eye(2)[:1],
        queries=np.eye(2)[:1],
        coverage=np.ones(1),
        query_texts=("one",),
    )

    with pytest.raises(ValueError, match="query vectors"):
        linear_probe(splits, vectors)


def test_a_with_oos_only_job_has_just_the_headline_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    splits = parse_clinc150(clinc())

    _, both = prepare(splits, "recipe: default.v1\n", [], tmp_path)
    _, one = prepare(splits, "recipe: default.v1\n", [], tmp_path, ("with_oos_train",))

    assert [variant["name"] for variant in both] == ["with_oos_train", "without_oos_train"]
    assert [variant["name"] for variant in one] == ["with_oos_train"]
    assert one[0]["model"] == both[0]["model"]  # the same key: a model trained once is reused


def test_each_clinc150_variant_reports_to_its_own_folder() -> None:
    from benchmarks.clinc150_oos import DEFAULT_OUT, parse_args

    assert parse_args(["x/data_full.json"]).out == DEFAULT_OUT
    assert parse_args(["x/data_small.json"]).out.name == "clinc150-small"
    assert parse_args(["x/data_imbalanced.json"]).out.name == "clinc150-imbalanced"
    assert parse_args(["x/data_small.json", "--out", "elsewhere"]).out.name == "elsewhere"
