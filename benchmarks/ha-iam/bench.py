#!/usr/bin/env python3
"""ha-iam end to end: `runbook execute ha-iam` beside a boto3 script making the same calls.

Starts one moto_server (127.0.0.1, managed policies loaded, signature checking on after an
admin is bootstrapped), then times, process start to exit, N runs each, alternating:

  runbook  `runbook execute ha-iam` (release build) with default params and one tag, a fresh
           RUNBOOK_HOME and fresh AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE per run
  boto3    boto3_ha_iam.py: the same AWS calls with no checkpoints, same files, same tag

Every run creates a fresh user and must exit 0 having written the new profile. The AWS
requests each run makes are counted from moto's request log. Reports medians, the ratio
runbook / boto3 (goal: under a third), and runbook's time per AWS request beside the raw-HTTP
floor of the AWSKit benchmark (bench-results/awskit.json; goal: within 1.2x).

The runbook half needs the IAM plugins; in a build without them it is skipped with a message.
--runbook-command replaces it (e.g. with a stand-in, to test this harness): a command line in
which {user} is replaced by the run's user name, run with the same environment.
"""

import argparse
import re
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "awskit"))
import bench as awskit_bench  # noqa: E402  (start_moto, stop_moto)

PLUGINS = ["aws.iam.create-user", "aws.iam.attach-user-policy", "aws.iam.tag-user", "aws.iam.create-access-key",
           "aws.cli.configure-profile", "aws.sts.verify-credentials"]
TAG_KEY, TAG_VALUE = "bench", "ha-iam"


def missing_plugins(binary):
    """The plugins ha-iam needs that this build of runbook lacks (all of them if it cannot say)."""
    result = subprocess.run([binary, "plugins", "--output", "json"], capture_output=True, text=True)
    if result.returncode != 0:
        return PLUGINS
    present = {plugin.get("id") for plugin in json.loads(result.stdout)}
    return [p for p in PLUGINS if p not in present]


class Moto:
    def __init__(self, work):
        self.log_path = os.path.join(work, "moto.log")
        self.log = open(self.log_path, "wb")
        self.proc, self.port, self.key, self.secret = awskit_bench.start_moto(self.log)

    def requests(self):
        """Requests moto has answered so far, once its log has settled."""
        last, stable_since = -1, time.monotonic()
        while True:
            with open(self.log_path, "rb") as f:
                count = sum(1 for line in f if b'"POST / HTTP/1.1"' in line)
            if count != last:
                last, stable_since = count, time.monotonic()
            elif time.monotonic() - stable_since > 0.05:
                return count
            time.sleep(0.01)

    def stop(self):
        awskit_bench.stop_moto(self.proc)
        self.log.close()


class Half:
    """One side of the comparison: a command line per user, and its measurements."""

    def __init__(self, name, argv, label=None):
        self.name, self.argv, self.label = name, argv, label or name
        self.times, self.requests = [], []
        # runbook only: per AWS call, from its journal (started -> applied of one-call steps).
        self.call_ms = []

    def command(self, user):
        return [arg.replace("{user}", user) for arg in self.argv]


