"""`make eval-stackfaq`: reading StackFAQ, the ranking measures, the knowledge-base index as the
ranker, and the JSON the command writes; on a tiny hand-made file with a word-count embedder
instead of the model (the full run is measured in BENCHMARKS.md)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from benchmarks import stackfaq
from benchmarks.stackfaq_data import StackFaqError, load_stackfaq
from benchmarks.stackfaq_metrics import Ranked, average_precision, measures
from knowledge_base.index import SearchIndex

TINY = {
    "root": {
        "qapair": [
            {
                "rephr": ["How do I delete my facebook account?", "*", "Remove facebook account"],
                "question": "Deleting a Facebook account",
                "answer": ["Open the facebook settings and choose delete account."],
            },
            {
                "rephr": ["Strikethrough text in github markdown", None],
                "question": "Strikethrough with GitHub Markdown",
                "answer": ["Use ~~tildes~~ around the words.", "Markdown on github: <del>."],
            },
            {
                "rephr": ["Link to a moment in a vimeo video"],
                "question": "Linking to a time in a Vimeo video",
                # a single text instead of a list, as one item of the published file has
                "answer": "Append #t=1m5s to the vimeo video link.",
            },
        ]
    }
}


class WordEmbedder:
    """Bag of words hashed into 64 dimensions: texts sharing words get close vectors."""

    name = "test-words"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                vectors[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 64] += 1
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
        return vectors


def write(tmp_path: Path, data: object, name: str = "faq.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_each_item_is_a_document_and_each_rephrasing_a_query_without_the_placeholder(
    tmp_path: Path,
) -> None:
    faq = load_stackfaq(write(tmp_path, TINY))

    assert [item.id for item in faq.items] == ["faq-000", "faq-001", "faq-002"]
    assert [(query.text, query.relevant) for query in faq.queries] == [
        ("How do I delete my facebook account?", "faq-000"),
        ("Remove facebook account", "faq-000"),
        ("Strikethrough text in github markdown", "faq-001"),
        ("Link to a moment in a vimeo video", "faq-002"),
    ]
    assert (faq.skipped_placeholders, faq.skipped_missing) == (1, 1)
    assert faq.items[2].answers == ("Append #t=1m5s to the vimeo video link.",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "is not JSON"),
        (json.dumps({"questions": []}), '{"root": {"qapair": [...]}}'),
        (
            json.dumps({"root": {"qapair": [{"rephr": ["a"], "answer": ["b"]}]}}),
            "item 0 has no question",
        ),
        (
            json.dumps({"root": {"qapair": [{"rephr": ["a"], "question": "q", "answer": [1]}]}}),
            "item 0: 'answer' must be a list of texts",
        ),
        (
            json.dumps({"root": {"qapair": [{"rephr": ["*"], "question": "q", "answer": ["b"]}]}}),
            "no rephrasings",
        ),
    ],
)
def test_a_bad_file_is_refused_with_a_message_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StackFaqError, match=re.escape(message)):
        load_stackfaq(path)

    assert stackfaq.main([str(path)], model=WordEmbedder()) == 1
    assert message in capsys.readouterr().err


def test_the_measures_of_a_known_ranking_match_the_hand_computed_ones() -> None:
    rankings = [
        Ranked(["a", "b", "c", "d", "e", "f"], frozenset({"a"})),  # rank 1
        Ranked(["b", "c", "a", "d", "e", "f"], frozenset({"a"})),  # rank 3
        Ranked(["b", "c", "d", "e", "f", "a"], frozenset({"a"})),  # rank 6: outside the top 5
        Ranked(["b", "c", "d"], frozenset({"a"})),  # never ranked
    ]
    figures = measures(rankings)

    assert figures["queries"] == 4
    assert figures["p_at_1"] == 0.25  # 1 of 4
    assert figures["p_at_5"] == 0.1  # (1/5 + 1/5 + 0 + 0) / 4
    assert figures["hit_at_5"] == 0.5  # 2 of 4 in the top 5
    assert figures["mrr"] == 0.375  # (1 + 1/3 + 1/6 + 0) / 4
    assert figures["map"] == figures["mrr"]
    assert figures["map_note"] == "one relevant item per query, so MAP equals MRR"


def test_average_precision_counts_every_relevant_item_when_there_are_several() -> None:
    ranked = Ranked(["a", "x", "b"], frozenset({"a", "b"}))

    assert average_precision(ranked) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert "map_note" not in measures([ranked])


def test_answer_only_articles_carry_no_question_text(tmp_path: Path) -> None:
    faq = load_stackfaq(write(tmp_path, TINY))
    answer_only = stackfaq.faq_articles(faq.items, "answer")
    with_question = stackfaq.faq_articles(faq.items, "question+answer")

    index = SearchIndex(answer_only, WordEmbedder())
    assert not any("Deleting" in passage.text for passage in index.passages)
    assert [len(article.sections) for article in answer_only] == [1, 2, 1]
    assert with_question[0].title == "Deleting a Facebook account"


def test_the_index_ranks_every_item_for_every_query(tmp_path: Path) -> None:
    faq = load_stackfaq(write(tmp_path, TINY))
    embedder = WordEmbedder()
    index = SearchIndex(stackfaq.faq_articles(faq.items, "answer"), embedder)

    rankings = stackfaq.rank_with_index(index, faq.queries)

    assert all(sorted(r.ranking) == ["faq-000", "faq-001", "faq-002"] for r in rankings)
    assert [r.ranking[0] for r in rankings] == ["faq-000", "faq-000", "faq-001", "faq-002"]


def test_the_command_writes_the_figures_with_command_date_and_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "stackfaq.json"
    argv = [str(write(tmp_path, TINY)), "--json", str(out), "--cache", str(tmp_path / "cache")]

    assert stackfaq.main(argv, model=WordEmbedder()) == 0

    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["command"].startswith("python -m benchmarks.stackfaq ")
    assert result["date"] and result["machine"] and result["load_average_1min"]
    assert result["data"] == {
        "file": "faq.json",
        "items": 3,
        "queries": 4,
        "skipped_placeholders": 1,
        "skipped_missing": 1,
    }
    assert set(result["results"]) == {"answer", "question+answer", "question (reference)"}
    ours = result["results"]["answer"]["knowledge_base_index"]
    assert ours["queries"] == 4 and ours["p_at_1"] == 1.0 and ours["map"] == ours["mrr"]
    assert "minilm_cosine_alone" in result["results"]["question+answer"]
    assert [row["found"] for row in result["published"]] == [False, False, True]
    printed = capsys.readouterr().out
    assert "MAP equals MRR here" in printed

    # a second run reads every vector back from the cache
    assert stackfaq.main([*argv, "--fields", "answer"], model=WordEmbedder()) == 0
    assert "embedded 0 texts" in capsys.readouterr().out
