#!/usr/bin/env bash
# make demo: runbook's main job on a local IAM endpoint. Starts moto_server on 127.0.0.1
# (managed policies loaded, signature checking on, an admin key bootstrapped), executes the
# ha-iam runbook into temporary AWS CLI files (never the operator's own), shows the run and
# the new identity through the real `aws` CLI, and stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RUNBOOK_BIN:-$(swift build --show-bin-path)/runbook}
. scripts/local-iam.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/runbook-demo.XXXXXX")
cleanup() { local_iam_stop; rm -rf "$WORK"; }
trap cleanup EXIT
local_iam_start

export RUNBOOK_HOME="$WORK/state"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials"
export AWS_CONFIG_FILE="$WORK/aws/config"
USER_NAME=automate-ha
step() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

step "local IAM endpoint: $AWS_ENDPOINT_URL (moto_server, signature checking on)"
"$BIN" doctor

step "runbook execute ha-iam --dry-run"
"$BIN" execute ha-iam --dry-run --param user_name=$USER_NAME

step "runbook execute ha-iam"
"$BIN" execute ha-iam --param user_name=$USER_NAME --param tags='{team: platform, purpose: chef-automate-ha}'

step "runbook status"
"$BIN" status

step "aws sts get-caller-identity --profile $USER_NAME (the new key, from the written profile)"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    aws sts get-caller-identity --profile $USER_NAME --endpoint-url "$AWS_ENDPOINT_URL" --output table

step "the profile as written (secret masked here)"
sed -E 's/(aws_secret_access_key = ).*/\1****/' "$AWS_SHARED_CREDENTIALS_FILE"
cat "$AWS_CONFIG_FILE"

step "done: everything above ran against 127.0.0.1; the server is stopped and the files removed"
