"""Escalation detection, run by Rasa's EscalationPolicy on every customer turn: frustration
signals, what went unresolved, and the continue / offer / hand-off decision with its record.
Pure and standard library only (the bot env, Python 3.10, imports it); the config file is read
by handoff/escalation_file.py."""
