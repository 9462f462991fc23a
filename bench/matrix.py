#!/usr/bin/env python3
"""tlsctx's benchmarks on several OpenSSLs in one run (issue 12): the tlsctx/raw ratios of
bench/run.py against their targets on each OpenSSL, and the key-exchange handshakes/s of each
OpenSSL side by side (X25519 alone, and X25519MLKEM768 where the OpenSSL has it).

    python3 bench/matrix.py --build build/gcc --build build/openssl-3.5            # full
    python3 bench/matrix.py --build build/gcc --build build/openssl-3.5 --quick    # seconds

Each --build is a tree configured with -DTLSCTX_BUILD_BENCH=ON (and -DOPENSSL_ROOT_DIR for a
non-system OpenSSL: that prefix's bin/ is put first on PATH for the build's `openssl speed`).
Full mode writes bench/openssl-matrix.md; quick mode writes BUILD0/bench-matrix-quick/.

The ratios come from one bench/run.py run per OpenSSL (Python's own rounds left out: Python links
the system OpenSSL whatever tlsctx links). The key-exchange figures come from rounds that
alternate between the OpenSSLs, so load that drifts during the run falls on all of them alike;
each figure is the median over rounds of paired/kex/<group>/tlsctx_vs_raw.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench_run  # noqa: E402  (bench/run.py: the same runner and row definitions)

GROUPS = [("x25519", "X25519"), ("x25519mlkem768", "X25519MLKEM768 (post-quantum hybrid)")]


def openssl_root(build):
    """OPENSSL_ROOT_DIR from the build's CMake cache, or None for the system's OpenSSL."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"OPENSSL_ROOT_DIR:\w+=(.+)", line.strip())
                if m and m.group(1):
                    return m.group(1)
    except OSError:
        pass
    return None


def build_env(build):
    env = dict(os.environ)
    root = openssl_root(build)
    if root:
        env["PATH"] = os.path.join(root, "bin") + os.pathsep + env["PATH"]
    env["TLSCTX_BENCH_PKI"] = os.path.join(build, "bench-pki")
    os.makedirs(env["TLSCTX_BENCH_PKI"], exist_ok=True)
    return env


def linked_openssl(build, env):
    """What the build's tlsctx tool says it links (the second line of `tlsctx --version`)."""
    tool = os.path.join(build, "tools", "tlsctx", "tlsctx")
    if os.access(tool, os.X_OK):
        out = subprocess.run([tool, "--version"], stdout=subprocess.PIPE, text=True, env=env).stdout
        lines = out.splitlines()
        if len(lines) > 1:
            return " ".join(lines[1].split()[:2])
    out = subprocess.run(["openssl", "version"], stdout=subprocess.PIPE, text=True, env=env).stdout
    return " ".join(out.split()[:2])


