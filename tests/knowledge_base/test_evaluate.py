"""The knowledge-base evaluation's figures, on tiny hand-made question sets and made-up search
results (no model), and the shipped question sets' own rules."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
import yaml

from knowledge_base.articles import load_articles
from knowledge_base.confidence import Thresholds
from knowledge_base.eval_figures import Labelled, Retrieved, figures, labelled_from_rows, report
from knowledge_base.evaluate import evaluate_files, load_questions, write_results
from tests.conftest import SAMPLE_ARTICLES

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER_SET = ROOT / "data" / "kb_customer_questions.yml"
THRESHOLD = Thresholds(answer=0.5, tentative=0.4)


def fake_search(answers: dict[str, Retrieved]):  # type: ignore[no-untyped-def]
    return lambda text: answers[text]


def write_set(path: Path, rows: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"questions": rows}))
    return path


def test_a_list_of_expected_articles_counts_any_of_them_at_top_1_and_top_3() -> None:
    question = Labelled("refund for my klarna order?", ("refund-timeline", "pay-in-4-with-klarna"))
    first = Retrieved(("pay-in-4-with-klarna", "payment-methods", "refund-timeline"), 0.7)
    third = Retrieved(("payment-methods", "return-policy", "refund-timeline"), 0.7)
    fourth = Retrieved(("payment-methods", "return-policy", "exchanges", "refund-timeline"), 0.7)

    row = figures([(question, first), (question, third), (question, fourth)], THRESHOLD)

    assert (row["top1_right"], row["top3_right"]) == (1, 2)
    assert row["top1_accuracy"] == round(1 / 3, 4)


def test_right_but_unsure_is_top_1_but_not_answered_and_unanswerable_must_stay_below() -> None:
    right = Labelled("hub offline", ("hub-offline",))
    unanswerable = Labelled("are you hiring", ())
    pairs = [
        (right, Retrieved(("hub-offline",), 0.62)),
        (right, Retrieved(("hub-offline",), 0.41)),  # right article, in the tentative band
        (right, Retrieved(("hub-offline",), 0.35)),  # right article, below both thresholds
        (unanswerable, Retrieved(("contact-a-person",), 0.30)),
        (unanswerable, Retrieved(("contact-a-person",), 0.45)),  # "did you mean": not sure
        (unanswerable, Retrieved(("contact-a-person",), 0.55)),  # would be answered: wrong
    ]

    row = figures(pairs, THRESHOLD)

    assert (row["top1_accuracy"], row["answered_correctly"]) == (1.0, round(1 / 3, 4))
    assert (row["tentative_right"], row["answered_or_tentative_correctly"]) == (1, round(2 / 3, 4))
    assert (row["unanswerable_kept"], row["unanswerable_below_threshold"]) == (2, round(2 / 3, 4))
    assert row["unanswerable_below_tentative"] == round(1 / 3, 4)
    assert report([q for q, _ in pairs], [r for _, r in pairs], THRESHOLD)["misses"] == {
        "all": {"right_but_unsure": 2, "answered_unanswerable": 1}
    }


def test_a_split_set_reports_tuning_and_test_apart_by_kind_and_sweeps_only_the_tuning_part() -> (
    None
):
    questions = [
        Labelled("cam offline", ("camera-offline",), "short", "tuning"),
        Labelled("my sentinal cam is black", ("camera-offline",), "typo", "test"),
        Labelled("tell me a joke", (), "unanswerable", "test"),
    ]
    results = [
        Retrieved(("camera-offline",), 0.8),
        Retrieved(("hub-offline", "camera-offline"), 0.6),
        Retrieved(("contact-a-person",), 0.2),
    ]

    set_report = report(questions, results, THRESHOLD)

    assert set(set_report["parts"]) == {"all", "tuning", "test"}
    assert set_report["parts"]["tuning"]["top1_accuracy"] == 1.0
    test = set_report["parts"]["test"]
    assert (test["top1_accuracy"], test["top3_accuracy"]) == (0.0, 1.0)
    assert test["unanswerable_below_threshold"] == 1.0
    assert set(set_report["by_kind"]["test"]) == {"typo", "unanswerable"}
    assert set_report["by_kind"]["test"]["unanswerable"]["top1_accuracy"] is None
    assert set_report["sweep_on"] == "tuning"
    # the tuning part has no unanswerable question, so the test part's one is not in the sweep
    assert {row["unanswerable_below_threshold"] for row in set_report["sweep"]} == {None}


def test_files_give_the_test_part_as_the_headline_and_the_old_set_under_its_own_name(
    tmp_path: Path,
) -> None:
    new = write_set(
        tmp_path / "customer.yml",
        [
            {
                "text": "plus price?",
                "expected": ["plus-billing", "plus-benefits"],
                "kind": "short",
                "split": "test",
            },
            {"text": "lol", "expected": None, "kind": "unanswerable", "split": "test"},
            {"text": "cancel plus", "expected": "cancel-plus", "kind": "short", "split": "tuning"},
        ],
    )
    old = write_set(
        tmp_path / "old.yml",
        [{"text": "reset my password", "expected": "reset-password"}],
    )
    search = fake_search(
        {
            "plus price?": Retrieved(("plus-benefits", "plus-billing"), 0.7),
            "lol": Retrieved(("contact-a-person",), 0.6),
            "cancel plus": Retrieved(("plus-billing", "cancel-plus"), 0.7),
            "reset my password": Retrieved(("locked-account", "reset-password"), 0.7),
        }
    )

    results, runs = evaluate_files([new, old], search, THRESHOLD)

    headline = results["figures"]
    assert headline["split_set"] == "customer"
    assert (headline["test_top1"], headline["test_top3"], headline["unanswerable_ok"]) == (
        1.0,
        1.0,
        0.0,
    )
    assert (headline["tuning_top1"], headline["tuning_top3"]) == (0.0, 1.0)
    assert headline["old"] == {
        "top1": 0.0,
        "top3": 1.0,
        "answered_correctly": 0.0,
        "answered_or_tentative_correctly": 0.0,
        "unanswerable_ok": None,
        "unanswerable_below_tentative": None,
    }
    assert set(results["sets"]["old"]["parts"]) == {"all"}
    assert [q.text for q in runs["old"][0]] == ["reset my password"]


def test_the_results_file_says_which_command_when_and_where(tmp_path: Path) -> None:
    path = tmp_path / "results" / "kb_eval.json"
    write_results({"figures": {"test_top1": 0.9}}, ["data/a.yml", "--json", str(path)], path)

    written = json.loads(path.read_text())
    assert written["command"].endswith("-m knowledge_base.evaluate data/a.yml --json " + str(path))
    assert written["date"].endswith("+00:00")
    assert "Python" in written["machine"]
    assert written["figures"] == {"test_top1": 0.9}


def test_an_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="split 'dev'"):
        labelled_from_rows([{"text": "hi", "expected": None, "split": "dev"}])


def test_the_customer_set_keeps_its_split_and_names_only_real_articles() -> None:
    questions = load_questions(CUSTOMER_SET)
    articles, errors = load_articles(SAMPLE_ARTICLES)
    assert not errors
    ids = {article.id for article in articles}

    assert len(questions) >= 250
    assert sum(not q.answerable for q in questions) >= 45
    assert len({q.text for q in questions}) == len(questions)
    for question in questions:
        assert set(question.expected) <= ids, question.text
        assert question.kind, question.text
        fixed = "test" if zlib.crc32(question.text.encode()) % 5 < 2 else "tuning"
        assert question.split == fixed, question.text


def test_the_stackfaq_figures_join_the_headline_or_the_command_says_what_is_missing(
    tmp_path: Path,
) -> None:
    from knowledge_base.evaluate import stackfaq_figures

    path = tmp_path / "stackfaq.json"
    path.write_text(
        json.dumps(
            {
                "date": "2026-12-05T13:32:07+00:00",
                "command": "python -m benchmarks.stackfaq x.json --fields both",
                "results": {
                    "answer": {
                        "knowledge_base_index": {
                            "p_at_1": 0.811,
                            "parts": {"tuning": {"p_at_1": 0.8}, "test": {"p_at_1": 0.82}},
                        },
                        "minilm_cosine_alone": {"p_at_1": 0.7886},
                    },
                    "question+answer": {"knowledge_base_index": {"p_at_1": 0.9504}},
                },
            }
        )
    )
    figures = stackfaq_figures(path)
    assert (figures["stackfaq_answer_p1"], figures["stackfaq_question_answer_p1"]) == (
        0.811,
        0.9504,
    )
    assert (figures["stackfaq_answer_p1_tuning"], figures["stackfaq_answer_p1_test"]) == (0.8, 0.82)
    assert figures["stackfaq_run"]["date"] == "2026-12-05T13:32:07+00:00"

    path.write_text(json.dumps({"results": {}}))
    with pytest.raises(SystemExit, match="make eval-stackfaq"):
        stackfaq_figures(path)
