# The single entry point. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SERVICE_PY := .venv/service/bin/python
BOT := .venv/bot/bin

.PHONY: help setup train run shell status test test-replicas lint eval-kb eval-nlu bench-latency bench-handoff bench-relay bench-masking bench-outcomes bench-metrics bench-dashboard bench-vs-rasa bench-breakdown bench-kb-scale bench-actions eval-oos eval-calibration eval-frustration eval-stackfaq eval-gap-topics tune-gap-topics eval-escalation tune-escalation chaos clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Create/refresh both Python envs and install redis-server (idempotent)
	@scripts/bootstrap.sh all

train: setup ## Train the Rasa model if data, config or domain changed
	@$(SERVICE_PY) -m stack train

run: train ## Run the whole assistant (Redis, service, action server, Rasa, gateway; REPLICAS=n: n of each behind HAProxy); Ctrl-C stops it
	@if [ "$${REPLICAS:-1}" != 1 ]; then scripts/bootstrap.sh haproxy; fi
	@$(SERVICE_PY) -m stack run

shell: ## Chat with the running assistant from this terminal (needs `make run` in another one)
	@$(SERVICE_PY) -m stack chat

status: ## What `make run` is doing: each process's state, pid and restarts; exits 1 unless all are running
	@$(SERVICE_PY) -m stack status

test: setup ## Run the whole test suite: lint, unit, Rasa validation + conversation tests, end-to-end, browser, Prometheus (trains the model as `make train` does, in the background while lint and the unit tests run)
	@scripts/bootstrap.sh test-packages
	@scripts/test.sh

test-replicas: train ## The replicated stack (2 of each behind HAProxy): conversations carry on when one replica of each kind is killed (CI runs it after make test)
	@scripts/bootstrap.sh haproxy
	@RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 .venv/service/bin/pytest tests/replicas -q -p no:cacheprovider

lint: setup ## ruff, mypy, the import rules (import-linter), the size limits and the deployment files (deploy/: hadolint, compose schema, kubernetes-validate, haproxy -c)
	@.venv/service/bin/ruff check .
	@.venv/service/bin/mypy
	@.venv/service/bin/lint-imports
	@.venv/service/bin/python scripts/check_sizes.py
	@.venv/service/bin/python scripts/lint_deploy.py

eval-kb: setup ## Knowledge-base retrieval on data/kb_questions.yml and data/kb_customer_questions.yml (tuning and test parts) and StackFAQ (STACKFAQ=path), results in benchmarks/results/kb_eval.json
	@$(SERVICE_PY) -m benchmarks.stackfaq $(STACKFAQ) --fields both --json benchmarks/results/stackfaq.json
	@$(SERVICE_PY) -m knowledge_base.evaluate data/kb_questions.yml data/kb_customer_questions.yml --json benchmarks/results/kb_eval.json --stackfaq benchmarks/results/stackfaq.json

eval-nlu: setup ## Rasa NLU 5-fold cross-validation (intent macro F1), results in var/results/nlu-cv
	@$(SERVICE_PY) -m stack with-service -- $(BOT)/rasa test nlu --nlu bot/data/nlu --config bot/config.yml \
		--cross-validation --folds 5 --out var/results/nlu-cv
	@$(SERVICE_PY) -c "import json; r=json.load(open('var/results/nlu-cv/intent_report.json')); print('intent macro F1:', round(r['macro avg']['f1-score'], 4), ' weighted F1:', round(r['weighted avg']['f1-score'], 4))"

CLINC ?= ../shared/datasets/clinc150/data_full.json
eval-oos: setup ## Out-of-scope detection on CLINC150 (CLINC=path to data_full.json, data_small.json or data_imbalanced.json; EPOCHS=n quick run; WITH_OOS_ONLY=1 one model), report in var/results/clinc150[-small|-imbalanced]
	@$(SERVICE_PY) -m benchmarks.clinc150_oos $(CLINC) $(if $(EPOCHS),--epochs $(EPOCHS) --out var/results/clinc150-quick) $(if $(WITH_OOS_ONLY),--with-oos-only)

eval-calibration: setup ## Intent confidence on CLINC150 Full/Small/Imbalanced outside Rasa, uncalibrated vs calibrated (~20 min), benchmarks/results/clinc150_calibration.json
	@$(SERVICE_PY) -m benchmarks.clinc150_calibration $(dir $(CLINC))data_full.json $(dir $(CLINC))data_small.json $(dir $(CLINC))data_imbalanced.json

USS ?= ../shared/datasets/uss/MWOZ.txt
eval-frustration: setup ## Dissatisfied-turn detection on USS MultiWOZ (USS=path), report in var/results/uss_frustration.json
	@$(SERVICE_PY) -m benchmarks.uss_frustration $(USS) --cross-validate --report var/results/uss_frustration.json

