"""The content team's workspace: what customers asked that the help centre could not answer,
and (next) how articles perform, drafts to try and suggestions from agents' answers.

    gap_topics.py   unanswered questions grouped by meaning (full clustering and incremental
                    assignment of a new question); pure: numpy and scikit-learn, no I/O

The stores (Redis) and the HTTP API sit at the edges and call into these modules.
"""
