#!/usr/bin/env bash
# Weir's main job on the embedded defaults, with nothing else installed: a worker takes customer
# records pushed over HTTP (an HttpSource that infers their schema), writes them to a topic in
# the embedded log, and a FileStreamSink copies the topic into a file. The same job runs on Kafka
# when the worker is given a broker (below).
#
#   bash examples/http-ingest/run.sh           # push the sample, show the result, stop cleanly
#   bash examples/http-ingest/run.sh --serve   # ... and keep the worker running for curl (Ctrl-C stops it)
#   WEIR_BOOTSTRAP_SERVERS=HOST:9092 bash examples/http-ingest/run.sh   # the topic in Kafka
#
# Everything it writes goes to ./weir-example/ (override with WEIR_EXAMPLE_DIR). The worker's
# config is ./weir-example/worker.properties: copied from examples/http-ingest/ on the first run,
# then yours to edit (add bootstrap.servers=HOST:9092 there to run on Kafka every time); the
# script sets listeners and data.dir itself, and WEIR_BOOTSTRAP_SERVERS, when set, wins over the
# file's bootstrap.servers. The worker listens on 127.0.0.1:8083 (WEIR_PORT overrides; 0 picks a
# free port). WEIR_BIN skips the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/examples/http-ingest"
work="${WEIR_EXAMPLE_DIR:-$PWD/weir-example}"
port="${WEIR_PORT:-8083}"
serve=0; [ "${1:-}" = "--serve" ] && serve=1

if [ -n "${WEIR_BIN:-}" ]; then
  bin="$WEIR_BIN"
else
  echo "building weir (release)..."
  cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p gateway --bin weir
  bin="${CARGO_TARGET_DIR:-$root/target}/release/weir"
fi

mkdir -p "$work"
rm -rf "$work/output.jsonl" "$work/data"   # each run starts fresh
# The user's worker.properties (the sample's on the first run), plus what the script sets.
[ -f "$work/worker.properties" ] || cp "$here/worker.properties" "$work/worker.properties"
config="$work/worker.run.properties"
{
  grep -Ev '^[[:space:]]*(listeners|data\.dir)[[:space:]]*[=:]' "$work/worker.properties" || true
  printf 'listeners=http://127.0.0.1:%s\ndata.dir=%s/data\n' "$port" "$work"
  if [ -n "${WEIR_BOOTSTRAP_SERVERS:-}" ]; then
    printf 'bootstrap.servers=%s\n' "$WEIR_BOOTSTRAP_SERVERS"
  fi
} >"$config"
# The last bootstrap.servers line is the one the worker uses.
bootstrap=$(sed -nE 's/^[[:space:]]*bootstrap\.servers[[:space:]]*[=:][[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1/p' "$config" | tail -n1)
if [ -n "$bootstrap" ]; then
  where="in Kafka at $bootstrap"
else
  where="in the embedded log under $work/data"
fi
cp "$here/customers-in.json" "$work/customers-in.json"
sed "s#OUTPUT#$work/output.jsonl#" "$here/customers-out.properties" >"$work/customers-out.properties"

"$bin" standalone "$config" "$work/customers-in.json" "$work/customers-out.properties" \
  2>"$work/weir.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT

url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/weir.log" | head -n1 | sed 's/listening on //') || true
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "weir did not start; see $work/weir.log"; exit 1; }
for _ in $(seq 1 300); do
  curl -s "$url/connectors/customers-in/status" | grep -q '"state":"RUNNING".*"state":"RUNNING"' && break
  sleep 0.1
done

echo
echo "pushing $here/customers.ndjson:"
echo "  curl -s -X POST -H 'Content-Type: application/x-ndjson' --data-binary @examples/http-ingest/customers.ndjson $url/ingest/customers-in"
echo -n "  -> "
curl -s -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$here/customers.ndjson" "$url/ingest/customers-in"
echo

want=$(grep -c . "$here/customers.ndjson")
for _ in $(seq 1 600); do
  [ -f "$work/output.jsonl" ] && [ "$(wc -l <"$work/output.jsonl")" -ge "$want" ] && break
  sleep 0.1
done

echo
echo "Weir is listening on $url"
echo "wrote $(wc -l <"$work/output.jsonl" 2>/dev/null || echo 0) of $want records:"
echo "  topic : customers, $where"
echo "  config: $work/worker.properties   (yours to edit; bootstrap.servers=HOST:9092 runs on Kafka)"
echo "  output: $work/output.jsonl   (one JSON line per record, copied from the topic)"
echo "  logs  : $work/weir.log"
echo
head -n 3 "$work/output.jsonl" 2>/dev/null || true
echo
echo "the schema inferred from the records, registered by the AvroConverter:"
echo "  curl -s $url/subjects/customers-value/versions/latest"
curl -s "$url/subjects/customers-value/versions/latest"; echo
echo
echo "a record whose field changes type is refused, and nothing of its push is written:"
echo "  curl -s -X POST --data '[{\"customer_id\": \"nine\"}]' $url/ingest/customers-in"
echo -n "  -> "
curl -s -X POST --data '[{"customer_id": "nine"}]' "$url/ingest/customers-in"; echo

if [ "$serve" = 1 ]; then
  echo
  echo "The worker keeps running. Try, in another shell:"
  echo "  curl -s -X POST --data '[{\"customer_id\": 9, \"name\": \"Zoe\", \"country\": \"NO\"}]' $url/ingest/customers-in"
  echo "  tail -f $work/output.jsonl"
  echo "  curl -s $url/subjects/customers-value/versions      # a new optional field: a new version"
  echo "Ctrl-C stops it (the source closes, the sink flushes and commits)."
  wait $pid
fi
