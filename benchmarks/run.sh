#!/usr/bin/env bash
# make bench: every benchmark, side by side in one run. Figures go to docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/runbook
echo "== engine (issue 2)"
python3 benchmarks/engine.py "$BIN"