def kex_round(build, env, min_time):
    out = subprocess.run([os.path.join(build, "bench", "tlsctx_bench"), "--benchmark_filter=^paired/kex/",
                          "--benchmark_min_time=%g" % min_time, "--benchmark_format=json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(env, TLSCTX_BENCH_SKIP_PARITY="1"), timeout=600)
    if out.returncode != 0:
        raise RuntimeError("tlsctx_bench (kex) failed in %s: %s" % (build, out.stderr[-2000:]))
    res = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("error_occurred"):
            raise RuntimeError("%s: %s" % (b["name"], b.get("error_message")))
        group = b["run_name"].split("/")[2]
        res[group] = dict(tlsctx=float(b["a_per_cpu_s"]), raw=float(b["b_per_cpu_s"]),
                          ratio=float(b["ratio_cpu"]))
    return res


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    return "—" if v is None else ("{:,.%df}" % digits).format(v)


def render(meta, builds, results, kex):
    L = ["# tlsctx on two OpenSSLs", "",
         "Made by `bench/matrix.py` (%s, %s mode, took %.0f s). Ratios per OpenSSL come from one "
         "`bench/run.py` run each (figures as JSON in each build's `bench-matrix/results.json`); the "
         "key-exchange table from %d rounds alternating between the OpenSSLs." %
         (meta["date"], meta["mode"], meta["elapsed"], meta["rounds"]), ""]
    names = [b["openssl"] for b in builds]
    L.append("## tlsctx / raw OpenSSL against the targets (paired A/B, CPU time)")
    L.append("")
    L.append("| # | Scenario | target | " + " | ".join("%s: tlsctx/raw (min–max) | verdict" % n for n in names) + " |")
    L.append("|---|---|---|" + "---|---|" * len(names))
    rows = [{r["id"]: r for r in res["rows"]} for res in results]
    for spec in bench_run.SPEED_ROWS:
        if spec.get("lower"):
            continue
        cells = []
        for r in rows:
            row = r.get(spec["id"])
            cells.append(bench_run.ratio_text(row["ratio"]) if row else "—")
            cells.append(row["verdict"] if row else "—")
        L.append("| %s | %s | ≥ %.2f | %s |" % (spec["id"], spec["label"], spec["target"], " | ".join(cells)))
    L.append("")
    L.append("Row 1a uses each OpenSSL's default groups: X25519 on 3.0, X25519MLKEM768 on 3.5.")
    L.append("")
    L.append("## Key exchange: full TLS 1.3 handshakes (ECDSA P-256) with one group, per CPU-second")
    L.append("")
    L.append("| OpenSSL | group | raw handshakes/s | tlsctx handshakes/s | tlsctx/raw |")
    L.append("|---|---|---|---|---|")
    for b, k in zip(builds, kex):
        for key, label in GROUPS:
            if key in k:
                L.append("| %s | %s | %s | %s | %.3f |" % (b["openssl"], label, fmt(k[key]["raw"]),
                                                        fmt(k[key]["tlsctx"]), k[key]["ratio"]))
            else:
                L.append("| %s | %s | — | — | not offered by this OpenSSL |" % (b["openssl"], label))
    L.append("")
    base = kex[0].get("x25519", {}).get("raw")
    for b, k in zip(builds[1:], kex[1:]):
        x = k.get("x25519", {}).get("raw")
        if base and x:
            L.append("- %s / %s, X25519 handshakes (raw): %.3f" % (b["openssl"], builds[0]["openssl"], x / base))
    for b, k in zip(builds, kex):
        x, pq = k.get("x25519", {}).get("raw"), k.get("x25519mlkem768", {}).get("raw")
        if x and pq:
            L.append("- %s: X25519MLKEM768 costs %.1f %% of the handshake rate of X25519 alone "
                     "(%.3f × the rate)" % (b["openssl"], 100 * (1 - pq / x), pq / x))
    L.append("")
    return "\n".join(L) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", action="append", required=True, help="a bench build; give one per OpenSSL")
    p.add_argument("--quick", action="store_true", help="seconds: proves it runs")
    p.add_argument("--rounds", type=int, default=None, help="alternating key-exchange rounds")
    p.add_argument("--no-callgrind", action="store_true")
    args = p.parse_args()
    builds = [dict(dir=os.path.abspath(b)) for b in args.build]
    start = datetime.datetime.now(datetime.timezone.utc)
    for b in builds:
        b["env"] = build_env(b["dir"])
        b["openssl"] = linked_openssl(b["dir"], b["env"])

    results = []
    for b in builds:
        out = os.path.join(b["dir"], "bench-matrix-quick" if args.quick else "bench-matrix")
        cmd = [sys.executable, os.path.join(HERE, "run.py"), "--build", b["dir"], "--out", out, "--no-python"]
        if args.quick:
            cmd.append("--quick")
        if args.no_callgrind:
            cmd.append("--no-callgrind")
        bench_run.log("== %s: %s" % (b["openssl"], " ".join(cmd)))
        subprocess.run(cmd, env=b["env"], check=True)
        work = out if args.quick else os.path.join(b["dir"], "bench-work")
        with open(os.path.join(work, "results.json")) as f:
            results.append(json.load(f))

    rounds = args.rounds or (1 if args.quick else 7)
    min_time = 0.01 if args.quick else 0.5
    per_round = [[] for _ in builds]
    for r in range(rounds):
        for i, b in enumerate(builds):
            bench_run.log("== key exchange, round %d/%d, %s" % (r + 1, rounds, b["openssl"]))
            per_round[i].append(kex_round(b["dir"], b["env"], min_time))
    kex = []
    for rs in per_round:
        k = {}
        for key, _ in GROUPS:
            vals = [x[key] for x in rs if key in x]
            if vals:
                k[key] = {f: med([v[f] for v in vals]) for f in ("tlsctx", "raw", "ratio")}
        kex.append(k)

    meta = dict(date=start.strftime("%Y-%m-%d %H:%M UTC"), mode="quick" if args.quick else "full",
                rounds=rounds,
                elapsed=(datetime.datetime.now(datetime.timezone.utc) - start).total_seconds())
    md = render(meta, builds, results, kex)
    out_dir = os.path.join(builds[0]["dir"], "bench-matrix-quick") if args.quick else HERE
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "openssl-matrix.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out_dir, "openssl-matrix.json"), "w") as f:
        json.dump(dict(meta=meta, builds=[dict(dir=b["dir"], openssl=b["openssl"]) for b in builds],
                       kex=kex), f, indent=1)
    bench_run.log(md)
    misses = [row["id"] for res in results for row in res["rows"] if row["verdict"].startswith("MISS")]
    if misses and not args.quick:
        bench_run.log("targets missed: " + ", ".join(misses))


if __name__ == "__main__":
    main()
