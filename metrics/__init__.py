"""Escalation metrics: every rate, time and score the support lead reads, computed by pure
functions from outcome records (outcomes/record.py) and QA verdicts.

    sessions.py     a record with its start and end parsed once
    windows.py      time windows (today, 7d, 30d, custom; a time zone), filters, series steps
    record_facts.py what a record counts toward on its own, made once per record
    definitions.py  what each metric counts, per session (figures and drill-down share it)
    contacts.py     first-contact resolution and repeat contacts across a customer's sessions
    verdicts.py     the QA verdict as the metrics read it (review/ produces it)
    rates.py        the figures' shapes: Rate (numerator / denominator), Distribution
    compute.py      the metrics of a window, one metric over time, the sessions behind a figure
    agents.py       per-agent figures
    bulk.py         a pause of the garbage collector around the bulk steps

None of these modules does I/O: the service reads the records (service/desk/analytics.py).
"""
