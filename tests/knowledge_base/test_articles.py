"""Article parsing, and the sample help centre the assistant ships with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base.articles import (
    ArticleError,
    ArticleQuestion,
    article_version,
    load_articles,
    parse_article,
)
from tests.conftest import SAMPLE_ARTICLES

GOOD = """---
id: return-policy
title: Our return policy
category: returns-refunds
team: returns
tags: [returns, return window]
status: published
updated: 2026-10-14
---
You can return most things within 30 days.

## How long do I have?
You have 30 days from delivery.

## What condition must it be in?
Complete, with all accessories.
"""


def test_an_article_is_split_into_its_introduction_and_sections() -> None:
    article = parse_article(GOOD, "return-policy.md")
    assert article.title == "Our return policy"
    assert article.published
    assert [section.heading for section in article.sections] == [
        "",
        "How long do I have?",
        "What condition must it be in?",
    ]
    assert article.sections[1].text == "You have 30 days from delivery."


def test_the_version_changes_with_what_a_customer_can_read_and_only_with_that() -> None:
    version = article_version(parse_article(GOOD, "return-policy.md"))
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert version == article_version(parse_article(GOOD, "elsewhere.md"))  # the text, not the file
    for edit in (
        GOOD.replace("30 days from delivery.", "60 days from delivery."),  # a section's text
        GOOD.replace("## How long do I have?", "## How long have I got?"),  # a heading
        GOOD.replace("title: Our return policy", "title: Returns"),
        GOOD.replace("You can return most", "You may return most"),  # the introduction
    ):
        assert article_version(parse_article(edit, "return-policy.md")) != version
    for unseen in (
        GOOD.replace("updated: 2026-10-14", "updated: 2026-11-01"),  # recorded beside it
        GOOD.replace("tags: [returns, return window]", "tags: [returns]"),
        GOOD.replace("team: returns", "team: billing"),
    ):
        assert article_version(parse_article(unseen, "return-policy.md")) == version


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda text: text.replace("status: published", "status: live"), "status 'live'"),
        (lambda text: text.replace("team: returns\n", ""), "missing team"),
        (lambda text: text.replace("id: return-policy", "id: Return Policy"), "lowercase"),
        (lambda text: text.replace("updated: 2026-10-14", "updated: last week"), "YYYY-MM-DD"),
        (lambda text: text.replace("---\n", "", 1), "front matter"),
        (lambda text: text.replace("tags: [returns, return window]", "tags: returns"), "tags"),
    ],
)
def test_a_broken_article_is_rejected_with_a_reason_a_writer_can_act_on(change, problem) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArticleError) as caught:
        parse_article(change(GOOD), "broken.md")
    assert problem in str(caught.value)
    assert caught.value.source == "broken.md"


WITH_QUESTIONS = GOOD.replace(
    "updated: 2026-10-14\n",
    """updated: 2026-10-14
questions:
  - can I send back something I bought last week
  - {question: "is it too late to return it after a month", section: "How long do I have?"}
synonyms: [send back, rma, 30]
""",
)


def test_questions_and_synonyms_are_read_from_the_front_matter() -> None:
    article = parse_article(WITH_QUESTIONS, "return-policy.md")
    assert article.questions == (
        ArticleQuestion("can I send back something I bought last week", ""),
        ArticleQuestion("is it too late to return it after a month", "How long do I have?"),
    )
    assert article.synonyms == ("send back", "rma", "30")
    assert [s.heading for s in article.sections] == [
        s.heading for s in parse_article(GOOD, "x").sections
    ]


def test_questions_and_synonyms_are_optional() -> None:
    article = parse_article(GOOD, "return-policy.md")
    assert article.questions == () and article.synonyms == ()


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ("questions: can I return it?", "questions must be a list"),
        ("questions: ['']", "question 1 is empty"),
        ("questions: [ok, {question: '  '}]", "question 2 is empty"),
        ("questions: [[nested]]", "question 1 must be text"),
        ("questions: [{question: 'when?', section: Refunds}]", "'Refunds' is not a heading"),
        ("questions: [{question: 'when?', heading: x}]", "unknown keys ['heading']"),
        (f"questions: [{'x' * 201}]", "201 characters long, at most 200"),
        ("questions: [" + ", ".join(["q"] * 21) + "]", "21 entries, at most 20"),
        ("synonyms: cam", "synonyms must be a list"),
        ("synonyms: [cam, '']", "synonym 2 is empty"),
        ("synonyms: [{cam: camera}]", "synonym 1 must be text"),
        (f"synonyms: [{'y' * 41}]", "41 characters long, at most 40"),
    ],
)
def test_bad_questions_or_synonyms_are_rejected_with_a_reason(field: str, problem: str) -> None:
    text = GOOD.replace("updated: 2026-10-14\n", f"updated: 2026-10-14\n{field}\n")
    with pytest.raises(ArticleError) as caught:
        parse_article(text, "broken.md")
    assert problem in str(caught.value)
    assert caught.value.source == "broken.md"


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "bad.md").write_text("no front matter here")
    (tmp_path / "copy.md").write_text(GOOD)
    articles, errors = load_articles(tmp_path)
    assert [article.id for article in articles] == ["return-policy"]
    assert sorted(error.source for error in errors) == ["bad.md", "good.md"]  # copy.md came first
    assert any("already used" in error.problem for error in errors)


def test_the_sample_help_centre_is_complete_and_valid() -> None:
    articles, errors = load_articles(SAMPLE_ARTICLES)
    assert errors == []
    published = [article for article in articles if article.published]
    assert len(published) >= 30
    assert len({article.category for article in published}) >= 6
    for article in articles:
        assert Path(SAMPLE_ARTICLES / f"{article.id}.md").exists(), "file name must be the id"
        assert len([s for s in article.sections if s.heading]) >= 3, article.id
        if article.published:
            assert 3 <= len(article.questions) <= 8, f"{article.id}: the content team's questions"
    assert any(not article.published for article in articles), (
        "keep a draft to prove drafts stay hidden"
    )


def _published_text() -> str:
    articles, _ = load_articles(SAMPLE_ARTICLES)
    return "\n".join(s.text for a in articles if a.published for s in a.sections)


def test_the_sample_articles_agree_on_the_return_window_with_the_assistants_policy() -> None:
    from commerce.policy import load_policy  # what the assistant checks before starting a return

    window = str(load_policy().return_window_days)
    text = _published_text()
    windows = set(re.findall(r"(\d+)[- ]day return", text, flags=re.IGNORECASE))
    windows |= set(re.findall(r"return(?:ed)?(?: it| an item)? within (\d+) days of deli", text))
    assert windows == {window}, f"return windows mentioned: {windows}, policy: {window}"


def test_the_sample_articles_agree_on_the_refund_timeline() -> None:
    text = _published_text()
    for claim in re.findall(
        r"refund[^.]{0,80}?within (\d+) business days", text, flags=re.IGNORECASE
    ):
        assert claim == "2"
