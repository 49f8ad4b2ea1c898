#!/usr/bin/env bash
# Installs (once, cached) and starts the `tansu` Kafka-protocol broker that the Kafka tests and
# benchmarks run against. Nothing else is needed on the machine: tansu is built from crates.io.
#
#   bash scripts/tansu.sh install          # build into the cache (about 9 minutes the first time)
#   bash scripts/tansu.sh path             # print the cached binary's path
#   bash scripts/tansu.sh start PORT [DIR] [ENGINE]
#                                          # start a broker on 127.0.0.1:PORT in the background,
#                                          # wait until it accepts connections, print its pid
#
# Storage: ENGINE `sqlite` (default: DIR/tansu.db, one record per row) or `memory`.
# tansu 0.6.0's memory engine answers a fetch that starts inside a record batch with the *next*
# batch, so a consumer resuming from a committed offset in the middle of a batch skips records;
# the SQL engines fetch by record offset and do not. Tests therefore use sqlite; the memory
# engine is kept for benchmarks that never resume mid-batch.
#
# The cache lives in ${WEIR_CACHE:-$HOME/.cache/weir}/tansu-$TANSU_VERSION-$FEATURES; delete it
# to rebuild. Concurrent callers wait for one build (flock).
set -euo pipefail

TANSU_VERSION="${TANSU_VERSION:-0.6.0}"
TANSU_FEATURES="${TANSU_FEATURES:-dynostore,libsql}"
CACHE="${WEIR_CACHE:-$HOME/.cache/weir}"
ROOT="$CACHE/tansu-$TANSU_VERSION-${TANSU_FEATURES//,/-}"
BIN="$ROOT/bin/tansu"

install() {
  if [ -x "$BIN" ]; then
    return 0
  fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/tansu.lock"
  flock 9
  if [ -x "$BIN" ]; then
    return 0
  fi
  mkdir -p "$ROOT"
  echo "building tansu $TANSU_VERSION ($TANSU_FEATURES) into $ROOT (once; about 10 minutes)" >&2
  # A target dir of its own, so the build neither reuses nor pollutes the workspace's.
  CARGO_TARGET_DIR="$CACHE/tansu-build" \
    cargo install tansu --version "$TANSU_VERSION" --locked --features "$TANSU_FEATURES" --root "$ROOT" >&2
  rm -rf "$CACHE/tansu-build"
}

start() {
  local port="$1" dir="${2:-$(mktemp -d)}" engine="${3:-sqlite}"
  install
  mkdir -p "$dir"
  local url
  case "$engine" in
    # tansu resolves a sqlite URL against its working directory.
    sqlite) url="sqlite://tansu.db" ;;
    memory) url="memory://tansu/" ;;
    *) echo "unknown storage engine $engine (sqlite | memory)" >&2; return 2 ;;
  esac
  (cd "$dir" && exec "$BIN" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "$url") >"$dir/tansu.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "tansu exited; its log:" >&2
      cat "$dir/tansu.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "tansu did not listen on 127.0.0.1:$port within 10 s; its log: $dir/tansu.log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

case "${1:-}" in
  install) install ;;
  path) install; echo "$BIN" ;;
  start) shift; start "$@" ;;
  *) echo "usage: $0 install | path | start PORT [DIR] [sqlite|memory]" >&2; exit 2 ;;
esac
