#!/usr/bin/env bash
# Prometheus from Debian's packages, scraping the services with deploy/prometheus/prometheus.yml
# and evaluating the alert rules it names (deploy/prometheus/alerts.yml).
# Usage: prometheus.sh install|start|stop|status
COMPONENT=prometheus
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIDFILE="$STATE/pids/prometheus.pid"
BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"

install() {
  [[ -x "$BIN" ]] && return 0
  apt_install prometheus
  # Debian's package starts its own daemon where an init system runs; this runtime starts its own.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
  fi
  [[ -x "$BIN" ]] || die "prometheus not found after install"
}

ready() { port_open "$PROMETHEUS_PORT" && curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null; }

start() {
  install
  if pid_alive "$PIDFILE"; then
    # A reload picks up changes to the scrape configuration and the alert rules.
    kill -HUP "$(cat "$PIDFILE")"
    say "already running on http://127.0.0.1:$PROMETHEUS_PORT (configuration reloaded)"
    return 0
  fi
  port_open "$PROMETHEUS_PORT" && die "port $PROMETHEUS_PORT is taken by another process (set PROMETHEUS_PORT)"
  mkdir -p "$STATE/prometheus"
  say "starting Prometheus on 127.0.0.1:$PROMETHEUS_PORT"
  setsid "$BIN" --config.file="$ROOT/deploy/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STATE/prometheus" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$STATE/logs/prometheus.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  wait_until 60 "Prometheus" ready || { tail -n 20 "$STATE/logs/prometheus.log" >&2; die "Prometheus did not become ready within 60 s"; }
  say "ready"
}

stop() { stop_pid "$PIDFILE"; say "stopped"; }
status() { pid_alive "$PIDFILE" && say "running on http://127.0.0.1:$PROMETHEUS_PORT" || say "not running"; }

"${1:-start}"
