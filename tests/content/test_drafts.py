"""The pure side of drafts (content/drafts.py): publishing a file's text, writing it whole, and
comparing what the assistant answers without and with a draft."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from content.drafts import (
    AlreadyPublished,
    article_file,
    compare_replay,
    create_exclusively,
    drafts_in,
    published_text,
    replay_questions,
    write_atomically,
)
from knowledge_base.articles import ArticleError, parse_article
from knowledge_base.confidence import Thresholds
from knowledge_base.eval_figures import Labelled
from knowledge_base.index import Match, SearchResult

DRAFT = """---
id: gift-wrapping
title: Gift wrapping and gift messages
category: orders-delivery
team: shipping
tags: [gift wrap]   # what customers say
status: draft
updated: 2026-01-02
---
## Can you gift wrap my order?
Yes: tick "Gift wrap" at checkout.
"""
TODAY = dt.date(2026, 3, 10)


def test_publishing_flips_status_and_updated_and_keeps_every_other_line() -> None:
    text = published_text(DRAFT, "gift-wrapping.md", TODAY)
    assert "status: published\n" in text and "updated: 2026-03-10\n" in text
    assert "tags: [gift wrap]   # what customers say\n" in text
    assert text.split("---\n", 2)[2] == DRAFT.split("---\n", 2)[2]
    article = parse_article(text, "gift-wrapping.md")
    assert (article.status, article.updated) == ("published", TODAY)


def test_broken_front_matter_and_published_articles_are_refused_with_the_reason() -> None:
    with pytest.raises(ArticleError, match="updated 'soon' must be a date"):
        published_text(DRAFT.replace("2026-01-02", "soon"), "gift-wrapping.md", TODAY)
    with pytest.raises(ArticleError, match="not valid YAML"):
        published_text(DRAFT.replace("tags: [gift wrap]", "tags: [gift wrap"), "g.md", TODAY)
    published = published_text(DRAFT, "gift-wrapping.md", TODAY)
    with pytest.raises(AlreadyPublished):
        published_text(published, "gift-wrapping.md", TODAY)


def test_files_are_written_whole_and_found_by_id(tmp_path: Path) -> None:
    path = tmp_path / "gift-wrapping.md"
    write_atomically(path, DRAFT)
    write_atomically(path, published_text(DRAFT, path.name, TODAY))
    assert [p.name for p in tmp_path.iterdir()] == ["gift-wrapping.md"]  # no temporary file left
    assert not create_exclusively(path, DRAFT)  # taken: never overwritten
    assert "status: published" in path.read_text()
    other = tmp_path / "wrapping.md"
    assert create_exclusively(other, DRAFT.replace("gift-wrapping", "wrap-it"))
    assert article_file(tmp_path, "wrap-it") == other
    assert article_file(tmp_path, "gift-wrapping") == path
    assert article_file(tmp_path, "nothing") is None
    drafts, problems = drafts_in(tmp_path)
    assert [draft.id for draft in drafts] == ["wrap-it"] and problems == []


def test_the_replay_tells_new_answers_changed_answers_and_regressions() -> None:
    draft = parse_article(DRAFT, "gift-wrapping.md")
    other = parse_article(
        DRAFT.replace("id: gift-wrapping", "id: track-your-order"), "track-your-order.md"
    )

    def search(answers: dict[str, tuple[str, float]]):  # type: ignore[no-untyped-def]
        articles = {draft.id: draft, other.id: other}

        def run(text: str) -> SearchResult:
            if text not in answers:
                return SearchResult(text, 0.56, ())
            article_id, score = answers[text]
            article = articles[article_id]
            return SearchResult(text, 0.56, (Match(article, article.sections[0], score),))

        return run

    labelled = [Labelled("where is my parcel", ("track-your-order",))]
    questions = replay_questions(labelled, ["can you gift wrap it"], ["Can you GIFT wrap it?"])
    assert [q.source for q in questions] == ["kb_questions", "unanswered"]  # same question once
    before = {"where is my parcel": ("track-your-order", 0.8)}
    after = before | {"can you gift wrap it": ("gift-wrapping", 0.7)}
    outcome = compare_replay(
        "gift-wrapping", questions, labelled, (search(before), search(after)), Thresholds()
    )
    assert [q["question"] for q in outcome["now_answered"]] == ["can you gift wrap it"]
    assert outcome["changed"] == [] and outcome["regression"] is False
    assert outcome["accuracy"]["before"]["top1_accuracy"] == 1.0

    taken = after | {"where is my parcel": ("gift-wrapping", 0.9)}
    outcome = compare_replay(
        "gift-wrapping", questions, labelled, (search(before), search(taken)), Thresholds()
    )
    assert [q["question"] for q in outcome["changed"]] == ["where is my parcel"]
    assert outcome["changed"][0]["after"]["article_id"] == "gift-wrapping"
    assert outcome["accuracy"]["after"]["top1_accuracy"] == 0.0
    assert outcome["regression"] is True
