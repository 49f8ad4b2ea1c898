#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it (`bash .ci/run` calls this).
# Works on a brand-new machine of the project's kind: it installs or starts what it needs.
#   bash tests/run.sh            # everything
#   WEIR_SKIP_PYTHON=1 ...       # skip the confluent-kafka client tests (they need PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."

# Services the tests use (already running on a machine of this kind; started if not).
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

# The Kafka tests run against a real Kafka-protocol broker: tansu, built from crates.io once into
# ~/.cache/weir (about 10 minutes the first time), then started per test on a free port.
echo "== the tansu broker for the Kafka tests"
WEIR_TANSU_BIN=$(bash scripts/tansu.sh path)
export WEIR_TANSU_BIN

echo "== cargo build (the weir binary and all test targets)"
cargo build --workspace --all-targets --locked

# The end-to-end tests run the weir binary this build made (the harness would otherwise build it
# again with `-p gateway`, whose different feature set means a second full build).
export WEIR_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/weir"

echo "== cargo test"
cargo test --workspace --locked -- --test-threads="${WEIR_TEST_THREADS:-2}"

if [ -z "${WEIR_SKIP_PYTHON:-}" ] && [ -f tests/python/run.sh ]; then
  echo "== real clients (confluent-kafka, Python)"
  bash tests/python/run.sh
fi
