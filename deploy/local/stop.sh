#!/usr/bin/env bash
# `make stop`: stops the services, then Prometheus, PostgreSQL and Kafka.
COMPONENT=stop
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/deploy/local/services.sh" stop
"$ROOT/deploy/local/prometheus.sh" stop
"$ROOT/deploy/local/postgres.sh" stop
"$ROOT/deploy/local/kafka.sh" stop
