#!/usr/bin/env bash
# Create or refresh what the project needs to run and test:
#   .venv/bot      Python 3.10 with rasa==3.6.21 (Rasa server + action server)
#   .venv/service  Python 3.11 with the service (aiohttp, redis, sentence-transformers)
#   redis-server   Debian package (installed with apt-get when missing and running as root)
#   chromium       Debian package, for the browser tests only (target `browser`; make test)
#   prometheus     Debian package, for the monitoring end-to-end test only (target `prometheus`;
#                  make test); the test starts its own server on a free port
#   haproxy        Debian package, the load balancer of a replicated stack (target `haproxy`;
#                  make run REPLICAS=n, make test-replicas)
#   web/node_modules  the browser libraries the gateway serves (uPlot for the supervisor
#                  dashboard's charts) and the stock Rasa widget the browser tests drive
#                  (rasa-webchat, a devDependency), `npm ci` from web/package-lock.json (target
#                  `web`); Node.js and npm from Debian when missing. Ignored by git: never committed
# Idempotent: each environment is stamped with a hash of what defines it, so a second run with
# nothing changed only checks the stamps.
# Usage: scripts/bootstrap.sh [bot|service|redis|browser|prometheus|haproxy|web|test-packages|all]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$ROOT/.venv"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# find_python MAJOR.MINOR: print a python executable of that version, from PATH or pyenv.
find_python() {
    local want="$1" candidate
    local candidates=("python$want")
    if command -v pyenv >/dev/null 2>&1; then
        candidates+=("$(pyenv root)"/versions/"$want".*/bin/python"$want")
    fi
    candidates+=("$HOME"/.pyenv/versions/"$want".*/bin/python"$want" /usr/bin/python"$want" /usr/local/bin/python"$want")
    for candidate in "${candidates[@]}"; do
        if [ -x "$candidate" ] || command -v "$candidate" >/dev/null 2>&1; then
            if "$candidate" -c "import sys, venv; sys.exit(0 if sys.version_info[:2] == tuple(map(int, '$want'.split('.'))) else 1)" >/dev/null 2>&1; then
                command -v "$candidate" 2>/dev/null || echo "$candidate"
                return 0
            fi
        fi
    done
    return 1
}

stamp_of() {  # the hash of everything that defines an environment
    cat "$ROOT/pyproject.toml" "$ROOT/scripts/bootstrap.sh" | sha256sum | cut -c1-16
}

# pip NAME ARGS...: run pip of env NAME quietly, its output kept in var/log/setup-NAME.log
pip_quiet() {
    local name="$1"; shift
    local log="$ROOT/var/log/setup-$name.log"
    mkdir -p "$(dirname "$log")"
    if ! "$VENV_DIR/$name/bin/python" -m pip install --disable-pip-version-check "$@" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip install failed for the $name env; the full output is in $log"
    fi
}

# make_env NAME PYTHON_VERSION EXTRAS [pre-install args...]
make_env() {
    local name="$1" version="$2" extras="$3"; shift 3
    local env="$VENV_DIR/$name" stamp_file="$VENV_DIR/$name/.stamp" stamp
    stamp="$(stamp_of)"
    if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$env/bin/python" ]; then
        say "$name env is up to date ($env)"
        return 0
    fi
    local python
    python="$(find_python "$version")" || die "Python $version is needed for the $name env and was not found on PATH or under pyenv.
Install it, e.g. 'pyenv install $version' or 'apt-get install python$version python$version-venv', then run this again."
    say "installing the $name env with $python (a few minutes on a new machine)"
    [ -x "$env/bin/python" ] || "$python" -m venv "$env"
    pip_quiet "$name" --upgrade "pip>=23.2" setuptools wheel
    if [ "$#" -gt 0 ]; then
        pip_quiet "$name" "$@"
    fi
    pip_quiet "$name" -e "$ROOT[$extras]"
    echo "$stamp" > "$stamp_file"
    say "$name env ready"
}

ensure_redis() {
    if command -v redis-server >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        die "redis-server is not installed. Run as root so this script can 'apt-get install redis-server', install it yourself, or set REDIS_URL to an existing Redis."
    fi
    say "installing redis-server from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
}

