"""QA review of the escalation policy and of agents: what each reviewed conversation kept of the
decision's inputs (case.py, captured from the masked tracker by capture.py), the reviewer's
verdict (verdicts.py), which sessions are sampled for review (sampling.py, sampling.yml), agent
scorecards and their trends (scorecards.py), replaying the policy over a case (replay.py),
evaluating and tuning it against the verdicts (evaluate.py, tuning.py), and the Redis store
(store.py, keys under `review:`). Everything but store.py is pure."""
