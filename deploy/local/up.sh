#!/usr/bin/env bash
# Infrastructure for runs and tests: Kafka, PostgreSQL, Prometheus, the topics and the database schema.
COMPONENT=up
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/deploy/local/kafka.sh" start
"$ROOT/deploy/local/postgres.sh" start
"$ROOT/deploy/local/prometheus.sh" start
"$ROOT/.venv/bin/pointstream" topics create
"$ROOT/.venv/bin/pointstream" migrate
