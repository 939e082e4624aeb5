#!/usr/bin/env python3
"""Per-call client overhead of AWSKit against moto on loopback.

Starts moto_server (127.0.0.1, free port, managed policies loaded, signature checking on
after the admin is bootstrapped), then times N sequential IAM GetUser calls made by:

  floor   Python http.client, SigV4 signed by hand (hashlib/hmac): the least a client can
          do against this server, so the floor for it.
  boto3   boto3's IAM client.
  awskit  AWSKit, through an external command (see --swift-command), optional.

Clients run in interleaved rounds after a warm-up, so drift in the server's speed is
shared fairly. Prints a table and writes JSON with --json.

The Swift half: any command that, given the environment

    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION
    AWSKIT_BENCH_CALLS (calls to time), AWSKIT_BENCH_WARMUP, AWSKIT_BENCH_USER (user to get)
    AWSKIT_BENCH_OUTPUT (a file path)

makes AWSKIT_BENCH_WARMUP untimed then AWSKIT_BENCH_CALLS timed sequential
IAMClient.getUser(userName:) calls with one client, and writes to AWSKIT_BENCH_OUTPUT
a JSON object {"client": "awskit", "latencies_ms": [...]}.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ADMIN = "bench-admin"
SUBJECT = "bench-subject"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_call(port, body):
    """An unsigned call; only for the INITIAL_NO_AUTH_ACTION_COUNT bootstrap."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        # moto routes by the service in the credential scope; it does not check it yet.
        "Authorization": "AWS4-HMAC-SHA256 Credential=bootstrap/20200101/us-east-1/iam/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    })
    response = conn.getresponse()
    data = response.read().decode()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"bootstrap call failed: HTTP {response.status}: {data[:300]}")
    return data


def start_moto(log=None):
    """moto_server with signature checking on after the admin (and SUBJECT) are bootstrapped.
    Returns (process, port, admin key id, admin secret); its log goes to `log` (a file)."""
    port = free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", INITIAL_NO_AUTH_ACTION_COUNT="4",
               PYTHONUNBUFFERED="1")
    log = log or tempfile.TemporaryFile()
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/moto-api/")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto_server did not start")
    raw_call(port, f"Action=CreateUser&Version=2010-05-08&UserName={ADMIN}")
    raw_call(port, f"Action=AttachUserPolicy&Version=2010-05-08&UserName={ADMIN}"
                   "&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess")
    created = raw_call(port, f"Action=CreateAccessKey&Version=2010-05-08&UserName={ADMIN}")
    raw_call(port, f"Action=CreateUser&Version=2010-05-08&UserName={SUBJECT}")
    key = re.search(r"<AccessKeyId>(.*?)</AccessKeyId>", created).group(1)
    secret = re.search(r"<SecretAccessKey>(.*?)</SecretAccessKey>", created).group(1)
    return proc, port, key, secret


def stop_moto(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class Floor:
    """http.client on one HTTPConnection (it reconnects when moto closes), signed by hand."""

    name = "floor"

    def __init__(self, port, key, secret):
        self.port, self.key, self.secret = port, key, secret
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.host = f"127.0.0.1:{port}"
        self.body = urllib.parse.urlencode({"Action": "GetUser", "Version": "2010-05-08", "UserName": SUBJECT})

    def call(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        content_type = "application/x-www-form-urlencoded; charset=utf-8"
        payload_hash = hashlib.sha256(self.body.encode()).hexdigest()
        canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}", f"host:{self.host}",
                               f"x-amz-date:{amz_date}", "", "content-type;host;x-amz-date", payload_hash])
        scope = f"{day}/us-east-1/iam/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + self.secret).encode()
        for part in (day, "us-east-1", "iam", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        self.conn.request("POST", "/", body=self.body, headers={
            "Host": self.host, "Content-Type": content_type, "X-Amz-Date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.key}/{scope}, "
                             f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}",
        })
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200 or b"<UserName>" not in data:
            raise RuntimeError(f"floor GetUser failed: HTTP {response.status}")


class Boto3:
    name = "boto3"

    def __init__(self, port, key, secret):
        import boto3
        self.client = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                   aws_access_key_id=key, aws_secret_access_key=secret)

    def call(self):
        self.client.get_user(UserName=SUBJECT)


def time_python(client, calls, warmup):
    for _ in range(warmup):
        client.call()
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        client.call()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def time_swift(command, port, key, secret, calls, warmup):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_REGION="us-east-1",
                   AWSKIT_BENCH_CALLS=str(calls), AWSKIT_BENCH_WARMUP=str(warmup),
                   AWSKIT_BENCH_USER=SUBJECT, AWSKIT_BENCH_OUTPUT=out.name)
        result = subprocess.run(command, shell=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if result.returncode != 0:
            raise RuntimeError(f"swift half failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
        with open(out.name) as f:
            return json.load(f)["latencies_ms"]


def summary(latencies):
    ordered = sorted(latencies)
    return {
        "calls": len(latencies),
        "mean_ms": statistics.fmean(latencies),
        "median_ms": statistics.median(latencies),
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
        "total_s": sum(latencies) / 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="timed calls per client (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds the calls are split into")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls per client and round")
    parser.add_argument("--swift-command", default=os.environ.get("AWSKIT_BENCH_COMMAND"),
                        help="command that runs the AWSKit half (default: $AWSKIT_BENCH_COMMAND)")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args()

    proc, port, key, secret = start_moto()
    try:
        per_round = max(1, args.calls // args.rounds)
        results = {"floor": [], "boto3": []}
        if args.swift_command:
            results["awskit"] = []
        floor, boto = Floor(port, key, secret), Boto3(port, key, secret)
        for _ in range(args.rounds):
            results["floor"] += time_python(floor, per_round, args.warmup)
            results["boto3"] += time_python(boto, per_round, args.warmup)
            if args.swift_command:
                results["awskit"] += time_swift(args.swift_command, port, key, secret, per_round, args.warmup)
    finally:
        stop_moto(proc)

    table = {name: summary(values) for name, values in results.items()}
    floor_median = table["floor"]["median_ms"]
    print(f"IAM GetUser against moto on 127.0.0.1, {per_round * args.rounds} calls per client "
          f"in {args.rounds} interleaved rounds")
    print(f"{'client':8} {'median ms':>10} {'mean ms':>9} {'p95 ms':>8} {'x floor':>8}")
    for name, row in table.items():
        print(f"{name:8} {row['median_ms']:10.3f} {row['mean_ms']:9.3f} {row['p95_ms']:8.3f} "
              f"{row['median_ms'] / floor_median:8.2f}")
    if "awskit" in table:
        ratio = table["awskit"]["median_ms"] / floor_median
        faster = table["awskit"]["median_ms"] < table["boto3"]["median_ms"]
        print(f"goal: within 1.1x of the floor ({'met' if ratio <= 1.1 else 'NOT met'}: {ratio:.2f}x), "
              f"faster than boto3 ({'met' if faster else 'NOT met'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"calls_per_client": per_round * args.rounds, "rounds": args.rounds, "results": table}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
