#!/usr/bin/env bash
# ha-iam end to end against moto on loopback: `runbook execute ha-iam` (release build) beside
# boto3_ha_iam.py, the same AWS calls with no checkpoints, alternating, in one run. See
# bench.py for the method. Results: bench-results/ha-iam.json.
#
#   benchmarks/ha-iam/run.sh [runs]          # default 10 timed runs of each
#
# The runbook binary is $RUNBOOK_BIN, else <scratch>/release/runbook with the scratch path
# $SCRATCH_PATH (default .build), as `make bench` builds it. Until the IAM plugins are in the
# build, the runbook half is skipped with a message; $HA_IAM_RUNBOOK_COMMAND replaces it with
# another command line ({user} = the run's user name), e.g. a stand-in to test the harness.
# The per-request floor is read from bench-results/awskit.json (benchmarks/awskit/run.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10}
scratch=${SCRATCH_PATH:-.build}
case "$scratch" in /*) ;; *) scratch="$root/$scratch" ;; esac
args=(--runs "$runs" --runbook "${RUNBOOK_BIN:-$scratch/release/runbook}" --json "$root/bench-results/ha-iam.json")
if [ -n "${HA_IAM_RUNBOOK_COMMAND:-}" ]; then
  args+=(--runbook-command "$HA_IAM_RUNBOOK_COMMAND")
fi
mkdir -p "$root/bench-results"
exec python3 "$root/benchmarks/ha-iam/bench.py" "${args[@]}"
