"""Follow-up questions read with the previous answer's topic.

"how much does it cost?", "and for members?" or "what about the doorbell?" lean on the answer
before them: searched alone they find nothing. When the caller says which article it answered
from last (`context_article_id` of POST /kb/search), a question that leans on it is searched a
second time with that article's topic (`search_in_context` says which of the two answers):

- a pronoun ("it", "that") is replaced by the product the previous article is about
  ("how much does Hearthly Plus cost?"); without a product, the article's title goes first
  ("Delivery options, costs and times: and for members?");
- a question that names another product ("what about the doorbell?") gets the previous title
  with the product swapped in, and never the previous article itself: the customer moved on.

The products and their nicknames come from the content file knowledge_base/products.yml
(knowledge_base/products.py). Pure: plain functions over the index's public `passage_scores` and
`ranked`. No context, no change: a question without `context_article_id` is searched exactly as
before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge_base.articles import Article
from knowledge_base.index import SearchIndex, SearchResult
from knowledge_base.products import Products

# "and for members?", "what about the doorbell?", "how about returns?", "same for Canada?"
OPENER = re.compile(
    r"^\s*(and|also|but|or|what about|how about|what if|same for|same with)\b",
    re.IGNORECASE,
)
PRONOUN = re.compile(r"\b(it's|its|it|that|this|they|them|those|these|one)\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9']+", re.IGNORECASE)
MAX_FOLLOW_UP_WORDS = 8  # a longer question says what it is about
MAX_BARE_WORDS = 3  # "how much?", "when?": too bare to be about anything of its own
# Words that carry no topic of their own (a follow-up's opener, pronouns, question words).
FILLER_WORDS = frozenset(
    """a about also an and any are at be but by can could do does for from how i if in is it
    it's its me much many my of on one or our same so some than that the them these they this
    those to too was we what when where which who why will with would you your""".split()  # noqa: SIM905 - a list to scan
)
QUESTION_WORDS = frozenset(
    "how what when where why which who is are can could do does will would".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class ContextQuery:
    """The follow-up searched with the previous topic. `faithful`: the rewrite says what the
    customer meant (a pronoun or product replaced, or a question pointing back with "it"), so
    its answer goes first; a title put in front of any other question scores the previous
    article high whatever was asked, so it only answers when the question alone finds nothing.
    `excluded_article_id`: the previous article, when the customer moved on to another
    product."""

    text: str
    faithful: bool
    excluded_article_id: str | None = None


@dataclass(frozen=True)
class ContextualResult:
    """The result to answer with; `follow_up` when the question was read with the context."""

    result: SearchResult
    follow_up: bool


def leans_on_context(question: str, products: Products) -> bool:
    """Whether the question leans on the previous answer: it opens like a follow-up ("and
    ...?", "what about ...?"), or it is short, names no product of its own and either points
    back ("it", "that") or is a bare question ("how much?")."""
    words = WORD.findall(question)
    if not words:
        return False
    if OPENER.match(question):
        return len(words) <= MAX_FOLLOW_UP_WORDS
    if len(words) > MAX_FOLLOW_UP_WORDS or products.named_in(question):
        return False
    if PRONOUN.search(question):
        return True
    asks = question.rstrip().endswith("?") or words[0].lower() in QUESTION_WORDS
    return len(words) <= MAX_BARE_WORDS and asks


def context_query(question: str, context: Article, products: Products) -> ContextQuery | None:
    """The question rewritten with the previous article's topic (see the module docstring);
    None when the question brings words the previous article never uses ("and the weather?"
    after the return policy): the title in front would only find that article again."""
    asked, previous = products.named_in(question), products.named_in(context.title)
    if asked and previous and asked != previous:
        swapped = products.swap(context.title, previous, asked)
        return ContextQuery(f"{swapped}. {question}", True, excluded_article_id=context.id)
    if previous and PRONOUN.search(question):
        return ContextQuery(PRONOUN.sub(previous, question, count=1), True)
    if PRONOUN.search(question):  # "how long does it take?" after "Our return policy"
        return ContextQuery(f"{context.title}: {question}", True)
    if not uses_only_words_of(question, context):
        return None
    return ContextQuery(f"{context.title}: {question}", False)


def uses_only_words_of(question: str, article: Article) -> bool:
    """Whether every topic word of the question appears in the article (by its first letters:
    "members" finds "member", "weekends" finds "weekend")."""
    own = [word for word in _words(question) if word not in FILLER_WORDS]
    texts = [article.title, " ".join(article.tags)]
    texts += [f"{section.heading} {section.text}" for section in article.sections]
    vocabulary = set(_words(" ".join(texts)))
    return all(
        any(known.startswith(word[: max(4, len(word) - 2)]) for known in vocabulary) for word in own
    )


def _words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def search_in_context(
    index: SearchIndex,
    question: str,
    threshold: float,
    context: Article | None,
    products: Products,
    limit: int = 3,
) -> ContextualResult:
    """The question searched alone, and - when it leans on `context` - with it too. The first
    answered result answers (the rewrite's first when it is faithful); when neither is
    answered, the one whose closest article scores higher is shown. Both keep the customer's
    own words as `query`."""
    alone = index.search(question, threshold, limit)
    if context is None or not index.passages or not leans_on_context(question, products):
        return ContextualResult(alone, follow_up=False)
    rewritten = context_query(question, context, products)
    if rewritten is None:
        return ContextualResult(alone, follow_up=True)
    scores = index.passage_scores(rewritten.text)
    ranked = index.ranked(question, threshold, scores, limit + 1)
    kept = tuple(m for m in ranked.matches if m.article.id != rewritten.excluded_article_id)
    in_context = SearchResult(question, threshold, kept[:limit])
    order = (in_context, alone) if rewritten.faithful else (alone, in_context)
    answered = [result for result in order if result.answered]
    if answered:
        return ContextualResult(answered[0], follow_up=True)
    return ContextualResult(max(order, key=_best_score), follow_up=True)


def _best_score(result: SearchResult) -> float:
    return result.best.score if result.best else float("-inf")
