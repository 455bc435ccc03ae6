"""The handoff: noticing that a person should take over, and everything that follows.

detection/ decides on every customer turn (the bot env imports it: standard library only);
privacy/ masks secrets and checks signed customer identity; ticket/ packages the conversation
for an agent; routing/ picks the team, priority, SLA and agent and spots incidents; store/
keeps it all in Redis. At the root: the ticket's transitions (lifecycle.py), the stored record,
customer messages during a takeover, the takeover report for Rasa, and vocabulary.py.
"""
