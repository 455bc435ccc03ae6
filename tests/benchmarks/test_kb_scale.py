"""The generated help centre of benchmarks/kb_scale.py is in the project's article format."""

from __future__ import annotations

from pathlib import Path

from benchmarks.kb_scale import SECTIONS_PER_ARTICLE, generate_articles
from knowledge_base.articles import load_articles


def test_the_generated_articles_parse_with_five_sections_each(tmp_path: Path) -> None:
    asked = generate_articles(tmp_path, 30)
    articles, errors = load_articles(tmp_path)
    assert errors == []
    assert len(articles) == 30 == len({article.id for article in articles})
    assert all(len(article.sections) == SECTIONS_PER_ARTICLE for article in articles)
    assert all(article.questions and article.synonyms for article in articles)
    assert {article_id for _, article_id in asked} == {article.id for article in articles}


def test_the_same_seed_writes_the_same_articles(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    generate_articles(first, 5)
    generate_articles(second, 5)
    for path in first.iterdir():
        assert path.read_text() == (second / path.name).read_text()