# Debian packages only tests and replicas need: whether each is installed, and what it is for.
has_package() {
    case "$1" in
        chromium) [ -x /usr/bin/chromium ] ;;
        prometheus) [ -x /usr/bin/prometheus ] ;;
        haproxy) command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] ;;
    esac
}
purpose_of() {
    case "$1" in
        chromium) echo "the browser tests drive it" ;;
        prometheus) echo "tests/e2e/test_prometheus.py starts it" ;;
        haproxy) echo "REPLICAS > 1 and make test-replicas put it in front of the replicas" ;;
    esac
}

# ensure_packages PACKAGE...: the missing ones installed from Debian after one `apt-get update`.
ensure_packages() {
    local missing=() package
    for package in "$@"; do
        has_package "$package" || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        local why=()
        for package in "${missing[@]}"; do why+=("$package ($(purpose_of "$package"))"); done
        die "missing: ${why[*]}. Run as root so this script can 'apt-get install ${missing[*]}', or install them yourself."
    fi
    say "installing ${missing[*]} from Debian"
    apt-get update -qq
    for package in "${missing[@]}"; do
        case "$package" in
            # no node exporter: the monitoring test scrapes only the stack's own /metrics
            prometheus) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null ;;
            *) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null ;;
        esac
    done
}

# web/node_modules from the lock file, stamped with the hash of web/package*.json.
ensure_web() {
    local stamp_file="$ROOT/web/node_modules/.stamp" stamp log="$ROOT/var/log/setup-web.log"
    stamp="$(cat "$ROOT/web/package.json" "$ROOT/web/package-lock.json" | sha256sum | cut -c1-16)"
    if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
        say "web libraries are up to date ($ROOT/web/node_modules)"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            die "npm is missing (it installs the dashboard's chart library). Run as root so this script can 'apt-get install nodejs npm', or install Node.js yourself."
        fi
        say "installing Node.js and npm from Debian (for the dashboard's chart library)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    say "installing the web libraries with npm ci (web/package-lock.json)"
    mkdir -p "$(dirname "$log")"
    if ! npm ci --prefix "$ROOT/web" --no-audit --no-fund --ignore-scripts >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "npm ci failed for web/; the full output is in $log"
    fi
    echo "$stamp" > "$stamp_file"
}

# One setup at a time: two `make` commands started together would otherwise run pip in the
# same environment at once and break it.
mkdir -p "$ROOT/var"
exec 9>"$ROOT/var/setup.lock"
if ! flock -n 9; then
    say "another setup is running; waiting for it"
    flock 9
fi

what="${1:-all}"
case "$what" in
    bot) make_env bot 3.10 "bot,bot-dev" ;;
    # torch first, pinned, so pip takes the CPU build from this machine's disk and not a CUDA build.
    service) make_env service 3.11 "service,dev" "torch==2.13.0" ;;
    redis) if [ -z "${REDIS_URL:-}" ]; then ensure_redis; fi ;;
    browser) ensure_packages chromium ;;
    prometheus) ensure_packages prometheus ;;
    haproxy) ensure_packages haproxy ;;
    web) ensure_web ;;
    # make test: chromium, prometheus and haproxy after one `apt-get update`, not three
    test-packages) ensure_packages chromium prometheus haproxy ;;
    all)
        if [ -z "${REDIS_URL:-}" ]; then ensure_redis; fi
        ensure_web
        # the two environments side by side: each is mostly waiting on downloads and unpacking,
        # and each writes only its own folder and log (var/log/setup-NAME.log)
        make_env service 3.11 "service,dev" "torch==2.13.0" &
        service_pid=$!
        make_env bot 3.10 "bot,bot-dev" &
        bot_pid=$!
        built=0
        wait "$service_pid" || built=1
        wait "$bot_pid" || built=1
        [ "$built" -eq 0 ] || die "an environment could not be built (its error is above)"
        ;;
    *) die "unknown target '$what' (expected bot, service, redis, browser, prometheus, haproxy, web, test-packages or all)" ;;
esac
