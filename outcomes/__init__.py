"""Conversation outcomes: how each session ended (record.py), decided from the masked Rasa
tracker and the session's tickets, written once per session to an append-only Redis stream.
The escalation metrics, the supervisor dashboard and the QA review sample all read them."""
