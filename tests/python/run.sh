#!/usr/bin/env bash
# The confluent-kafka (Python) client tests against a running Weir.
#   WEIR_URL=http://host:port bash tests/python/run.sh   # against a Weir you started
#   bash tests/python/run.sh                             # builds and starts one itself
# The virtualenv lives in tests/.venv (gitignored). Extra arguments go to pytest.
# CARGO may name a wrapper (e.g. CARGO="flock /tmp/weir-cargo.lock cargo").
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
venv="$root/tests/.venv"
cargo_cmd=${CARGO:-cargo}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import confluent_kafka, fastavro, jsonschema, google.protobuf, pytest, requests, attrs, cachetools, httpx, authlib" 2>/dev/null; then
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "confluent-kafka[avro,json,protobuf]" fastavro jsonschema protobuf pytest requests
fi

server_pid=""
kafka_weir_pid=""
broker_pid=""
tmp=""
cleanup() {
  for pid in "$server_pid" "$kafka_weir_pid" "$broker_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Waits for "listening on http://HOST:PORT" in $1 (written by process $2) and prints the URL.
wait_listening() {
  for _ in $(seq 1 150); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$1" 2>/dev/null | head -n1 | sed 's/listening on //') || true
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    if ! kill -0 "${2:-$server_pid}" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

if [ -z "${WEIR_URL:-}" ]; then
  tmp=$(mktemp -d)
  # tests/run.sh passes the binary the workspace build made (WEIR_BIN); alone, build it.
  bin=${WEIR_BIN:-}
  if [ -z "$bin" ]; then
    $cargo_cmd build -q -p gateway --bin weir
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/weir"
  fi
  printf 'listeners=http://127.0.0.1:0\ndata.dir=%s/weir-data\n' "$tmp" > "$tmp/worker.properties"
  "$bin" standalone "$tmp/worker.properties" > "$tmp/weir.log" 2>&1 &
  server_pid=$!
  url=$(wait_listening "$tmp/weir.log") || { cat "$tmp/weir.log"; exit 1; }
  echo "== testing against weir standalone at $url"
  export WEIR_URL="$url"
fi

# The Kafka interop tests: a tansu broker (scripts/tansu.sh, built once) and a worker on it.
if [ -z "${WEIR_KAFKA_URL:-}" ]; then
  tmp=${tmp:-$(mktemp -d)}
  bin=${WEIR_BIN:-${bin:-}}
  if [ -z "$bin" ]; then
    $cargo_cmd build -q -p gateway --bin weir
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/weir"
  fi
  port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  broker_pid=$(bash "$root/scripts/tansu.sh" start "$port" "$tmp/tansu")
  export KAFKA_BOOTSTRAP="127.0.0.1:$port"
  printf 'listeners=http://127.0.0.1:0\ndata.dir=%s/weir-kafka-data\nbootstrap.servers=%s\noffset.flush.interval.ms=200\n' \
    "$tmp" "$KAFKA_BOOTSTRAP" > "$tmp/worker-kafka.properties"
  "$bin" standalone "$tmp/worker-kafka.properties" > "$tmp/weir-kafka.log" 2>&1 &
  kafka_weir_pid=$!
  kafka_url=$(wait_listening "$tmp/weir-kafka.log" "$kafka_weir_pid") || { cat "$tmp/weir-kafka.log"; exit 1; }
  echo "== Kafka interop against weir at $kafka_url on tansu at $KAFKA_BOOTSTRAP"
  export WEIR_KAFKA_URL="$kafka_url"
fi

"$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/tests/python" "$@"
