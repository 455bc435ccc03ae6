#!/usr/bin/env bash
# The whole test suite, in order of speed. Called by `make test` after the envs exist.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SERVICE=.venv/service/bin
BOT=.venv/bot/bin
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
failed=()

step() {  # step NAME COMMAND...: run, report, remember failures; pytest's "no tests" (5) fails too
    local name="$1"; shift
    printf '\n\033[1m== %s\033[0m\n' "$name"
    local started=$SECONDS
    "$@"
    local code=$?
    printf '(%d s; the suite at %d s)\n' $((SECONDS - started)) "$SECONDS"
    if [ "$code" -ne 0 ]; then
        [ "$code" -eq 5 ] && echo "pytest collected no tests: that is a failure here"
        failed+=("$name (exit $code)")
    fi
    return "$code"
}

# The Rasa model (`make train`: trains only when data, config or domain changed) is trained in the
# background from the start, while lint and the unit tests run: none of them loads bot/models
# (only the conversation tests and tests/e2e do), so its ~3 minutes overlap theirs instead of
# coming first. Its output goes to var/log/train.log; its exit status is a step of its own below.
# The training starts its own service on SERVICE_PORT (8300) and the stack's Redis; the unit
# tests use free ports and throwaway Redis servers of their own.
TRAIN_LOG=var/log/train.log
mkdir -p var/log
# niced: the unit tests wait on real timeouts, so the training takes what CPU they leave
nice -n 10 "$SERVICE/python" -m stack train >"$TRAIN_LOG" 2>&1 &
train_pid=$!
# a background job ignores Ctrl-C: stop it (and the service it started) when this script is stopped
trap 'kill -TERM "$train_pid" 2>/dev/null; wait "$train_pid" 2>/dev/null; exit 130' INT TERM

model_trained() {  # the background training's exit status; its log's tail, longer on failure
    local code=0
    wait "$train_pid" || code=$?
    trap - INT TERM
    if [ "$code" -eq 0 ]; then tail -n 3 "$TRAIN_LOG"; else tail -n 40 "$TRAIN_LOG"; fi
    return "$code"
}

step "lint (ruff)" "$SERVICE/ruff" check .
step "types (mypy)" "$SERVICE/mypy"
step "import rules (import-linter)" "$SERVICE/lint-imports"
step "module and function sizes" "$SERVICE/python" scripts/check_sizes.py
step "deployment files (hadolint, compose schema, kubernetes-validate, haproxy -c)" "$SERVICE/python" scripts/lint_deploy.py
# Every test folder but the bot env's and the end-to-end ones (tests/replicas: make test-replicas),
# so a new folder is never skipped. In 2 processes (pytest-xdist): most of these tests wait on
# real servers and timeouts, so two run in about half the time of one (1,804 tests: 265 s
# against 550-620 s); each process starts its own Redis. More processes than cores made the
# timing-bound tests (a killed process's redelivery within 15 s) fail under load.
step "unit tests: service env" "$SERVICE/pytest" tests --ignore=tests/actions \
    --ignore=tests/rasa_extensions --ignore=tests/e2e --ignore=tests/replicas -q -p no:cacheprovider \
    -n "${TEST_PROCESSES:-2}"
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
if step "Rasa model (make train, in the background since the start; $TRAIN_LOG)" model_trained; then
    # Rasa's NLU pipeline gets sentence vectors from the service: run it while the service is up.
    step "rasa conversation tests" "$SERVICE/python" -m stack with-service -- "$BOT/rasa" test core \
        --model bot/models --stories tests/test_stories.yml \
        --fail-on-prediction-errors --out var/results/conversation-tests
    step "rasa escalation conversation tests" "$SERVICE/python" -m stack with-service -- "$BOT/rasa" test core \
        --model bot/models --stories tests/test_escalation_stories.yml \
        --fail-on-prediction-errors --out var/results/escalation-conversation-tests
    step "end-to-end and browser tests (real Redis, service, action server, Rasa, gateway, chromium)" "$SERVICE/pytest" tests/e2e -q -p no:cacheprovider
else
    failed+=("rasa conversation tests and end-to-end tests (not run: no model)")
fi

echo
if [ "${#failed[@]}" -ne 0 ]; then
    printf '\033[31mFAILED:\033[0m %s\n' "${failed[@]}"
    exit 1
fi
echo "All test steps passed."
