#!/usr/bin/env bash
# Embedded log throughput: append and read of 200-byte records in batches of 1,000.
# Builds the criterion bench under the shared cargo lock, then runs it outside the lock.
# Usage: bench/log.sh [criterion filter, e.g. append]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
lock=(flock /tmp/weir-cargo.lock)
[ -e /tmp/weir-cargo.lock ] || lock=()
bin=$("${lock[@]}" cargo bench -p gateway --bench embedded_log --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "embedded_log" and m.get("executable"):
        print(m["executable"])')
echo "running $bin" >&2
# TMPDIR decides which disk the log's database lands on.
"$bin" --bench "$@"
