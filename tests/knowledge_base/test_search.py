"""Searching the sample help centre with the real all-MiniLM-L6-v2 model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from knowledge_base.articles import Article, ArticleQuestion, Section, load_articles
from knowledge_base.index import SearchIndex, passages_for
from knowledge_base.library import KnowledgeBase
from tests.conftest import SAMPLE_ARTICLES

THRESHOLD = 0.5


@pytest.fixture(scope="module")
def index(embedder) -> SearchIndex:  # type: ignore[no-untyped-def]
    articles, _ = load_articles(SAMPLE_ARTICLES)
    return SearchIndex(articles, embedder)


def test_a_customer_question_gets_the_right_article_and_a_short_answer(index: SearchIndex) -> None:
    result = index.search("how many days do i have to send something back?", THRESHOLD)
    assert result.answered
    assert result.best is not None and result.best.article.id == "return-policy"
    assert "30 days" in result.best.answer
    assert len(result.best.answer) <= 602


def test_each_article_appears_once_among_the_closest(index: SearchIndex) -> None:
    result = index.search("my hub light is blinking amber", THRESHOLD, limit=3)
    ids = [match.article.id for match in result.matches]
    assert len(ids) == 3 == len(set(ids))
    assert ids[0] == "hub-offline"
    assert [m.score for m in result.matches] == sorted(
        (m.score for m in result.matches), reverse=True
    )


def test_a_question_the_help_centre_cannot_answer_falls_below_the_threshold(
    index: SearchIndex,
) -> None:
    result = index.search("are you hiring software engineers?", THRESHOLD)
    assert not result.answered
    assert result.matches, "the closest articles are still offered"


def test_draft_articles_are_never_answered_from(index: SearchIndex) -> None:
    assert "holiday-returns-2026" in index.articles
    result = index.search("extended holiday returns until January 31", THRESHOLD, limit=40)
    assert "holiday-returns-2026" not in [match.article.id for match in result.matches]


def test_edits_additions_and_removals_are_picked_up(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "articles"
    folder.mkdir()
    source = (SAMPLE_ARTICLES / "return-policy.md").read_text()
    (folder / "return-policy.md").write_text(source)
    knowledge_base = KnowledgeBase(folder, embedder)
    assert knowledge_base.refresh() is True
    assert knowledge_base.refresh() is False, "nothing changed, nothing rebuilt"

    (folder / "return-policy.md").write_text(source.replace("30 days", "45 days"))
    assert knowledge_base.refresh() is True
    answer = knowledge_base.state.index.search("how long do I have to return an item", THRESHOLD)
    assert answer.best is not None and "45 days" in answer.best.answer

    (folder / "hub-offline.md").write_text((SAMPLE_ARTICLES / "hub-offline.md").read_text())
    knowledge_base.refresh()
    assert set(knowledge_base.state.index.articles) == {"return-policy", "hub-offline"}

    (folder / "return-policy.md").unlink()
    knowledge_base.refresh()
    assert set(knowledge_base.state.index.articles) == {"hub-offline"}
    assert knowledge_base.state.version == 4


def test_a_broken_edit_keeps_the_other_articles_searchable(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "hub-offline.md").write_text((SAMPLE_ARTICLES / "hub-offline.md").read_text())
    (folder / "return-policy.md").write_text("oops, the front matter got deleted")
    knowledge_base = KnowledgeBase(folder, embedder)
    knowledge_base.refresh()
    assert set(knowledge_base.state.index.articles) == {"hub-offline"}
    assert [error.source for error in knowledge_base.state.errors] == ["return-policy.md"]


def test_the_answer_is_the_section_about_what_was_asked(index: SearchIndex) -> None:
    for question, heading in [
        ("my hub light keeps blinking amber", "Why is the Hub light blinking amber?"),
        ("hub light is solid red", "Why is the Hub light solid red?"),
        ("how do I factory reset my hub", "How do I factory reset the Hearthly Hub?"),
    ]:
        result = index.search(question, THRESHOLD)
        assert result.best is not None and result.best.article.id == "hub-offline"
        assert result.best.section.heading == heading, question


def test_a_question_about_one_payment_method_gets_the_list_of_methods(index: SearchIndex) -> None:
    result = index.search("can I pay with paypal?", THRESHOLD)
    assert result.best is not None and result.best.article.id == "payment-methods"
    assert "PayPal" in result.best.answer


# The content team's questions and synonyms (front matter), on a few sample articles stripped
# of their own, so each test shows what one addition changes.
NEIGHBOURS = (
    "hub-offline",
    "damaged-or-wrong-item",
    "warranty-claim",
    "glow-bulbs-not-pairing",
    "pay-in-4-with-klarna",
    "payment-methods",
    "firmware-updates",
)


def _neighbours(**additions: Article) -> list[Article]:
    articles, _ = load_articles(SAMPLE_ARTICLES)
    bare = {
        article.id: dataclasses.replace(article, questions=(), synonyms=())
        for article in articles
        if article.id in NEIGHBOURS
    }
    return list((bare | additions).values())


def _bare(article_id: str) -> Article:
    return next(article for article in _neighbours() if article.id == article_id)


def test_questions_and_synonyms_become_passages() -> None:
    hub = dataclasses.replace(
        _bare("hub-offline"),
        questions=(
            ArticleQuestion("all my devices say offline"),
            ArticleQuestion("it blinks orange", "Why is the Hub light blinking amber?"),
        ),
        synonyms=("bridge",),
    )
    passages = passages_for(hub)
    overview = next(p for p in passages if p.overview and "hub offline" in p.text)
    assert overview.text.endswith("reset hub, bridge")
    whole, section = passages[-2:]
    assert whole.text == "Hearthly Hub is offline. all my devices say offline"
    assert whole.overview and whole.ranks_article
    assert section.text == (
        "Hearthly Hub is offline. Why is the Hub light blinking amber?. it blinks orange"
    )
    assert section.section.heading == "Why is the Hub light blinking amber?"
    assert not section.overview and section.ranks_article


def test_a_question_in_the_front_matter_ranks_its_article_and_answers_with_its_section(
    embedder,  # type: ignore[no-untyped-def]
) -> None:
    query = "the little box by my router went all orange"
    before = SearchIndex(_neighbours(), embedder).search(query, THRESHOLD)
    assert before.best is not None and before.best.article.id != "hub-offline"

    heading = "Why is the Hub light blinking amber?"
    hub = dataclasses.replace(
        _bare("hub-offline"),
        questions=(ArticleQuestion("the box next to my router is flashing orange", heading),),
    )
    after = SearchIndex(_neighbours(**{"hub-offline": hub}), embedder).search(query, THRESHOLD)
    assert after.best is not None and after.best.article.id == "hub-offline"
    assert after.best.section.heading == heading
    assert after.answered


def test_a_synonym_finds_the_article_an_abbreviation_means(embedder) -> None:  # type: ignore[no-untyped-def]
    before = SearchIndex(_neighbours(), embedder).search("bnpl?", THRESHOLD)
    assert before.best is not None and before.best.article.id != "pay-in-4-with-klarna"

    klarna = dataclasses.replace(_bare("pay-in-4-with-klarna"), synonyms=("bnpl",))
    index = SearchIndex(_neighbours(**{"pay-in-4-with-klarna": klarna}), embedder)
    after = index.search("bnpl?", THRESHOLD)
    assert after.best is not None and after.best.article.id == "pay-in-4-with-klarna"


def test_the_model_embeds_with_one_torch_thread(embedder) -> None:  # type: ignore[no-untyped-def]
    """On cores shared with Rasa, torch's default thread count made one question take 0.9 s
    (benchmarks/embedding_threads.py); the service's embedder uses one thread."""
    import torch

    assert torch.get_num_threads() == 1
    assert embedder.embed(["my camera is offline"]).shape == (1, 384)


