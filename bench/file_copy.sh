#!/usr/bin/env bash
# Benchmark: file -> embedded log -> file for N lines (default 1,000,000) through a real
# release-built worker. Prints lines/s end to end and the worker's peak RSS (VmHWM).
#   bash bench/file_copy.sh [LINES]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lines="${1:-1000000}"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p gateway --bin weir
bin="${CARGO_TARGET_DIR:-$root/target}/release/weir"
work=$(mktemp -d /tmp/weir-bench-XXXX)
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; wait ${pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

# ~60-byte lines, like log lines.
python3 - "$work/in.txt" "$lines" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(f"{i:09d} GET /api/v1/customers/{i % 9973} 200 {i % 977}ms user-agent=bench\n")
PY
printf 'listeners=http://127.0.0.1:0\ndata.dir=%s/data\n' "$work" >"$work/worker.properties"
"$bin" standalone "$work/worker.properties" 2>"$work/weir.log" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/weir.log" | head -n1 | sed 's/listening on //') || true
  [ -n "$url" ] && break; sleep 0.1
done
[ -n "$url" ] || { echo "weir did not start"; cat "$work/weir.log"; exit 1; }

start=$(date +%s.%N)
curl -sf -o /dev/null -H 'Content-Type: application/json' -X POST "$url/connectors" \
  --data "{\"name\":\"src\",\"config\":{\"connector.class\":\"FileStreamSource\",\"file\":\"$work/in.txt\",\"topic\":\"bench\",\"value.converter\":\"StringConverter\"}}"
curl -sf -o /dev/null -H 'Content-Type: application/json' -X POST "$url/connectors" \
  --data "{\"name\":\"sink\",\"config\":{\"connector.class\":\"FileStreamSink\",\"file\":\"$work/out.txt\",\"topics\":\"bench\",\"value.converter\":\"StringConverter\"}}"
peak=0
while :; do
  n=$( [ -f "$work/out.txt" ] && wc -l <"$work/out.txt" || echo 0)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  [ "$rss" -gt "$peak" ] && peak=$rss
  [ "$n" -ge "$lines" ] && break
  sleep 0.2
done
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
rate=$(echo "$lines / $secs" | bc -l)
printf 'file -> embedded log -> file: %d lines in %.2f s = %.0f lines/s; peak RSS %d MiB\n' \
  "$lines" "$secs" "$rate" "$((peak / 1024))"
cmp -s "$work/in.txt" "$work/out.txt" && echo "output identical to input" || echo "OUTPUT DIFFERS from input"
