#!/usr/bin/env bash
# Apache Kafka, single node in KRaft combined mode, from the official jars on Maven Central.
# Usage: kafka.sh install|start|stop|status
COMPONENT=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
DATA="$STATE/kafka/data"
CONF="$STATE/kafka/server.properties"
PIDFILE="$STATE/pids/kafka.pid"

install() {
  command -v java >/dev/null || die "Java not found: install a Java 17 runtime (Debian: openjdk-17-jre-headless)"
  java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])' || die "Kafka $KAFKA_VERSION needs Java 17 or newer"
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  say "resolving Kafka $KAFKA_VERSION and its dependencies from Maven Central"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" >"$STATE/logs/kafka-maven.log" 2>&1 \
    || die "Maven could not resolve Kafka (is Maven Central reachable?); see $STATE/logs/kafka-maven.log"
  touch "$LIBS/.complete"
}

JAVA_OPTS=(-Xms512m -Xmx1g -Dkafka.logs.dir="$STATE/logs/kafka"
  -Dlog4j2.configurationFile="$ROOT/deploy/local/kafka/log4j2.properties" -cp "$LIBS/*")
run_java() { java "${JAVA_OPTS[@]}" "$@"; }

configure() {
  mkdir -p "$DATA" "$STATE/logs/kafka"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA|g" \
    "$ROOT/deploy/local/kafka/server.properties.in" > "$CONF"
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local cluster_id; cluster_id=$(run_java kafka.tools.StorageTool random-uuid)
    say "formatting storage with cluster id $cluster_id"
    run_java kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF" >"$STATE/logs/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $STATE/logs/kafka-format.log"
  fi
}

broker_ready() { grep -q "Kafka Server started" "$STATE/logs/kafka/server.log" 2>/dev/null && port_open "$KAFKA_PORT"; }

start() {
  install
  if pid_alive "$PIDFILE"; then say "already running on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  for port in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    port_open "$port" && die "port $port is taken by another process (set KAFKA_PORT/CONTROLLER_PORT)"
  done
  configure
  : > "$STATE/logs/kafka/server.log"
  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  setsid java "${JAVA_OPTS[@]}" kafka.Kafka "$CONF" >"$STATE/logs/kafka-stdout.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  wait_until 90 "Kafka" broker_ready || {
    tail -n 20 "$STATE/logs/kafka-stdout.log" "$STATE/logs/kafka/server.log" >&2 || true
    die "Kafka did not become ready within 90 s; logs in $STATE/logs/kafka"; }
  say "ready"
}

stop() { stop_pid "$PIDFILE"; say "stopped"; }
status() { pid_alive "$PIDFILE" && say "running (pid $(cat "$PIDFILE")) on 127.0.0.1:$KAFKA_PORT" || say "not running"; }

"${1:-start}"
