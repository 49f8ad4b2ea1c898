#!/usr/bin/env bash
# HTTP ingestion figures: 1,000,000 customer-shaped JSON records (~120 bytes) pushed in batches
# of 1,000 over keep-alive connections into an HttpSource with an inferred schema, into the
# embedded log; prints records/s and the worker's peak RSS.
#   bash bench/ingest.sh [records] [connections] [value converter] [embedded|kafka]
#   e.g. bash bench/ingest.sh 1000000 4 AvroConverter
# kafka: the worker runs with bootstrap.servers on a tansu broker (scripts/tansu.sh, in-memory
# storage), and raw rdkafka (gateway/examples/kafka_produce_raw.rs) first produces the same
# number of pre-encoded records to the same broker; the ratio is printed.
# CARGO may name a wrapper (e.g. CARGO="flock /tmp/weir-cargo.lock cargo"); WEIR_BENCH_SKIP_BUILD=1
# runs what is built (build under the shared lock, run outside it). WEIR_BENCH_WORKER adds
# worker.properties lines (e.g. WEIR_BENCH_WORKER=$'producer.linger.ms=5'). WEIR_BENCH_PERF=FILE
# records the worker with `perf record -g` while the load runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cargo_cmd=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-$root/target}
records=${1:-1000000}
connections=${2:-4}
converter=${3:-JsonConverter}
log=${4:-embedded}

if [ -z "${WEIR_BENCH_SKIP_BUILD:-}" ]; then
  $cargo_cmd build -q --release -p gateway --bin weir --example ingest_load --example kafka_produce_raw
fi

tmp=$(mktemp -d)
pid=""; broker=""
cleanup() {
  # Only processes this script started, by pid (never `kill 0`: that is the process group).
  for p in $pid $broker; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
printf 'listeners=http://127.0.0.1:0\ndata.dir=%s/data\n%s\n' "$tmp" "${WEIR_BENCH_WORKER:-}" > "$tmp/worker.properties"
raw_rate=""
if [ "$log" = kafka ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  broker=$(bash "$root/scripts/tansu.sh" start "$port" "$tmp/tansu" memory)
  echo "bootstrap.servers=127.0.0.1:$port" >> "$tmp/worker.properties"
  raw_line=$("$target/release/examples/kafka_produce_raw" "127.0.0.1:$port" raw-bench "$records")
  echo "$raw_line"
  raw_rate=$(echo "$raw_line" | sed -E 's/.*= ([0-9]+) records\/s/\1/')
fi
"$target/release/weir" standalone "$tmp/worker.properties" > "$tmp/weir.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$tmp/weir.log" | head -n1 | sed 's/listening on //' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/weir.log"; exit 1; }

curl -sf -X POST -H 'Content-Type: application/json' --data "{\"name\": \"customers-in\", \"config\": {
  \"connector.class\": \"HttpSource\", \"topic\": \"customers\", \"value.schema.infer\": \"true\",
  \"value.converter\": \"$converter\"}}" "$url/connectors" > /dev/null
for _ in $(seq 1 100); do
  [ "$(curl -s "$url/connectors/customers-in/status" | grep -o "\"state\":\"RUNNING\"" | wc -l)" -ge 2 ] && break
  sleep 0.1
done

echo "== $converter, $log log, $connections connections"
perf_pid=""
if [ -n "${WEIR_BENCH_PERF:-}" ]; then
  # WEIR_BENCH_PERF_ALL=1: the whole machine (worker, broker, load generator), else the worker.
  if [ -n "${WEIR_BENCH_PERF_ALL:-}" ]; then target_args=(-a); else target_args=(-p "$pid"); fi
  perf record -F 499 -g "${target_args[@]}" -o "$WEIR_BENCH_PERF" > /dev/null 2>&1 &
  perf_pid=$!
  sleep 0.5
fi
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_before=$(cpu_ticks "$pid")
broker_before=""; [ -n "$broker" ] && broker_before=$(cpu_ticks "$broker")
line=$("$target/release/examples/ingest_load" "$url" customers-in "$records" 1000 "$connections" | tail -n1)
cpu_after=$(cpu_ticks "$pid")
if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
echo "$line"
hz=$(getconf CLK_TCK)
echo "worker CPU: $(python3 -c "print(f'{($cpu_after - $cpu_before) / $hz:.2f} s = {($cpu_after - $cpu_before) / $hz * 1e6 / $records:.2f} us per record')")"
if [ -n "$broker_before" ]; then
  echo "broker CPU: $(python3 -c "print(f'{($(cpu_ticks "$broker") - $broker_before) / $hz:.2f} s')")"
fi
if [ -n "$raw_rate" ]; then
  rate=$(echo "$line" | sed -E 's/.*: ([0-9]+) records\/s.*/\1/')
  echo "weir / raw rdkafka = $(python3 -c "print(f'{$rate / $raw_rate:.0%}')")"
fi
grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | sed 's/^/worker /'
curl -s "$url/metrics" | grep 'records_written_total{connector="customers-in"' || true
if [ "$converter" = "AvroConverter" ]; then
  echo "registered schema:"; curl -s "$url/subjects/customers-value/versions/latest"; echo
fi
