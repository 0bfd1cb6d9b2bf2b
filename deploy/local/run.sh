#!/usr/bin/env bash
# `make run`: everything up with demo traffic, in the foreground; Ctrl-C stops what it started.
COMPONENT=run
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/deploy/local/up.sh"
trap '"$ROOT/deploy/local/stop.sh"; exit 0' INT TERM
"$ROOT/deploy/local/services.sh" start

key="${SHOP_API_KEYS#*:}"; key="${key%%,*}"
cat <<MSG

  pointstream is running with demo traffic (shop "demo" and shop-0..2).

  Gateway API      http://127.0.0.1:8000/docs   (Bearer key: $key)
  A balance        curl -s -H 'Authorization: Bearer $key' http://127.0.0.1:8000/v1/customers/c1/balance
  Its ledger       curl -s -H 'Authorization: Bearer $key' http://127.0.0.1:8000/v1/customers/c1/ledger
  Its tier         curl -s -H 'Authorization: Bearer $key' http://127.0.0.1:8000/v1/customers/c1/tier
  The rewards      curl -s -H 'Authorization: Bearer $key' http://127.0.0.1:8000/v1/rewards
  Prometheus       http://127.0.0.1:$PROMETHEUS_PORT   (query: rate(pointstream_events_consumed_total[1m]))
  Kafka            127.0.0.1:$KAFKA_PORT     PostgreSQL  postgresql://pointstream@127.0.0.1:$PG_PORT/pointstream
  Logs             $STATE/logs/

  Ctrl-C (or \`make stop\` from another shell) stops everything.
MSG
# Returns when `make stop` (from another shell) has stopped Kafka; Ctrl-C is caught by the trap.
while pid_alive "$STATE/pids/kafka.pid"; do sleep 2 & wait $!; done
say "stopped"
