#!/usr/bin/env bash
# Per-call overhead of AWSKit against moto on loopback, beside Python's http.client (the
# floor for that server) and boto3, in one run. See bench.py for the method.
#
#   benchmarks/awskit/run.sh [calls]          # default 600 calls per client
#
# The AWSKit half runs through $AWSKIT_BENCH_COMMAND when set (e.g. a release build of the
# CLI's bench hook); otherwise through the BenchmarkHook test of AWSKitTests, built in
# debug with the scratch path $SCRATCH_PATH (default .build). Results: bench-results/awskit.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
calls=${1:-600}
scratch=${SCRATCH_PATH:-.build}
if [ -z "${AWSKIT_BENCH_COMMAND:-}" ]; then
  (cd "$root" && swift build --scratch-path "$scratch" --build-tests >/dev/null)
  AWSKIT_BENCH_COMMAND="cd '$root' && swift test --scratch-path '$scratch' --skip-build --filter BenchmarkHook"
fi
mkdir -p "$root/bench-results"
exec python3 "$root/benchmarks/awskit/bench.py" --calls "$calls" \
  --swift-command "$AWSKIT_BENCH_COMMAND" --json "$root/bench-results/awskit.json"