def environment(moto, directory):
    """moto's admin, and files of this run only: the operator's ~/.aws and state are never used."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env.update(
        NO_COLOR="1", RUNBOOK_HOME=os.path.join(directory, "runbook-home"),
        AWS_ACCESS_KEY_ID=moto.key, AWS_SECRET_ACCESS_KEY=moto.secret,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto.port}", AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(directory, "aws", "credentials"),
        AWS_CONFIG_FILE=os.path.join(directory, "aws", "config"))
    return env


def run_once(half, moto, work, record):
    user = f"bench-ha-{uuid.uuid4().hex[:8]}"
    directory = tempfile.mkdtemp(prefix=f"{half.name}-", dir=work)
    env = environment(moto, directory)
    before = moto.requests() if record else 0
    start = time.perf_counter()
    result = subprocess.run(half.command(user), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{half.name} run for {user} failed (exit {result.returncode}):\n"
                 f"{result.stderr.decode(errors='replace')[-3000:]}")
    with open(env["AWS_SHARED_CREDENTIALS_FILE"]) as f:
        if f"[{user}]" not in f.read():
            sys.exit(f"{half.name} run for {user} exited 0 but wrote no [{user}] profile")
    if record:
        half.times.append(elapsed)
        half.requests.append(moto.requests() - before)
        if half.name == "runbook" and half.label == "runbook":
            half.call_ms += call_times(half.argv[0], env)
    shutil.rmtree(directory, ignore_errors=True)


# Steps whose apply is exactly one AWS request (CreateUser, AttachUserPolicy, TagUser,
# CreateAccessKey): the journal's "applied in N ms" is how long the plugin's apply took,
# that request as runbook lives it (signing, HTTP, XML), without the checkpoints.
ONE_CALL_STEPS = ("create-user", "attach-policy[", "tag-user", "access-key")


def call_times(binary, env):
    log = subprocess.run([binary, "log", latest_run(binary, env), "--output", "json"], env=env, cwd=ROOT,
                         capture_output=True, check=True)
    times = []
    for entry in json.loads(log.stdout):
        instance = entry.get("instance") or ""
        if entry["kind"] == "applied" and instance.startswith(ONE_CALL_STEPS):
            match = re.match(r"applied in ([0-9.]+) ms", entry["message"])
            if match:
                times.append(float(match.group(1)))
    return times


def latest_run(binary, env):
    runs = subprocess.run([binary, "runs", "--output", "json"], env=env, cwd=ROOT, capture_output=True, check=True)
    return json.loads(runs.stdout)[-1]["id"]


def startup_time(binary, work, runs=10):
    """`runbook validate ha-iam`: process start, plugin registry, parse and validation."""
    env = dict(os.environ, RUNBOOK_HOME=os.path.join(work, "validate-home"), NO_COLOR="1")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([binary, "validate", "ha-iam"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def floor_ms(path):
    try:
        with open(path) as f:
            return json.load(f)["results"]["floor"]["median_ms"]
    except (OSError, KeyError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10), after one warm-up each")
    parser.add_argument("--runbook", default=os.path.join(ROOT, ".build", "release", "runbook"),
                        help="the runbook binary (default .build/release/runbook)")
    parser.add_argument("--runbook-command", help="a command line replacing `runbook execute ha-iam` ({user} = user name)")
    parser.add_argument("--floor-json", default=os.path.join(ROOT, "bench-results", "awskit.json"),
                        help="the AWSKit benchmark's results, for the raw-HTTP floor")
    parser.add_argument("--json", help="write the results here as JSON")
    args = parser.parse_args()

    halves = []
    runbook_is_real = False
    if args.runbook_command:
        halves.append(Half("runbook", shlex.split(args.runbook_command), label="stand-in"))
        print(f"runbook half: the stand-in `{args.runbook_command}`", flush=True)
    else:
        binary = os.path.abspath(args.runbook)
        if not os.access(binary, os.X_OK):
            sys.exit(f"no runbook binary at {binary}: run `swift build -c release` first")
        missing = missing_plugins(binary)
        if missing:
            print(f"runbook half skipped: {binary} lacks the plugins ha-iam needs ({', '.join(missing)}); "
                  "timing the boto3 script alone", flush=True)
        else:
            runbook_is_real = True
            halves.append(Half("runbook", [binary, "execute", "ha-iam", "--param", "user_name={user}",
                                           "--param", f"tags={{{TAG_KEY}: {TAG_VALUE}}}"]))
    halves.append(Half("boto3", [sys.executable, os.path.join(HERE, "boto3_ha_iam.py"), "--user-name", "{user}",
                                 "--tag", f"{TAG_KEY}={TAG_VALUE}"]))

    work = tempfile.mkdtemp(prefix="runbook-bench-ha-iam-", dir=os.environ.get("BENCH_DIR"))
    moto = Moto(work)
    try:
        for half in halves:
            run_once(half, moto, work, record=False)
        for i in range(args.runs):
            for half in (halves if i % 2 == 0 else list(reversed(halves))):
                run_once(half, moto, work, record=True)
        startup = startup_time(os.path.abspath(args.runbook), work) if runbook_is_real else None
    finally:
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)

    rows = {h.name: {"label": h.label, "runs": len(h.times), "median_s": statistics.median(h.times), "min_s": min(h.times),
                     "max_s": max(h.times), "aws_requests": statistics.median(h.requests)} for h in halves}
    print(f"ha-iam end to end against moto on 127.0.0.1 (signature checking on), process start to exit, "
          f"{args.runs} runs each, alternating")
    print(f"{'':9} {'median s':>9} {'min s':>7} {'max s':>7} {'AWS requests':>13}")
    for row in rows.values():
        print(f"{row['label']:9} {row['median_s']:9.3f} {row['min_s']:7.3f} {row['max_s']:7.3f} {row['aws_requests']:13g}")
    results = {"runs": args.runs, "results": rows, "runbook_is_real": runbook_is_real}
    if "runbook" in rows:
        ratio = rows["runbook"]["median_s"] / rows["boto3"]["median_s"]
        results["ratio"] = ratio
        print(f"{rows['runbook']['label']} / boto3: {ratio:.3f} (goal: under 1/3, {'met' if ratio < 1 / 3 else 'NOT met'})")
        floor = floor_ms(args.floor_json)
        per_request = rows["runbook"]["median_s"] * 1000 / max(1, rows["runbook"]["aws_requests"])
        results["per_request_ms"] = per_request
        if floor is None:
            print(f"{rows['runbook']['label']} per AWS request: {per_request:.2f} ms (no floor: {args.floor_json} is missing; "
                  "run benchmarks/awskit/run.sh first)")
        else:
            results["floor_ms"] = floor
            calls = next(h for h in halves if h.name == "runbook").call_ms
            if calls:
                per_call = statistics.median(calls)
                results["per_call_ms"] = per_call
                results["per_call_ratio"] = per_call / floor
                print(f"runbook per AWS call, inside the run (apply of one-request steps, "
                      f"{len(calls)} calls, median): {per_call:.2f} ms vs the raw-HTTP floor's {floor:.2f} ms: "
                      f"{per_call / floor:.2f}x (goal: within 1.2x, {'met' if per_call / floor <= 1.2 else 'NOT met'})")
            results["per_request_ratio"] = per_request / floor
            print(f"{rows['runbook']['label']} whole run / AWS requests: {per_request:.2f} ms per request "
                  f"({per_request / floor:.2f}x the floor; includes start-up, planning and two checkpoints per step)")
        if startup is not None:
            net = (rows["runbook"]["median_s"] - startup) * 1000 / max(1, rows["runbook"]["aws_requests"])
            results["startup_s"], results["per_request_net_of_startup_ms"] = startup, net
            print(f"  net of start-up (`runbook validate ha-iam`, {startup * 1000:.1f} ms): {net:.2f} ms per request"
                  + (f", {net / floor:.2f}x the floor" if floor else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
