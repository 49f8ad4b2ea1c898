#!/usr/bin/env bash
# Weir's main job on the embedded defaults, with nothing else installed: a worker copies a file
# through a topic (in the embedded log under data.dir) into another file.
#
#   bash examples/file-copy/run.sh           # copy, show the result, stop cleanly
#   bash examples/file-copy/run.sh --serve   # ... and keep the worker running for curl (Ctrl-C stops it)
#
# Everything it writes goes to ./weir-example/ (override with WEIR_EXAMPLE_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${WEIR_EXAMPLE_DIR:-$PWD/weir-example}"
serve=0; [ "${1:-}" = "--serve" ] && serve=1

echo "building weir (release)..."
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p gateway --bin weir
bin="${CARGO_TARGET_DIR:-$root/target}/release/weir"

mkdir -p "$work"
cp "$root/examples/file-copy/worker.properties" "$work/worker.properties"
echo "data.dir=$work/data" >>"$work/worker.properties"
cp "$root/examples/file-copy/customers.jsonl" "$work/input.jsonl"
sed "s#INPUT#$work/input.jsonl#" "$root/examples/file-copy/file-source.json" >"$work/file-source.json"
sed "s#OUTPUT#$work/output.jsonl#" "$root/examples/file-copy/file-sink.properties" >"$work/file-sink.properties"
rm -rf "$work/output.jsonl" "$work/data"   # each run starts fresh

"$bin" standalone "$work/worker.properties" "$work/file-source.json" "$work/file-sink.properties" \
  2>"$work/weir.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/weir.log" | head -n1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "weir did not start; see $work/weir.log"; exit 1; }

want=$(wc -l <"$work/input.jsonl")
for _ in $(seq 1 200); do
  [ -f "$work/output.jsonl" ] && [ "$(wc -l <"$work/output.jsonl")" -ge "$want" ] && break
  sleep 0.1
done

echo
echo "Weir is listening on $url"
echo "copied $(wc -l <"$work/output.jsonl" 2>/dev/null || echo 0) of $want records:"
echo "  input : $work/input.jsonl"
echo "  output: $work/output.jsonl   (one JSON line per record)"
echo "  state : $work/data            (connector configs, offsets, the embedded log)"
echo "  logs  : $work/weir.log"
echo
head -n 3 "$work/output.jsonl" 2>/dev/null || true
echo
echo "connector status:"
curl -s "$url/connectors?expand=status"; echo

if [ "$serve" = 1 ]; then
  echo
  echo "The worker keeps running. Try, in another shell:"
  echo "  echo '{\"customer_id\": 99, \"name\": \"Zoe\"}' >> $work/input.jsonl; tail -f $work/output.jsonl"
  echo "  curl -s $url/connectors/file-source/status"
  echo "Ctrl-C stops it (sources stop, sinks flush, offsets are committed)."
  wait $pid
fi
