"""Follow-up questions read with the previous answer's topic (knowledge_base/follow_up.py)."""

from __future__ import annotations

import pytest

from knowledge_base.articles import load_articles
from knowledge_base.follow_up import context_query, leans_on_context, search_in_context
from knowledge_base.index import SearchIndex
from knowledge_base.products import load_products
from tests.conftest import SAMPLE_ARTICLES

THRESHOLD = 0.5
PRODUCTS = load_products()  # the sample shop's knowledge_base/products.yml


@pytest.fixture(scope="module")
def index(embedder) -> SearchIndex:  # type: ignore[no-untyped-def]
    articles, _ = load_articles(SAMPLE_ARTICLES)
    return SearchIndex(articles, embedder)


@pytest.mark.parametrize(
    "question",
    [
        "how much does it cost?",
        "and for members?",
        "what about the doorbell?",
        "How about Canada?",
        "can I cancel it?",
        "how much?",
        "is that free?",
    ],
)
def test_questions_that_lean_on_the_previous_answer(question: str) -> None:
    assert leans_on_context(question, PRODUCTS)


@pytest.mark.parametrize(
    "question",
    [
        "how do I reset my password?",
        "where is my order?",
        "my camera is offline, how do I fix it?",  # names its own product
        "is there a free trial?",
        "thanks",
        "ok great",
        "",
        "I ordered a thermostat last week and it still has not arrived, what can I do about it?",
    ],
)
def test_questions_that_stand_alone(question: str) -> None:
    assert not leans_on_context(question, PRODUCTS)


def test_products_are_found_by_the_words_customers_use() -> None:
    assert PRODUCTS.named_in("my cam keeps dropping") == "Sentinel Cam"
    assert PRODUCTS.named_in("What's included in Hearthly Plus") == "Hearthly Plus"
    assert (
        PRODUCTS.named_in("the doorbell and the camera") == "Sentinel Doorbell"
    )  # the first named
    assert PRODUCTS.named_in("Delivery options, costs and times") is None


def test_a_pronoun_becomes_the_previous_product(index: SearchIndex) -> None:
    rewritten = context_query("how much does it cost?", index.articles["plus-benefits"], PRODUCTS)
    assert rewritten is not None
    assert rewritten.text == "how much does Hearthly Plus cost?"
    assert rewritten.faithful and rewritten.excluded_article_id is None


def test_another_product_swaps_into_the_previous_title(index: SearchIndex) -> None:
    rewritten = context_query(
        "what about the doorbell?", index.articles["camera-offline"], PRODUCTS
    )
    assert rewritten is not None
    assert rewritten.text.startswith("Sentinel Doorbell is offline or shows no video.")
    assert rewritten.excluded_article_id == "camera-offline"


def test_without_a_product_the_title_goes_first_but_does_not_overrule(index: SearchIndex) -> None:
    article = index.articles["shipping-options-and-costs"]
    rewritten = context_query("and for members?", article, PRODUCTS)
    assert rewritten is not None
    assert rewritten.text == "Delivery options, costs and times: and for members?"
    assert not rewritten.faithful


def test_words_the_previous_article_never_uses_get_no_title_in_front(index: SearchIndex) -> None:
    assert context_query("and the weather?", index.articles["return-policy"], PRODUCTS) is None
    assert context_query("and on weekends?", index.articles["shipping-options-and-costs"], PRODUCTS)


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("return-policy", "and the weather?"),
        ("plus-benefits", "and the loyalty points?"),
        ("shipping-options-and-costs", "what about stock prices?"),
    ],
)
def test_an_unanswerable_follow_up_is_not_answered_with_the_previous_article(
    index: SearchIndex, previous: str, question: str
) -> None:
    searched = search_in_context(index, question, THRESHOLD, index.articles[previous], PRODUCTS)
    assert searched.follow_up
    assert not searched.result.answered


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("plus-benefits", "how much does it cost?", "plus-billing"),
        ("shipping-options-and-costs", "and for members?", "shipping-options-and-costs"),
        ("camera-offline", "what about the doorbell?", "doorbell-chime"),
        ("plus-billing", "can I cancel it?", "cancel-plus"),
        ("hub-offline", "what about the camera?", "camera-offline"),
    ],
)
def test_a_follow_up_is_answered_from_the_right_article(
    index: SearchIndex, previous: str, question: str, expected: str
) -> None:
    searched = search_in_context(index, question, THRESHOLD, index.articles[previous], PRODUCTS)
    assert searched.follow_up
    assert searched.result.answered
    assert searched.result.best is not None and searched.result.best.article.id == expected
    assert searched.result.query == question  # the customer's own words, not the rewrite


def test_the_same_follow_ups_alone_miss_or_go_elsewhere(index: SearchIndex) -> None:
    for question, expected in [
        ("how much does it cost?", "plus-billing"),
        ("and for members?", "shipping-options-and-costs"),
    ]:
        alone = index.search(question, THRESHOLD)
        assert not (alone.answered and alone.best and alone.best.article.id == expected)


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("plus-benefits", "how do I reset my password?"),
        ("camera-offline", "where is my order?"),
        ("plus-billing", "my thermostat shows no power"),
        ("shipping-options-and-costs", "is there a free trial?"),
    ],
)
def test_a_fresh_question_is_not_changed_by_the_context(
    index: SearchIndex, previous: str, question: str
) -> None:
    searched = search_in_context(index, question, THRESHOLD, index.articles[previous], PRODUCTS)
    assert not searched.follow_up
    assert searched.result == index.search(question, THRESHOLD)


def test_without_a_context_nothing_changes(index: SearchIndex) -> None:
    searched = search_in_context(index, "how much does it cost?", THRESHOLD, None, PRODUCTS)
    assert not searched.follow_up
    assert searched.result == index.search("how much does it cost?", THRESHOLD)
