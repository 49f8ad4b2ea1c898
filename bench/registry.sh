#!/usr/bin/env bash
# Schema registry figures: registration of 1,000 evolving versions, a 50-field check, and
# GET /schemas/ids/{id} over keep-alive with wrk (Debian package `wrk`).
#   bash bench/registry.sh [wrk seconds]
#   WEIR_BENCH_GROWING=1 bash bench/registry.sh   # also the growing record (1,000 fields at the
#                                                 # end: ~8 s on the 2-core machine)
# CARGO may name a wrapper (e.g. CARGO="flock /tmp/weir-cargo.lock cargo").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cargo_cmd=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-$root/target}
seconds=${1:-10}

command -v wrk > /dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
$cargo_cmd build -q --release -p gateway --example registry_bench --example registry_server

echo "== registration and checks"
if [ -n "${WEIR_BENCH_GROWING:-}" ]; then
  "$target/release/examples/registry_bench" 1000
else
  "$target/release/examples/registry_bench" 1000 --no-growing
fi

tmp=$(mktemp -d)
"$target/release/examples/registry_server" 127.0.0.1:0 "$tmp/data" > "$tmp/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[0-9.:]*' "$tmp/server.log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/server.log"; exit 1; }
curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  --data '{"schema":"{\"type\":\"record\",\"name\":\"Click\",\"fields\":[{\"name\":\"page\",\"type\":\"string\"},{\"name\":\"at\",\"type\":\"long\"}]}"}' \
  "$url/subjects/clicks-value/versions" > /dev/null
echo "== GET /schemas/ids/1, keep-alive, 2 threads, 32 connections, ${seconds}s"
wrk -t2 -c32 -d"${seconds}s" "$url/schemas/ids/1"
