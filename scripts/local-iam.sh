# Sourced by scripts/demo.sh and the benchmarks: starts moto_server on 127.0.0.1 and a free
# port as a local IAM/STS endpoint with AWS managed policies loaded and signature checking
# on, bootstraps an administrator with the first (unsigned) calls, and exports the
# AWS_* variables that point at it. `local_iam_stop` stops it.

local_iam_start() {
    LOCAL_IAM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/runbook-local-iam.XXXXXX")
    LOCAL_IAM_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # The first 3 requests may be unsigned: they create the admin user, its policy and its key.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true INITIAL_NO_AUTH_ACTION_COUNT=3 \
        moto_server -H 127.0.0.1 -p "$LOCAL_IAM_PORT" >"$LOCAL_IAM_DIR/moto.log" 2>&1 &
    LOCAL_IAM_PID=$!
    local endpoint="http://127.0.0.1:$LOCAL_IAM_PORT"
    local keys
    keys=$(python3 - "$endpoint" <<'PY'
import sys, time, urllib.parse, urllib.request, xml.etree.ElementTree as ET
endpoint = sys.argv[1]
for _ in range(300):
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("moto_server did not start")
def call(**params):
    params["Version"] = "2010-05-08"
    request = urllib.request.Request(endpoint + "/", data=urllib.parse.urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=bootstrap/20240101/us-east-1/iam/aws4_request"})
    return urllib.request.urlopen(request, timeout=10).read()
call(Action="CreateUser", UserName="local-admin")
call(Action="AttachUserPolicy", UserName="local-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
root = ET.fromstring(call(Action="CreateAccessKey", UserName="local-admin"))
ns = {"i": root.tag.split("}")[0].strip("{")}
print(root.find(".//i:AccessKeyId", ns).text, root.find(".//i:SecretAccessKey", ns).text)
PY
) || { cat "$LOCAL_IAM_DIR/moto.log" >&2; local_iam_stop; return 1; }
    export AWS_ACCESS_KEY_ID=${keys%% *}
    export AWS_SECRET_ACCESS_KEY=${keys##* }
    export AWS_ENDPOINT_URL=$endpoint
    export AWS_REGION=us-east-1
    unset AWS_PROFILE AWS_SESSION_TOKEN
}

local_iam_stop() {
    if [ -n "${LOCAL_IAM_PID:-}" ]; then
        kill "$LOCAL_IAM_PID" 2>/dev/null || true
        wait "$LOCAL_IAM_PID" 2>/dev/null || true
        LOCAL_IAM_PID=
    fi
    [ -n "${LOCAL_IAM_DIR:-}" ] && rm -rf "$LOCAL_IAM_DIR"
    return 0
}
