#!/usr/bin/env bash
# The whole test suite, in order of speed. Called by `make test` after the envs and model exist.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SERVICE=.venv/service/bin
BOT=.venv/bot/bin
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
failed=()

step() {  # step NAME COMMAND...: run, report, remember failures; pytest's "no tests" (5) fails too
    local name="$1"; shift
    printf '\n\033[1m== %s\033[0m\n' "$name"
    "$@"
    local code=$?
    if [ "$code" -ne 0 ]; then
        [ "$code" -eq 5 ] && echo "pytest collected no tests: that is a failure here"
        failed+=("$name (exit $code)")
    fi
}

step "lint (ruff)" "$SERVICE/ruff" check .
step "types (mypy)" "$SERVICE/mypy"
step "import rules (import-linter)" "$SERVICE/lint-imports"
step "module and function sizes" "$SERVICE/python" scripts/check_sizes.py
step "deployment files (hadolint, compose schema, kubernetes-validate, haproxy -c)" "$SERVICE/python" scripts/lint_deploy.py
# Every test folder but the bot env's and the end-to-end ones (tests/replicas: make test-replicas),
# so a new folder is never skipped.
step "unit tests: service env" "$SERVICE/pytest" tests --ignore=tests/actions \
    --ignore=tests/rasa_extensions --ignore=tests/e2e --ignore=tests/replicas -q -p no:cacheprovider
step "unit tests: bot env (actions, Rasa components)" "$BOT/pytest" tests/actions tests/rasa_extensions -q -p no:cacheprovider
# Rasa warns that responses only actions and forms send (utter_default, utter_kb_unavailable,
# the order form's utter_ask_order_number and utter_ask_email, and the handoff actions' replies) are "not used in any story or rule",
# and that handed_back / handoff_resolved have no NLU examples and no rules (only the service
# sends them, service/desk/rasa_hand_back.py; the EscalationPolicy answers them); any other warning
# fails the step.
validate_bot() {
    local output
    output="$("$BOT/rasa" data validate --domain bot/domain --data bot/data --config bot/config.yml 2>&1)" \
        || { echo "$output"; return 1; }
    local unexpected
    unexpected="$(grep -E "UserWarning:| WARNING " <<<"$output" \
        | grep -vE "The utterance '(utter_default|utter_kb_unavailable|utter_ask_order_number|utter_ask_email|utter_handoff_unavailable|utter_handoff_cancelled|utter_agent_already_joined)' is not used|The intent '(handed_back|handoff_resolved)' is (listed in the domain file, but is not found in the NLU training data|not used in any story or rule)" || true)"
    if [ -n "$unexpected" ]; then
        echo "$unexpected"
        return 1
    fi
    echo "rasa data validate: no errors, no unexpected warnings"
}
step "rasa data validate" validate_bot
# Rasa's NLU pipeline gets sentence vectors from the service: run it while the service is up.
step "rasa conversation tests" "$SERVICE/python" -m stack with-service -- "$BOT/rasa" test core \
    --model bot/models --stories tests/test_stories.yml \
    --fail-on-prediction-errors --out var/results/conversation-tests
step "rasa escalation conversation tests" "$SERVICE/python" -m stack with-service -- "$BOT/rasa" test core \
    --model bot/models --stories tests/test_escalation_stories.yml \
    --fail-on-prediction-errors --out var/results/escalation-conversation-tests
step "end-to-end and browser tests (real Redis, service, action server, Rasa, gateway, chromium)" "$SERVICE/pytest" tests/e2e -q -p no:cacheprovider

echo
if [ "${#failed[@]}" -ne 0 ]; then
    printf '\033[31mFAILED:\033[0m %s\n' "${failed[@]}"
    exit 1
fi
echo "All test steps passed."
