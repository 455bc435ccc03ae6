"""The content team's workspace (docs/content.md): what customers asked that the help centre
could not answer, how articles perform, drafts to try and publish, and suggestions from
agents' answers.

    gap_topics.py           unanswered questions grouped by meaning (full clustering and
                            incremental assignment of a new question); pure: numpy and
                            scikit-learn, no I/O
    gap_records.py          a gap question as stored, a topic's stored form, topics brought up to
                            date after questions left or came; pure
    topic_store.py          the gap topics' Redis (`content:gaps:*`): questions, vectors, topics;
                            bounded, expiring, erasable by conversation
    article_performance.py  per article and section, from the outcome records: shown, helpful,
                            not helpful, handoffs after the answer, CSAT; pure
    drafts.py               draft articles: reading, trying against the published set,
                            publishing (the front matter's status and date); pure but the files
    suggestions.py          an agent's answer to a customer's question, kept to become a draft
    new_drafts.py           the markdown of a new draft (from a suggestion or a gap topic); pure
    store.py                the suggestions' and the audit's Redis (`content:suggestions`,
                            `content:audit`)

The service's desks (service/desk/content.py, gap_topics.py) and views call into these modules.
"""
