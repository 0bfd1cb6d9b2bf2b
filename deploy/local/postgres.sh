#!/usr/bin/env bash
# PostgreSQL from Debian's packages: a project-local cluster on 127.0.0.1 with the project's role and database.
# Usage: postgres.sh install|start|stop|status
COMPONENT=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_DB="${PG_DB:-pointstream}"
PG_USER="${PG_USER:-pointstream}"
PG_PASSWORD="${PG_PASSWORD:-pointstream}"
DATA="$STATE/postgres/data"
LOG="$STATE/logs/postgres.log"

pg_bin() {
  local dir; dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" ]] && echo "$dir"
}

# The server refuses to run as root: on a root shell it runs as Debian's postgres user.
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

install() { pg_bin >/dev/null || apt_install postgresql; pg_bin >/dev/null || die "PostgreSQL binaries not found after install"; }

start() {
  install
  local bin; bin=$(pg_bin)
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then say "already running on 127.0.0.1:$PG_PORT"; return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another process (set PG_PORT)"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "initialising a cluster in $DATA"
    mkdir -p "$DATA"; [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$STATE/postgres"
    as_owner "$bin/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
      >"$STATE/logs/postgres-initdb.log" 2>&1 || die "initdb failed; see $STATE/logs/postgres-initdb.log"
    cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$STATE/postgres'
max_connections = 200
shared_buffers = 256MB
synchronous_commit = on
CONF
  fi
  touch "$LOG"; [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$LOG"
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null \
    || { tail -n 20 "$LOG" >&2; die "PostgreSQL did not start within 60 s; see $LOG"; }
  ensure_database
  say "ready: postgresql://$PG_USER:***@127.0.0.1:$PG_PORT/$PG_DB"
}

psql_admin() { as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$STATE/postgres" -p "$PG_PORT" -U postgres "$@"; }

ensure_database() {
  psql_admin -d postgres -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
        CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
      END IF; END \$\$;" >/dev/null
  psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || psql_admin -d postgres -c "CREATE DATABASE $PG_DB OWNER $PG_USER" >/dev/null
}

stop() {
  local bin; bin=$(pg_bin) || { say "not installed"; return 0; }
  [[ -f "$DATA/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  say "stopped"
}

status() {
  local bin; bin=$(pg_bin) || { say "not installed"; return 0; }
  as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1 && say "running on 127.0.0.1:$PG_PORT" || say "not running"
}

"${1:-start}"
