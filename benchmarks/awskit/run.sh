#!/usr/bin/env bash
# Per-call overhead of AWSKit against moto on loopback, beside Python's http.client (the
# floor for that server) and boto3, in one run. See bench.py for the method.
#
#   benchmarks/awskit/run.sh [calls]          # default 600 calls per client
#
# The AWSKit half is the release build of the awskit-bench target (benchmarks/awskit/Sources),
# built here if needed with the scratch path $SCRATCH_PATH (default .build); set
# $AWSKIT_BENCH_COMMAND to run another command instead. Results: bench-results/awskit.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
calls=${1:-600}
scratch=${SCRATCH_PATH:-.build}
if [ -z "${AWSKIT_BENCH_COMMAND:-}" ]; then
  (cd "$root" && swift build -c release --scratch-path "$scratch" --product awskit-bench >/dev/null)
  bin=$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/awskit-bench
  AWSKIT_BENCH_COMMAND=$(printf '%q' "$bin")
fi
mkdir -p "$root/bench-results"
exec python3 "$root/benchmarks/awskit/bench.py" --calls "$calls" \
  --swift-command "$AWSKIT_BENCH_COMMAND" --json "$root/bench-results/awskit.json"
