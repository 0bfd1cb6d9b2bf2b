# Shared helpers for the local runtime scripts (sourced, not executed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${POINTSTREAM_STATE:-$ROOT/.local}"
CACHE="${POINTSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pointstream}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CONTROLLER_PORT:-9093}"
PG_PORT="${PG_PORT:-5433}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
mkdir -p "$STATE/logs" "$STATE/pids"

# The demo's credentials (demo.env), each only where the environment does not set its own.
while IFS='=' read -r name value; do
  [[ -z "$name" || "$name" == \#* || -v "$name" ]] || export "$name=$value"
done < "$ROOT/deploy/local/demo.env"

say() { printf '\033[1m[%s]\033[0m %s\n' "${COMPONENT:-local}" "$*"; }
die() { printf '\033[31m[%s] error:\033[0m %s\n' "${COMPONENT:-local}" "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds or time runs out.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

# stop_pid PIDFILE: TERM, then KILL after a grace period.
stop_pid() {
  local pidfile=$1
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your system's package manager"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  say "installing Debian packages: $*"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed (are Debian's package mirrors reachable?)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed"
}
