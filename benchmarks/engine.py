#!/usr/bin/env python3
"""Engine benchmarks (issue 2), measured side by side in one run.

1. Per-step engine overhead: a 1,000-instance core.set runbook, against the floor of two
   durable SQLite commits per step (WAL, synchronous=FULL) on the same disk.
2. Time from `runbook resume` to the first new step, on a run with 10,000 instances.
3. Cold start of `runbook validate` (20-step runbook) and `runbook status`.
4. Peak memory (max RSS) of the 1,000-instance run.
5. Cost of sealing a secret (AES-256-GCM + fingerprint + its row), next to the per-step
   checkpoint cost: the same 1,000-instance run with each step's input and output secret.

Usage: benchmarks/engine.py [path/to/runbook]   (default .build/release/runbook)
"""
import json, os, resource, shutil, sqlite3, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/runbook")
WORK = tempfile.mkdtemp(prefix="runbook-bench-", dir=os.environ.get("BENCH_DIR", "/tmp"))


def runbook_many(n):
    return f"""name: many
params:
  items: {{ type: list }}
steps:
  - id: each
    foreach: ${{params.items}}
    uses: core.set
    with: {{ value: "${{item}}", n: 1 }}
"""


def env(home):
    e = dict(os.environ, RUNBOOK_HOME=home, NO_COLOR="1")
    e.pop("RUNBOOK_FAILPOINT", None)
    return e


def timed(cmd, environ, expect=0):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=environ, cwd=WORK, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if expect is not None and proc.returncode != expect:
        sys.exit(f"{cmd}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return elapsed, proc.returncode


def items_param(n):
    path = os.path.join(WORK, f"items-{n}.yaml")
    with open(path, "w") as f:
        f.write("items:\n" + "".join(f"  - i{i}\n" for i in range(n)))
    return path


def sqlite_floor(steps, directory):
    """Two durable commits per step, each an UPDATE of a row and a journal INSERT."""
    path = os.path.join(directory, "floor.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE i (id INTEGER PRIMARY KEY, state TEXT, payload TEXT)")
    db.execute("CREATE TABLE j (seq INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER, kind TEXT)")
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO i VALUES (?, 'pending', NULL)", [(k,) for k in range(steps)])
    db.execute("COMMIT")
    start = time.perf_counter()
    for k in range(steps):
        for state in ("started", "applied"):
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE i SET state=?, payload=? WHERE id=?", (state, '{"value":"x","n":1}', k))
            db.execute("INSERT INTO j (id, kind) VALUES (?, ?)", (k, state))
            db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def main():
    results = {}
    os.makedirs(os.path.join(WORK, "runbooks"))
    with open(os.path.join(WORK, "runbooks", "many.yaml"), "w") as f:
        f.write(runbook_many(0))

    # 1 + 4: the 1,000-instance run, its peak memory, and the SQLite floor, alternated.
    n = 1000
    items = items_param(n)
    engine_times, floor_times, rss = [], [], []
    for rep in range(3):
        home = os.path.join(WORK, f"home-1k-{rep}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t, _ = timed([BIN, "execute", "many", "--params-file", items], env(home))
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        engine_times.append(t)
        rss.append(after)
        floor_times.append(sqlite_floor(n, tempfile.mkdtemp(dir=WORK)))
    # An empty run (process start, parse, one-instance run) to separate fixed cost.
    with open(os.path.join(WORK, "runbooks", "one.yaml"), "w") as f:
        f.write("name: one\nsteps:\n  - id: s\n    uses: core.set\n    with: { v: 1 }\n")
    fixed = min(timed([BIN, "execute", "one"], env(os.path.join(WORK, f"home-one-{r}")))[0] for r in range(3))
    e, fl = min(engine_times), min(floor_times)
    per_step = (e - fixed) / n
    results["per_step_engine_ms"] = per_step * 1000
    results["per_step_floor_ms"] = fl / n * 1000
    results["per_step_ratio"] = per_step / (fl / n)
    results["run_1000_total_s"] = e
    results["fixed_cost_s"] = fixed
    results["peak_rss_mib"] = max(rss) / 1024

    # 5: the same run with secrets: each step seals its input and its output (2 values).
    with open(os.path.join(WORK, "runbooks", "secret.yaml"), "w") as f:
        f.write("name: secret\nparams:\n  items: { type: list }\n  token: { type: string, secret: true }\nsteps:\n"
                "  - id: each\n    foreach: ${params.items}\n    uses: core.set\n    with: { value: \"${params.token}-${item}\" }\n")
    secret_times = []
    for rep in range(3):
        home = os.path.join(WORK, f"home-secret-{rep}")
        t, _ = timed([BIN, "execute", "secret", "--params-file", items, "--param", "token=s3cr3t-value"], env(home))
        secret_times.append(t)
    per_step_secret = (min(secret_times) - fixed) / n
    results["per_step_with_2_secrets_ms"] = per_step_secret * 1000
    results["per_secret_value_ms"] = (per_step_secret - per_step) / 2 * 1000
    results["per_secret_vs_checkpoint"] = ((per_step_secret - per_step) / 2) / (fl / n / 2)

    # 2: resume to first new step on a 10,000-instance run.
    n = 10000
    items = items_param(n)
    home = os.path.join(WORK, "home-10k")
    t, code = timed([BIN, "execute", "many", "--params-file", items],
                    dict(env(home), RUNBOOK_FAILPOINT="each[i9000]:after-checkpoint"), expect=None)
    assert code == -9, f"expected SIGKILL, got {code}"
    results["create_10k_until_crash_s"] = t
    # resume, killed at the first new step's before-apply: start-to-first-new-step time.
    samples = []
    for rep in range(5):
        t, code = timed([BIN, "resume"], dict(env(home), RUNBOOK_FAILPOINT=f"each[i{9001 + rep}]:before-apply"), expect=None)
        assert code == -9, f"expected SIGKILL, got {code}"
        samples.append(t)
    results["resume_to_first_step_ms"] = min(samples) * 1000
    results["resume_to_first_step_median_ms"] = sorted(samples)[len(samples) // 2] * 1000

    # 3: cold start of validate (20 steps) and status.
    steps = "".join(
        f"  - id: s{i}\n    uses: core.file\n    with: {{ path: \"out/${{params.p}}-{i}\", content: \"${{params.p}}\" }}\n"
        for i in range(20))
    with open(os.path.join(WORK, "runbooks", "twenty.yaml"), "w") as f:
        f.write("name: twenty\nparams:\n  p: { type: string, default: x }\nsteps:\n" + steps)
    home = os.path.join(WORK, "home-1k-0")
    validate = [timed([BIN, "validate", "twenty"], env(home))[0] for _ in range(20)]
    status = [timed([BIN, "status"], env(home))[0] for _ in range(20)]
    true_times = [timed(["/bin/true"], env(home))[0] for _ in range(20)]
    results["validate_cold_ms"] = sorted(validate)[10] * 1000
    results["status_cold_ms"] = sorted(status)[10] * 1000
    results["process_spawn_floor_ms"] = sorted(true_times)[10] * 1000

    print(json.dumps(results, indent=2))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
