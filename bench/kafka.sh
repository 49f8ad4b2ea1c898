#!/usr/bin/env bash
# Benchmark: file -> Kafka -> file for N lines (default 1,000,000) through a release-built worker
# with bootstrap.servers, against raw rdkafka (gateway/examples/kafka_raw.rs: an idempotent acks=all
# producer and a consumer running at once) moving the same lines through the same broker in the
# same run. The broker is tansu (scripts/tansu.sh) with its in-memory storage: nothing here resumes
# mid-batch, where that storage is wrong. Prints both rates, the ratio and the worker's peak RSS.
#   bash bench/kafka.sh [LINES]
# CARGO may name a wrapper (e.g. CARGO="flock /tmp/weir-cargo.lock cargo").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lines="${1:-1000000}"
cargo_cmd=${CARGO:-cargo}
$cargo_cmd build --quiet --release --locked --manifest-path "$root/Cargo.toml" -p gateway --bin weir --example kafka_raw
target="${CARGO_TARGET_DIR:-$root/target}/release"
tansu=$(bash "$root/scripts/tansu.sh" path)
work=$(mktemp -d /tmp/weir-kafka-bench-XXXX)
cleanup() {
  kill -TERM ${pid:-0} 2>/dev/null || true; wait ${pid:-0} 2>/dev/null || true
  kill ${broker:-0} 2>/dev/null || true; wait ${broker:-0} 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
broker=$(bash "$root/scripts/tansu.sh" start "$port" "$work/tansu" memory)
bootstrap="127.0.0.1:$port"

# ~60-byte lines, like log lines (the same generator as bench/file_copy.sh).
python3 - "$work/in.txt" "$lines" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(f"{i:09d} GET /api/v1/customers/{i % 9973} 200 {i % 977}ms user-agent=bench\n")
PY

raw_line=$("$target/examples/kafka_raw" "$bootstrap" raw-bench "$work/in.txt")
echo "$raw_line"
raw_rate=$(echo "$raw_line" | sed -E 's/.*= ([0-9]+) records\/s/\1/')

printf 'listeners=http://127.0.0.1:0\ndata.dir=%s/data\nbootstrap.servers=%s\n' "$work" "$bootstrap" >"$work/worker.properties"
"$target/weir" standalone "$work/worker.properties" 2>"$work/weir.log" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/weir.log" | head -n1 | sed 's/listening on //') || true
  [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { echo "weir did not start"; cat "$work/weir.log"; exit 1; }

start=$(date +%s.%N)
curl -sf -o /dev/null -H 'Content-Type: application/json' -X POST "$url/connectors" \
  --data "{\"name\":\"src\",\"config\":{\"connector.class\":\"FileStreamSource\",\"file\":\"$work/in.txt\",\"topic\":\"weir-bench\",\"value.converter\":\"StringConverter\"}}"
curl -sf -o /dev/null -H 'Content-Type: application/json' -X POST "$url/connectors" \
  --data "{\"name\":\"sink\",\"config\":{\"connector.class\":\"FileStreamSink\",\"file\":\"$work/out.txt\",\"topics\":\"weir-bench\",\"value.converter\":\"StringConverter\"}}"
peak=0
deadline=$(( $(date +%s) + 900 ))
while :; do
  n=$( [ -f "$work/out.txt" ] && wc -l <"$work/out.txt" || echo 0)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  [ "$rss" -gt "$peak" ] && peak=$rss
  [ "$n" -ge "$lines" ] && break
  if [ "$(date +%s)" -gt "$deadline" ]; then echo "weir copied only $n lines in 15 minutes"; tail -20 "$work/weir.log"; exit 1; fi
  sleep 0.2
done
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
rate=$(echo "$lines / $secs" | bc -l)
printf 'weir file -> Kafka -> file: %d lines in %.2f s = %.0f lines/s; peak RSS %d MiB\n' \
  "$lines" "$secs" "$rate" "$((peak / 1024))"
printf 'ratio weir / raw rdkafka: %.2f\n' "$(echo "$rate / $raw_rate" | bc -l)"
cmp -s "$work/in.txt" "$work/out.txt" && echo "output identical to input" || echo "OUTPUT DIFFERS from input"