STACKFAQ ?= ../shared/datasets/stackfaq/stackExchange-FAQ.json
eval-stackfaq: setup ## FAQ retrieval on StackFAQ through the KB index vs MiniLM alone (STACKFAQ=path): P@1, P@5, MRR, MAP; JSON in benchmarks/results/stackfaq.json
	@$(SERVICE_PY) -m benchmarks.stackfaq $(STACKFAQ) --fields both --json benchmarks/results/stackfaq.json

BANKING77 ?= ../shared/datasets/banking77
eval-gap-topics: setup ## Gap topics on the BANKING77 test questions (BANKING77=folder): V-measure, adjusted Rand, clustering time, incremental assignment p95; JSON in benchmarks/results/gap_topics.json
	@$(SERVICE_PY) -m benchmarks.gap_topics $(BANKING77) --json benchmarks/results/gap_topics.json

tune-gap-topics: setup ## Choose the gap topics' thresholds on the BANKING77 train split (BANKING77=folder); JSON in benchmarks/results/gap_topics_tuning.json, never edits code
	@$(SERVICE_PY) -m benchmarks.gap_topics_tune $(BANKING77) --json benchmarks/results/gap_topics_tuning.json

bench-latency: train ## Reply latency through Rasa: knowledge-base answers vs plain rule responses
	@$(SERVICE_PY) -m benchmarks.reply_latency

bench-handoff: train ## Handoff latency: "a person, please" to ticket stored and routed, 100 handoffs
	@$(SERVICE_PY) -m benchmarks.handoff_latency --handoffs 100

bench-relay: train ## Live-chat relay latency through the gateway: customer -> console, agent -> widget, 200 each
	@$(SERVICE_PY) -m benchmarks.relay_latency --messages 200

bench-masking: setup ## Masking cost per message (adversarial and ordinary) and per tracker save, in the bot env; JSON in benchmarks/results/masking.json
	@$(BOT)/python -m benchmarks.masking

bench-outcomes: train ## A turn's latency through Rasa with outcome recording on vs off, side by side (bar: p95 +<= 2 ms); JSON in benchmarks/results/outcome_recording.json
	@$(SERVICE_PY) -m benchmarks.outcome_recording --messages 300

bench-metrics: setup ## Every escalation metric over 100,000 generated outcome records (bar <= 2 s), and through the service's cache; JSON in benchmarks/results/metrics_speed.json
	@$(SERVICE_PY) -m benchmarks.metrics_speed

bench-vs-rasa: train ## Our stack beside a plain `rasa init` bot (in-memory and Redis tracker) in one run: concurrency 1 and 50, REST and socket.io, turn 20 vs 2 (~15 min; the first run trains the plain bot); JSON in benchmarks/results/vs_rasa.json
	@$(SERVICE_PY) -m benchmarks.vs_rasa

bench-breakdown: train ## Where a turn's time goes: py-spy on Rasa, the action server and the service under load (needs root/ptrace); JSON in benchmarks/results/turn_breakdown.json
	@$(SERVICE_PY) -m benchmarks.turn_breakdown

bench-actions: train ## An order action turn (proof + live status; a refund's yes) beside a knowledge-base answer, interleaved in one run (bar: p95 <= 1.5x); JSON in benchmarks/results/action_turns.json
	@$(SERVICE_PY) -m benchmarks.action_turns --rounds 120

chaos: train ## Faults without loss: kill -9 Redis, the service, the action server, Rasa and the gateway one at a time under 200 conversations (~11 min); lost/duplicated/silent per drill in benchmarks/results/chaos.json
	@$(SERVICE_PY) -m benchmarks.chaos

bench-kb-scale: setup ## The knowledge base at 10,000 generated sections: cold and warm start, search p95, edit to answer; JSON in benchmarks/results/kb_scale.json
	@$(SERVICE_PY) -m benchmarks.kb_scale

bench-dashboard: setup ## The supervisor dashboard's first paint in headless chromium with 100,000 outcome records (bar <= 1 s); JSON in benchmarks/results/dashboard_paint.json
	@scripts/bootstrap.sh browser
	@$(SERVICE_PY) -m benchmarks.dashboard_paint

eval-escalation: setup ## Replay the shipped escalation policy over the QA verdicts (data/escalation_verdicts): P/R/F1, over/under; JSON in benchmarks/results/escalation_eval.json
	@$(SERVICE_PY) -m benchmarks.escalation_eval

tune-escalation: setup ## Fit the escalation weights/thresholds to the verdicts (cross-validated); a proposed escalation.yml diff in var/results/escalation_tuning, never applied
	@$(SERVICE_PY) -m benchmarks.escalation_tune

clean: ## Remove virtual envs, trained models, caches and runtime data (var/)
	rm -rf .venv bot/models var .pytest_cache .ruff_cache .mypy_cache .hypothesis