def test_a_long_section_is_also_searched_in_pieces_of_whole_sentences() -> None:
    sentence = "The hub keeps working on battery for a while after a power cut. "
    long_text = sentence * 10  # 130 words: more than LONG_SECTION_WORDS
    bare = _bare("hub-offline")  # its sections are all shorter than that
    long_section = Section(bare.id, "What happens in a power cut?", long_text)
    hub = dataclasses.replace(bare, sections=(*bare.sections, long_section))
    whole, *pieces = [p for p in passages_for(hub) if p.section == long_section and p.ranks_article]
    assert whole.text.endswith(long_text.strip())
    assert len(pieces) == 3  # 13-word sentences gathered to at least 40 words: 4, 4 and 2
    for piece in pieces:
        assert piece.text.startswith("Hearthly Hub is offline. What happens in a power cut?. ")
        assert piece.text.endswith("power cut.") and not piece.overview
    assert len(passages_for(hub)) == len(passages_for(bare)) + 2 + 3  # + section, heading, pieces


@pytest.mark.parametrize(
    "question", ["how do I reset my camera?", "my camera is frozen, how do I reboot it"]
)
def test_resetting_a_camera_answers_with_the_offline_steps_not_a_return(
    index: SearchIndex, question: str
) -> None:
    result = index.search(question, THRESHOLD)
    assert result.best is not None and result.best.article.id == "camera-offline"
    assert result.best.section.heading == "Why is my Sentinel Cam offline?"  # power cycle: step 5
