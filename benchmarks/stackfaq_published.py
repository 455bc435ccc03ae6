"""Published StackFAQ figures the benchmark is compared with, and what could not be found.

Kept as data so the JSON carries them beside our figures. Every row says where it comes from
and which fields of the FAQ item were indexed; a figure that could not be found is recorded as
not found, never filled in.
"""

from __future__ import annotations

from typing import Any

BERT_FAQ_README = (
    "https://github.com/ML-Recipes/BERT-FAQ README.md, 'Evaluation', StackFAQ table "
    "(commit 20dcdb5c08fb8046d7626be68c5843b969be088f as stored by the search tool)"
)

PUBLISHED: list[dict[str, Any]] = [
    {
        "source": "Karan & Šnajder 2018, Paraphrase-focused learning to rank for domain-specific "
        "frequently asked questions retrieval, Expert Systems with Applications 91:418-433",
        "found": False,
        "note": "the paper's result tables were not in any stored copy the search tool reached "
        "(only its abstract: supervised learning to rank improves P@5 over unsupervised "
        "baselines); no figure recorded",
    },
    {
        "source": "Mass, Carmeli, Roitman & Konopnicki 2020, Unsupervised FAQ Retrieval with "
        "Question Generation and BERT, ACL 2020",
        "found": False,
        "note": "no stored copy of the paper's text or tables was found; no figure recorded",
    },
    {
        "source": BERT_FAQ_README,
        "found": True,
        "system": "Elasticsearch 7.10 (BM25), unsupervised, one row per indexed field",
        "columns": ["NDCG@3", "NDCG@5", "NDCG@10", "P@3", "P@5", "P@10", "MAP"],
        "rows": {
            "answer": [0.6012, 0.3608, 0.6269, 0.2865, 0.6427, 0.1946, 0.3972],
            "question": [0.5803, 0.5645, 0.5923, 0.5039, 0.6222, 0.3468, 0.6648],
            "question_answer": [0.6803, 0.5161, 0.7067, 0.4524, 0.7253, 0.3196, 0.5893],
            "question_answer_concat": [0.7615, 0.6138, 0.7831, 0.5284, 0.7893, 0.3637, 0.6366],
        },
        "note": "the toolkit that republished the data set, not a peer-reviewed paper. Its "
        "columns are not consistent with one relevant item per query (NDCG@5 below NDCG@3, "
        "P@5 above 0.2 and above P@3), so only MAP is set beside ours; question_answer "
        "searches both fields, question_answer_concat one field holding both",
    },
]
