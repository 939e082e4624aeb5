#!/usr/bin/env bash
# make bench: every benchmark, side by side in one run. Figures go to docs/performance.md.
# Expects the release build (`swift build -c release`, with $SCRATCH_PATH if set).
set -euo pipefail
cd "$(dirname "$0")/.."
export SCRATCH_PATH=${SCRATCH_PATH:-.build}
BIN=$SCRATCH_PATH/release/runbook
echo "== engine (issue 2)"
python3 benchmarks/engine.py "$BIN"
echo "== AWSKit per-call overhead (issue 3)"
benchmarks/awskit/run.sh
echo "== ha-iam end to end (issue 4)"
benchmarks/ha-iam/run.sh
