#!/usr/bin/env bash
# The project's own processes: every service that exists plus the demo traffic generator.
# Usage: services.sh start|stop|status [name...]
COMPONENT=services
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY="$ROOT/.venv/bin/python"
declare -A COMMANDS=(
  [earn]="-m services.earn"
  [tier]="-m services.tier"
  [redeem]="-m services.redeem"
  [projector]="-m services.projector"
  [gateway]="-m services.gateway"  # the API on 8000, its metrics on 9100 (METRICS_PORT)
  [loadgen]="-m services.loadgen --rate ${DEMO_RATE:-20}"
)
ORDER=(earn tier redeem projector gateway loadgen)

start_one() {
  local name=$1 pidfile="$STATE/pids/$1.pid"
  if pid_alive "$pidfile"; then say "$name already running (pid $(cat "$pidfile"))"; return 0; fi
  cd "$ROOT"
  # The processors' state on disk goes with the rest of the local data (`make clean` removes it).
  # shellcheck disable=SC2086 # the command is a word list on purpose
  STATE_DIR="${STATE_DIR:-$STATE/state}" setsid "$PY" ${COMMANDS[$name]} >>"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  sleep 0.3
  pid_alive "$pidfile" || { tail -n 20 "$STATE/logs/$name.log" >&2; die "$name exited at start; see $STATE/logs/$name.log"; }
  say "$name started (pid $(cat "$pidfile")), log $STATE/logs/$name.log"
}

start() { for name in "${@:-${ORDER[@]}}"; do start_one "$name"; done; }

stop() {
  local names=("${@:-${ORDER[@]}}")
  for (( i=${#names[@]}-1; i>=0; i-- )); do stop_pid "$STATE/pids/${names[$i]}.pid"; done
  say "stopped ${names[*]}"
}

status() {
  for name in "${ORDER[@]}"; do
    pid_alive "$STATE/pids/$name.pid" && say "$name running (pid $(cat "$STATE/pids/$name.pid"))" || say "$name not running"
  done
}

cmd=${1:-start}; shift || true
"$cmd" "$@"
