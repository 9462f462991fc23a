#!/usr/bin/env python3
"""Runs tlsctx's benchmarks (issue 7) from an existing build and reports tlsctx against raw
OpenSSL and Python's ssl.

    python3 bench/run.py --build build-bench            # full run (< 5 min on 2 cores)
    python3 bench/run.py --build build-bench --quick    # a few seconds: builds and runs? (CI)

It builds nothing: configure and build with -DTLSCTX_BUILD_BENCH=ON first (bench/README.md).

Full mode writes bench/results.md and bench/results.png (all figures as JSON in
BUILD/bench-work/results.json) and replaces the results section of bench/README.md. Quick mode
writes them all under BUILD/bench-quick/ and never touches bench/. Exit status 1 when a benchmark
fails (not when a target is missed).

Steps: tlsctx_bench's paired A/B benchmarks (a block through tlsctx, the same block through raw
OpenSSL, alternating, each timed on its own; repetitions randomly interleaved), the A/A controls
and diagnosis pairs, tlsctx_bench_memory, bench/python_bench.py in rounds with the per-side C++
benchmarks, `openssl speed`, and (full mode) callgrind instruction counts of tlsctx_bench_instr.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

# Speed rows: the paired benchmark (paired/<bench>/tlsctx_vs_raw), unit, time target (tlsctx/raw
# rate per CPU-second >=), callgrind scenario (group, name, iterations) and its target (tlsctx/raw
# instructions <=), Python scenario, crypto limit. "lower" rows are latencies (no target).
SPEED_ROWS = [
    dict(id="1a", label="Full handshake, TLS 1.3, ECDSA P-256 + X25519", bench="handshake/tls13_ecdsa",
         unit="handshakes/s", target=0.98, instr=("handshake", "tls13_ecdsa", 3), itarget=1.02,
         python="handshake", limit="tls13_ecdsa"),
    dict(id="1b", label="Full handshake, TLS 1.3, RSA-2048 + X25519", bench="handshake/tls13_rsa",
         unit="handshakes/s", target=0.98, instr=("handshake", "tls13_rsa", 3), itarget=1.02, limit="rsa"),
    dict(id="1c", label="Full handshake, TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256", bench="handshake/tls12_rsa",
         unit="handshakes/s", target=0.98, instr=("handshake", "tls12_rsa", 3), itarget=1.02, limit="rsa"),
    dict(id="2a", label="Resumed handshake, TLS 1.3 ticket (psk_dhe_ke)", bench="resume/tls13_ticket",
         unit="handshakes/s", target=0.97, instr=("resume", "tls13_ticket", 10), itarget=1.03,
         python="resume_tls13", limit="resume13"),
    dict(id="2b", label="Resumed handshake, TLS 1.2 session id", bench="resume/tls12_session_id",
         unit="handshakes/s", target=0.95, instr=("resume", "tls12_session_id", 10), itarget=1.05,
         python="resume_tls12"),
    dict(id="3a", label="Bulk, socketpair, writer + reader thread, TLS_AES_128_GCM_SHA256",
         bench="bulk_socket/aes128gcm", unit="MiB per CPU-s", target=0.98, python="bulk:TLS_AES_128_GCM_SHA256",
         wall=True, limit="aes-128-gcm:2", norelease=True),
    dict(id="3b", label="Bulk, socketpair, writer + reader thread, TLS_AES_256_GCM_SHA384",
         bench="bulk_socket/aes256gcm", unit="MiB per CPU-s", target=0.98, python="bulk:TLS_AES_256_GCM_SHA384",
         wall=True, limit="aes-256-gcm:2"),
    dict(id="3c", label="Bulk, socketpair, writer + reader thread, TLS_CHACHA20_POLY1305_SHA256",
         bench="bulk_socket/chacha20", unit="MiB per CPU-s", target=0.98,
         python="bulk:TLS_CHACHA20_POLY1305_SHA256", wall=True, limit="chacha20-poly1305:2"),
    dict(id="3d", label="Bulk, memory BIOs, one thread, AES-128-GCM (tls::Object)", bench="bulk_membio/aes128gcm",
         unit="MiB per CPU-s", target=0.99, instr=("records", "bulk16k", 50), limit="aes-128-gcm:1",
         norelease=True),
    dict(id="5", label="Ping-pong, 64 B over a socketpair, p50 latency (lower is better)", bench="pingpong/64B",
         unit="µs", lower="p50", instr=("records", "small64", 500)),
    dict(id="5'", label="Ping-pong, 64 B over a socketpair, p99 latency (lower is better)", bench="pingpong/64B",
         unit="µs", lower="p99"),
]

# Scenarios where raw is also counted with the two error-queue rules a wrapper can follow before
# each SSL call: ERR_clear_error() always ("raw_clear", as libtls and Asio do, and tlsctx did at
# first) and clear-only-if-ERR_peek_error ("raw_peek", tlsctx until 2026-11-23). tlsctx now looks
# at the queue only after a call fails, as the raw side does not at all.
DIAG_INSTR = [("resume", "tls12_session_id", 10), ("records", "small64", 500), ("records", "bulk16k", 50)]

# Paired diagnosis benchmarks (a vs b), reported as they are.
DIAG_PAIRED = [
    ("resume/tls12_session_id/raw_vs_raw", "A/A control, 2b: raw vs the same raw code"),
    ("bulk_membio/aes128gcm/raw_vs_raw", "A/A control, 3d: raw vs the same raw code"),
    ("resume/tls12_session_id/raw_clear_vs_raw", "2b: raw + ERR_clear_error before every call vs raw"),
    ("resume/tls12_session_id/tlsctx_vs_raw_clear", "2b: tlsctx vs raw + ERR_clear_error before every call"),
    ("resume/tls12_session_id/raw_peek_vs_raw", "2b: raw + peek-then-clear before every call vs raw"),
    ("bulk_membio/aes128gcm/raw_clear_vs_raw", "3d: raw + ERR_clear_error before every call vs raw"),
    ("bulk_membio/aes128gcm/raw_peek_vs_raw", "3d: raw + peek-then-clear before every call vs raw"),
    ("bulk_membio/aes128gcm/tlsctx_vs_raw_clear", "3d: tlsctx vs raw + ERR_clear_error before every call"),
]

BREAKDOWN = [
    ("ECDSA P-256 verify of CertificateVerify (client)", ["EVP_DigestVerify"], True),
    ("ECDSA P-256 verify of the leaf's signature (chain verification)", ["X509_verify"], True),
    ("ECDSA P-256 sign of CertificateVerify (server)", ["EVP_DigestSign"], True),
    ("X25519 key generation, both ends", ["EVP_PKEY_keygen"], True),
    ("X25519 shared secret, both ends", ["EVP_PKEY_derive"], True),
    ("Certificate parsing (d2i_X509, client)", ["d2i_X509"], False),
    ("  of which public-key decoder set-up (OSSL_DECODER_CTX_new_for_pkey)",
     ["OSSL_DECODER_CTX_new_for_pkey"], False),
    ("Key schedule (HKDF: EVP_KDF_derive)", ["EVP_KDF_derive"], False),
    ("Hashing (EVP_DigestUpdate + EVP_DigestFinal_ex, overlaps the rows above)",
     ["EVP_DigestUpdate", "EVP_DigestFinal_ex"], False),
    ("Algorithm fetches (EVP_*_fetch, EVP_KEYMGMT_do_all_provided; overlaps)",
     ["EVP_MD_fetch", "EVP_CIPHER_fetch", "EVP_KDF_fetch", "EVP_MAC_fetch", "EVP_KEYMGMT_fetch",
      "EVP_SIGNATURE_fetch", "EVP_KEYEXCH_fetch", "EVP_KEYMGMT_do_all_provided"], False),
    ("Heap (CRYPTO_malloc/zalloc/realloc/free/clear_free; overlaps)",
     ["CRYPTO_malloc", "CRYPTO_zalloc", "CRYPTO_realloc", "CRYPTO_free", "CRYPTO_clear_free"], False),
    ("Connection objects (SSL_new + SSL_free, both ends)", ["SSL_new", "SSL_free"], False),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, env=None, timeout=900):
    log("$", " ".join(cmd))
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        log(p.stdout[-4000:], p.stderr[-4000:])
        raise RuntimeError("%s failed with status %d" % (cmd[0], p.returncode))
    return p.stdout


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return dict(median=statistics.median(values), min=min(values), max=max(values), n=len(values))


# ---- Google Benchmark --------------------------------------------------------------------------


def run_gbench(build, out_dir, quick, reps, min_time, env):
    out = os.path.join(out_dir, "gbench.json")
    cmd = [os.path.join(build, "bench", "tlsctx_bench"), "--benchmark_out=" + out,
           "--benchmark_out_format=json", "--benchmark_min_time=%g" % min_time,
           "--benchmark_repetitions=%d" % reps, "--benchmark_display_aggregates_only=true",
           "--benchmark_filter=^paired/"]
    if reps > 1:
        cmd.append("--benchmark_enable_random_interleaving=true")
    run(cmd, env=env, timeout=1200)
    with open(out) as f:
        data = json.load(f)
    runs = {}
    failed = []
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"].replace("/real_time", "").replace("/iterations:1", "")
        if b.get("error_occurred"):
            failed.append("%s: %s" % (name, b.get("error_message")))
        runs.setdefault(name, []).append(b)
    for v in runs.values():
        v.sort(key=lambda b: b.get("repetition_index", 0))
    return runs, failed


def counter(runs, name, key):
    """One value per repetition of a paired benchmark's counter."""
    return [float(b[key]) if b.get(key) is not None else None for b in runs.get("paired/" + name, [])]


# ---- the other measurements --------------------------------------------------------------------


def run_memory(build, connections, env):
    return json.loads(run([os.path.join(build, "bench", "tlsctx_bench_memory"), str(connections)],
                          env=env))


# Python scenario -> the per-side C++ benchmark it is compared with, its metric, the Python key.
PY_PAIRS = [
    ("handshake", "handshake/tls13_ecdsa", "items_per_second", "values"),
    ("resume_tls13", "resume/tls13_ticket", "items_per_second", "values"),
    ("resume_tls12", "resume/tls12_session_id", "items_per_second", "values"),
    ("bulk:TLS_AES_128_GCM_SHA256", "bulk_socket/aes128gcm", "MiB_per_cpu_s", "per_cpu_values"),
    ("bulk:TLS_AES_256_GCM_SHA384", "bulk_socket/aes256gcm", "MiB_per_cpu_s", "per_cpu_values"),
    ("bulk:TLS_CHACHA20_POLY1305_SHA256", "bulk_socket/chacha20", "MiB_per_cpu_s", "per_cpu_values"),
]


def run_python(build, pki, reps, min_time, env):
    """Python's ssl against tlsctx and raw in rounds: each Python repetition sits between two
    repetitions of the per-side C++ benchmarks, and its ratio uses their mean, so load that
    drifts over the seconds a round takes falls on both sides of the ratio."""
    results = {}
    base = [sys.executable, os.path.join(HERE, "python_bench.py"), "--pki", pki,
            "--min-time", str(min_time), "--repetitions", "1"]

    def cpp_round(bench, metric):
        gb = json.loads(run([os.path.join(build, "bench", "tlsctx_bench"),
                             "--benchmark_filter=^%s/(tlsctx|raw)(/real_time)?$" % bench,
                             "--benchmark_min_time=%g" % min_time, "--benchmark_format=json"],
                         env=dict(env, TLSCTX_BENCH_SKIP_PARITY="1")))
        side = {b["run_name"].replace("/real_time", "").rsplit("/", 1)[1]: b for b in gb["benchmarks"]}
        return float(side["tlsctx"][metric]), float(side["raw"][metric])

    for key, bench, metric, pykey in PY_PAIRS:
        py, t, r = [], [], []
        before = cpp_round(bench, metric)
        for _ in range(reps):
            args = base + (["bulk", "--suite", key.split(":", 1)[1]] if key.startswith("bulk:") else [key])
            out = json.loads(run(args))
            py.append(out[pykey][0])
            after = cpp_round(bench, metric)
            t.append((before[0] + after[0]) / 2)
            r.append((before[1] + after[1]) / 2)
            before = after
        results[key] = dict(python=py, tlsctx=t, raw=r, unit=out["unit"], version=out["python"])
    return results


def run_speed(seconds):
    out = {}
    for alg in ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"]:
        text = run(["openssl", "speed", "-mr", "-seconds", str(seconds), "-bytes", "16384", "-evp", alg])
        for line in text.splitlines():
            if line.startswith("+F:"):
                out[alg] = float(line.split(":")[3]) / 2**20  # MiB/s at 16 KiB
    text = run(["openssl", "speed", "-mr", "-seconds", str(seconds), "ecdsap256", "ecdhx25519", "rsa2048"])
    for line in text.splitlines():
        f = line.split(":")
        if line.startswith("+F2:") and f[2] == "2048":
            out["rsa2048_sign"], out["rsa2048_verify"] = float(f[3]), float(f[4])
        elif line.startswith("+F4:") and f[2] == "256":
            out["ecdsap256_sign"], out["ecdsap256_verify"] = float(f[3]), float(f[4])
        elif line.startswith("+F5:") and f[2] == "253":
            out["x25519"] = float(f[3])
    return out


def limits_from_speed(sp):
    """Rates the per-operation costs allow on one core (None when not computable)."""
    lim = {}
    try:
        x = 4 / sp["x25519"]  # key generation + shared secret at each end
        lim["tls13_ecdsa"] = 1 / (1 / sp["ecdsap256_sign"] + 2 / sp["ecdsap256_verify"] + x)
        lim["rsa"] = 1 / (1 / sp["rsa2048_sign"] + 2 / sp["rsa2048_verify"] + x)
        lim["resume13"] = 1 / x
    except (KeyError, ZeroDivisionError):
        pass
    for alg in ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"]:
        if alg in sp:
            lim[alg + ":1"] = sp[alg] / 2  # one thread encrypts and decrypts every byte
            lim[alg + ":2"] = sp[alg]      # writer encrypts while reader decrypts
    return lim


def callgrind_one(build, env, tmp, group, name, side, count):
    out = os.path.join(tmp, "cg.%s.%s.%s.out" % (group, name, side))
    run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
         "--toggle-collect=tlsctx_bench_measured", "--callgrind-out-file=" + out,
         os.path.join(build, "bench", "tlsctx_bench_instr"), group, name, side, str(count)], env=env)
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1]) / count, out
    raise RuntimeError("no totals in " + out)


def annotate(path, inclusive, count):
    """Function -> instructions per iteration, from callgrind_annotate."""
    cmd = ["callgrind_annotate", "--threshold=100"]
    if inclusive:
        cmd.append("--inclusive=yes")
    text = subprocess.run(cmd + [path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True).stdout
    funcs = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([\s\d.%]+\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = re.sub(r"\s*\[[^\]]*\]\s*$", "", m.group(2))
        name = name.split(":", 1)[1] if name.startswith("???:") else name
        funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", "")) / count
    return funcs


def run_callgrind(build, env, tmp):
    jobs = []
    for row in SPEED_ROWS:
        if "instr" in row:
            g, n, c = row["instr"]
            sides = ["tlsctx", "raw"] + (["raw_norelease"] if g == "records" else [])
            jobs += [(g, n, s, c) for s in sides]
    jobs.append(("handshake", "tls13_ecdsa_no_tickets", "raw", 3))
    # Diagnosis: raw plus each error-queue rule (see DIAG_INSTR).
    for g, n, c in DIAG_INSTR:
        jobs += [(g, n, s, c) for s in ["raw_clear", "raw_peek"]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {j: pool.submit(callgrind_one, build, env, tmp, *j) for j in jobs}
        res = {j: f.result() for j, f in futures.items()}
    instr = {"%s/%s/%s" % (g, n, s): v[0] for (g, n, s, c), v in res.items()}
    files = {"%s/%s/%s" % (g, n, s): (v[1], c) for (g, n, s, c), v in res.items()}
    # Where a raw full handshake goes.
    path, count = files["handshake/tls13_ecdsa/raw"]
    inc = annotate(path, True, count)
    total = instr["handshake/tls13_ecdsa/raw"]
    breakdown = []
    for label, funcs, pk in BREAKDOWN:
        breakdown.append(dict(label=label, instr=sum(inc.get(f, 0) for f in funcs), public_key=pk))
    breakdown.append(dict(label="Session tickets: 2 per handshake (difference with num_tickets = 0)",
                          instr=total - instr["handshake/tls13_ecdsa_no_tickets/raw"], public_key=False))
    # Where tlsctx's extra instructions go (self cost, tlsctx minus raw), per iteration.
    overhead = {}
    for key in ["resume/tls12_session_id", "records/small64", "handshake/tls13_ecdsa"]:
        (pt, ct), (pr, cr) = files[key + "/tlsctx"], files[key + "/raw"]
        a, b = annotate(pt, False, ct), annotate(pr, False, cr)
        diff = sorted(((a.get(k, 0) - b.get(k, 0), k) for k in set(a) | set(b)), reverse=True)
        overhead[key] = [dict(function=k, instr=d) for d, k in diff[:12] if d > 0]
    return instr, breakdown, overhead, total


# ---- tls::boost_asio::stream against boost::asio::ssl::stream (issue 13) -----------------------

# Rows: key in tlsctx_bench_asio's JSON, label, unit, target on the median of the per-round
# tlsctx/asio ratios (">=" for rates, "<=" for latencies), or None (reported only).
ASIO_ROWS = [
    ("A1", "handshake_server_per_cpu_s", "Full handshakes, server (per server-thread CPU-second)",
     "handshakes/s", (">=", 1.00)),
    ("A1c", "handshake_client_per_cpu_s", "Full handshakes, client (per client-thread CPU-second)",
     "handshakes/s", None),
    ("A1w", "handshake_per_wall_s", "Full handshakes, wall clock (16 clients)", "handshakes/s", None),
    ("A2", "resume_server_per_cpu_s", "Resumed handshakes (TLS 1.3 ticket), server", "handshakes/s",
     (">=", 1.00)),
    ("A2c", "resume_client_per_cpu_s", "Resumed handshakes, client", "handshakes/s", None),
    ("A2w", "resume_per_wall_s", "Resumed handshakes, wall clock (16 clients)", "handshakes/s", None),
    ("A3", "bulk_mib_per_cpu_s", "Bulk, 16 KiB writes (per process CPU-second, both ends)",
     "MiB per CPU-s", (">=", 1.00)),
    ("A3w", "bulk_mib_per_wall_s", "Bulk, 16 KiB writes, wall clock", "MiB/s", None),
    ("A4", "pingpong_p50_us", "Ping-pong 64 B, p50 latency (lower is better)", "µs", None),
    ("A4'", "pingpong_p99_us", "Ping-pong 64 B, p99 latency (lower is better)", "µs", ("<=", 1.00)),
]


def run_asio(build, quick, env):
    """tlsctx_bench_asio (tlsctx vs Asio, and the Asio-vs-Asio control) and
    tlsctx_bench_asio_memory; None when they were not built (no Boost headers)."""
    exe = os.path.join(build, "bench", "tlsctx_bench_asio")
    mem = os.path.join(build, "bench", "tlsctx_bench_asio_memory")
    if not (os.access(exe, os.X_OK) and os.access(mem, os.X_OK)):
        log("no tlsctx_bench_asio: Boost headers missing at configure time (Debian: libboost-dev)")
        return None
    mode = ["--quick"] if quick else []
    out = dict(main=json.loads(run([exe] + mode, env=env)))
    out["aa"] = json.loads(run([exe, "--aa"] + mode + ([] if quick else ["--rounds", "5"]), env=env))
    out["memory"] = json.loads(run([mem, "50" if quick else "500"], env=env))
    return out


def asio_rows(data):
    rows = []
    main, aa = data["main"], data["aa"]
    for rid, key, label, unit, target in ASIO_ROWS:
        t, a = main["tlsctx"][key], main["asio"][key]
        ratio = stats([x / y for x, y in zip(t, a) if y])
        control = stats([x / y for x, y in zip(aa["asio_again"][key], aa["asio"][key]) if y])
        verdict = "—"
        if target:
            op, value = target
            ok = ratio is not None and (ratio["median"] >= value if op == ">=" else ratio["median"] <= value)
            verdict = "PASS" if ok else "MISS"
        rows.append(dict(id=rid, label=label, unit=unit, tlsctx=stats(t), asio=stats(a), ratio=ratio,
                         control=control, target="%s %.2f" % ({">=": "≥", "<=": "≤"}[target[0]], target[1]) if target else "—", verdict=verdict))
    mem = data["memory"]
    for end in ["server", "client"]:
        for what in ["total", "openssl", "cxx"]:
            t = [mem[k][end][what] for k in ("tlsctx", "tlsctx_again") if k in mem]
            a = [mem[k][end][what] for k in ("asio", "asio_again") if k in mem]
            ok = max(t) <= min(a) if t and a else False
            rows.append(dict(id="A5" if what == "total" else "", unit="bytes",
                             label="Heap per idle connection, %s end%s" % (
                                 end, "" if what == "total" else ", of which " +
                                 ("OpenSSL" if what == "openssl" else "C++ (operator new)")),
                             tlsctx=stats(t), asio=stats(a),
                             ratio=stats([x / y for x, y in zip(t, a) if y]), control=None,
                             target="≤ 1.00" if what == "total" else "—",
                             verdict=("PASS" if ok else "MISS") if what == "total" else "—"))
    t, a = mem.get("tlsctx", {}).get("sizeof_stream"), mem.get("asio", {}).get("sizeof_stream")
    if t and a:
        rows.append(dict(id="", unit="bytes", label="sizeof(stream<tcp::socket>) (in the coroutine frame, counted above)",
                         tlsctx=stats([t]), asio=stats([a]), ratio=stats([t / a]), control=None,
                         target="—", verdict="—"))
    return rows


def render_asio(report):
    data = report.get("asio")
    if not data:
        return ["### tls::boost_asio::stream against boost::asio::ssl::stream (issue 13)", "",
                "Not run: `tlsctx_bench_asio` was not built (Boost headers missing).", ""]
    m, mem = data["main"], data["memory"]
    L = ["### tls::boost_asio::stream against boost::asio::ssl::stream (issue 13)", "",
         "Boost %s (Asio), %s, one process, loopback TCP; %s and %s on both ends, the same ECDSA "
         "P-256 certificate, 2 tickets per full handshake; both clients verify the chain and the "
         "host name. %d rounds (plus one warm-up) alternating which side goes first; per round "
         "%d full handshakes and %d resumptions by %d concurrent clients, %d MiB of 16 KiB writes, "
         "%d ping-pongs. Ratios are tlsctx/Asio per round, median (min–max); the A/A column is "
         "Asio against Asio in a separate run of %d rounds (the method's own noise). Memory: %d "
         "idle connections at once, each end waiting in `async_read_some`." % (
             m["boost"].replace("_", "."), m["openssl"], m["suite"], m["group"], m["rounds"],
             m["handshakes"], m["resumes"], m["parallel"], m["bulk_bytes"] >> 20, m["pings"],
             data["aa"]["rounds"], mem["connections"]), "",
         "| # | What | unit | Asio | tlsctx | tlsctx/Asio median (min–max) | A/A control | target | verdict |",
         "|---|---|---|---|---|---|---|---|---|"]
    for r in report["asio_rows"]:
        digits = 1 if r["unit"] == "µs" else 0
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], r["label"], r["unit"], fmt(r["asio"]["median"] if r["asio"] else None, digits),
            fmt(r["tlsctx"]["median"] if r["tlsctx"] else None, digits), ratio_text(r["ratio"]),
            ratio_text(r["control"]), r["target"], r["verdict"]))
    L.append("")
    return L


# ---- report ------------------------------------------------------------------------------------


def fmt(v, digits=0):
    if v is None:
        return "—"
    if abs(v) >= 100 or digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def ratio_text(s):
    if s is None:
        return "—"
    return "%.3f (%.3f–%.3f)" % (s["median"], s["min"], s["max"])


def build_rows(runs, python, instr, limits):
    rows = []
    for spec in SPEED_ROWS:
        row = dict(spec)
        name = spec["bench"] + "/tlsctx_vs_raw"
        if spec.get("lower"):
            q = spec["lower"]
            t, r = counter(runs, name, "a_%s_us" % q), counter(runs, name, "b_%s_us" % q)
            row["tlsctx"], row["raw"] = stats(t), stats(r)
            row["ratio"] = stats([x / y for x, y in zip(t, r) if x is not None and y])
        else:
            row["tlsctx"] = stats(counter(runs, name, "a_per_cpu_s"))
            row["raw"] = stats(counter(runs, name, "b_per_cpu_s"))
            row["ratio"] = stats(counter(runs, name, "ratio_cpu"))
        if spec.get("wall"):
            row["tlsctx_wall"] = stats(counter(runs, name, "a_per_wall_s"))
            row["raw_wall"] = stats(counter(runs, name, "b_per_wall_s"))
            row["ratio_wall"] = stats(counter(runs, name, "ratio_wall"))
        if spec.get("norelease"):
            nr = spec["bench"] + "/raw_vs_raw_norelease"
            row["release_with"] = stats(counter(runs, nr, "a_per_cpu_s"))
            row["release_without"] = stats(counter(runs, nr, "b_per_cpu_s"))
            row["release_ratio"] = stats(counter(runs, nr, "ratio_cpu"))
        if "instr" in spec and instr:
            g, n, _ = spec["instr"]
            it, ir = instr.get("%s/%s/tlsctx" % (g, n)), instr.get("%s/%s/raw" % (g, n))
            row["instr_tlsctx"], row["instr_raw"] = it, ir
            row["instr_ratio"] = it / ir if it and ir else None
            nr_i = instr.get("%s/%s/raw_norelease" % (g, n))
            row["instr_raw_norelease"] = nr_i
        py = python.get(spec.get("python")) if python else None
        if py:
            row["python"] = stats(py["python"])
            row["py_tlsctx"], row["py_raw"] = stats(py["tlsctx"]), stats(py["raw"])
            row["vs_python"] = stats([a / b for a, b in zip(py["tlsctx"], py["python"]) if b])
            row["python_vs_raw"] = stats([a / b for a, b in zip(py["python"], py["raw"]) if b])
        if spec.get("limit") and spec["limit"] in limits:
            row["limit"] = limits[spec["limit"]]
        # Verdicts: paired time ratio against its target, instructions against theirs.
        misses = []
        if "target" in spec:
            if row["ratio"] is None:
                misses.append("no data")
            elif row["ratio"]["median"] < spec["target"]:
                misses.append("time %.3f < %.2f" % (row["ratio"]["median"], spec["target"]))
        if "itarget" in spec and instr:
            if row.get("instr_ratio") is None:
                misses.append("no instruction count")
            elif row["instr_ratio"] > spec["itarget"]:
                misses.append("instructions %.3f > %.2f" % (row["instr_ratio"], spec["itarget"]))
        row["verdict"] = "—" if "target" not in spec else ("PASS" if not misses else "MISS: " + "; ".join(misses))
        rows.append(row)
    return rows


def memory_rows(mem):
    rows = []
    conn = mem["connection"]
    for transport in ["socket", "membio"]:
        t, r, n = (conn[transport + "/" + k] for k in ("tlsctx", "raw", "raw_norelease"))
        for end in ["client", "server"]:
            for what, key, limit in [("idle after the handshake", "idle_total", 1024),
                                     ("idle, waiting in read", "reading_total", 1024),
                                     ("peak during the handshake", "peak_median", 2048)]:
                over = t[end][key] - r[end][key]
                rows.append(dict(label="%s, %s, %s" % (transport, end, what), tlsctx=t[end][key],
                                 raw=r[end][key], raw_norelease=n[end][key], overhead=over,
                                 cxx=t[end]["idle_cxx"] if key != "peak_median" else None,
                                 target="≤ raw + %d" % limit,
                                 verdict="PASS" if over <= limit else "MISS"))
    for end in ["client", "server"]:
        over = mem["context"]["tlsctx"][end] - mem["context"]["raw"][end]
        rows.append(dict(label="context, %s (CA / certificate + key loaded)" % end,
                         tlsctx=mem["context"]["tlsctx"][end], raw=mem["context"]["raw"][end],
                         raw_norelease=None, overhead=over, cxx=None, target="≤ raw + 4096",
                         verdict="PASS" if over <= 4096 else "MISS"))
    return rows


def machine_info():
    info = {"nproc": os.cpu_count()}
    try:
        info["lscpu"] = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[:10]
    except OSError:
        info["lscpu"] = []
    info["kernel"] = platform.release()
    info["openssl"] = subprocess.run(["openssl", "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    info["python"] = platform.python_version()
    return info


def render(report):
    L = []
    m = report["meta"]
    L.append("Run: %s, %s mode, %d repetitions of %gs each (randomly interleaved), %d connections "
             "for memory; %s; Python %s; load average %s at the start, %s at the end; took %.0f s (%s)."
             % (m["date"], m["mode"], m["repetitions"], m["min_time"], m["connections"],
                m["machine"]["openssl"], m["machine"]["python"], m["load_start"], m["load_end"],
                m["elapsed"], ", ".join(m.get("phases", []))))
    L.append("")
    L.append("Machine: `nproc` = %s; `lscpu | head`:" % m["machine"]["nproc"])
    L.append("")
    L.append("```")
    L.extend(m["machine"]["lscpu"])
    L.append("```")
    L.append("")
    L.append("### Speed: tlsctx / raw OpenSSL (paired A/B blocks, CPU time) and instructions (callgrind)")
    L.append("")
    L.append("| # | Scenario | unit | raw | tlsctx | tlsctx/raw median (min–max) | target | "
             "instructions/op raw | tlsctx/raw instr. | target | verdict |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], r["label"], r["unit"],
            fmt(r["raw"]["median"] if r["raw"] else None, 1),
            fmt(r["tlsctx"]["median"] if r["tlsctx"] else None, 1),
            ratio_text(r["ratio"]) if not r.get("lower") else ratio_text(r["ratio"]) + " (latency)",
            "≥ %.2f" % r["target"] if "target" in r else "—",
            fmt(r.get("instr_raw")), "%.4f" % r["instr_ratio"] if r.get("instr_ratio") else "—",
            "≤ %.2f" % r["itarget"] if "itarget" in r else "—", r["verdict"]))
    L.append("")
    L.append("Bulk over the socketpair, wall clock (the target is per CPU-second, above; wall "
             "clock on a shared machine mostly measures the neighbours):")
    L.append("")
    L.append("| # | raw MiB/s | tlsctx MiB/s | tlsctx/raw paired median (min–max) |")
    L.append("|---|---|---|---|")
    for r in report["rows"]:
        if r.get("wall"):
            L.append("| %s | %s | %s | %s |" % (r["id"], fmt(r["raw_wall"]["median"] if r["raw_wall"] else None),
                                               fmt(r["tlsctx_wall"]["median"] if r["tlsctx_wall"] else None),
                                               ratio_text(r["ratio_wall"])))
    L.append("")
    L.append("### SSL_MODE_RELEASE_BUFFERS (tlsctx's default) against OpenSSL's default")
    L.append("")
    L.append("| # | raw with it | raw without it | with/without, paired median (min–max) | "
             "instructions with/without |")
    L.append("|---|---|---|---|---|")
    for r in report["rows"]:
        if r.get("release_ratio"):
            ir = (r["instr_raw"] / r["instr_raw_norelease"]) if r.get("instr_raw_norelease") else None
            L.append("| %s | %s | %s | %s | %s |" % (
                r["id"], fmt(r["release_with"]["median"]), fmt(r["release_without"]["median"]),
                ratio_text(r["release_ratio"]), "%.3f" % ir if ir else "—"))
    small = next((r for r in report["rows"] if r["id"] == "5"), None)
    if small and small.get("instr_raw_norelease"):
        L.append("| 64 B write + read, memory BIOs | — | — | — | %.3f |"
                 % (small["instr_raw"] / small["instr_raw_norelease"]))
    L.append("")
    L.append("### Python's ssl on the same work (rounds: each Python repetition between two of each C++ side)")
    L.append("")
    L.append("| # | unit | raw | tlsctx | Python %s | tlsctx/Python median (min–max) | Python/raw median (min–max) "
             "| Python slower than raw? |" % next((p["version"] for p in (report.get("python") or {}).values()), ""))
    L.append("|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        if r.get("py_raw"):  # r["python"] is the scenario name until Python ran
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["id"], r["unit"], fmt(r["py_raw"]["median"]), fmt(r["py_tlsctx"]["median"]),
                fmt(r["python"]["median"]), ratio_text(r["vs_python"]), ratio_text(r["python_vs_raw"]),
                "yes" if r["python_vs_raw"]["median"] < 1 else "no"))
    L.append("")
    L.append("### Memory (bytes per connection end, %d connections; tls13_ecdsa)" % m["connections"])
    L.append("")
    L.append("| What | raw without RELEASE_BUFFERS | raw | tlsctx | tlsctx − raw | of which C++ | target | verdict |")
    L.append("|---|---|---|---|---|---|---|---|")
    for r in report["memory"]:
        L.append("| %s | %s | %s | %s | %+d | %s | %s | %s |" % (
            r["label"], fmt(r["raw_norelease"]), fmt(r["raw"]), fmt(r["tlsctx"]), r["overhead"],
            fmt(r["cxx"]), r["target"], r["verdict"]))
    L.append("")
    L.extend(render_asio(report))
    if report.get("speed"):
        sp, lim = report["speed"], report["limits"]
        L.append("### The crypto limit (`openssl speed`, one core)")
        L.append("")
        L.append("`openssl speed` at 16 KiB: AES-128-GCM %s MiB/s, AES-256-GCM %s MiB/s, "
                 "ChaCha20-Poly1305 %s MiB/s. ECDSA P-256 %s sign/s, %s verify/s; RSA-2048 %s sign/s, "
                 "%s verify/s; X25519 %s derive/s." % tuple(fmt(sp.get(k)) for k in [
                     "aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "ecdsap256_sign",
                     "ecdsap256_verify", "rsa2048_sign", "rsa2048_verify", "x25519"]))
        L.append("A full handshake costs 1 sign + 2 verifies (CertificateVerify, the leaf's "
                 "signature) + 4 X25519 operations (key generation and shared secret at each end); a "
                 "TLS 1.3 resumption 4 X25519 operations; bulk encrypts and decrypts every byte.")
        L.append("")
        L.append("| # | limit | raw | raw / limit | tlsctx / limit |")
        L.append("|---|---|---|---|---|")
        for r in report["rows"]:
            if r.get("limit"):
                L.append("| %s | %s %s | %s | %.0f %% | %.0f %% |" % (
                    r["id"], fmt(r["limit"]), r["unit"], fmt(r["raw"]["median"]),
                    100 * r["raw"]["median"] / r["limit"], 100 * r["tlsctx"]["median"] / r["limit"]))
        L.append("")
    if report.get("instr") or report.get("diag_paired"):
        L.append("### Diagnosis: what a wrapper's error-queue rule costs")
        L.append("")
    if report.get("instr"):
        L.append("`SSL_get_error()` needs an empty error queue. Raw OpenSSL re-run with the two rules "
                 "a wrapper can follow before every SSL call: `ERR_clear_error()` always (raw_clear: "
                 "libtls and Asio do this, and so did tlsctx at first) and "
                 "`if (ERR_peek_error() != 0) ERR_clear_error();` (raw_peek: tlsctx until "
                 "2026-11-23). tlsctx now looks at the queue only after a call fails (src/engine.cpp, "
                 "`Engine::failed`). Instructions per operation (callgrind):")
        L.append("")
        L.append("| scenario | raw | tlsctx | tlsctx − raw | raw_clear − raw | raw_peek − raw | tlsctx/raw |")
        L.append("|---|---|---|---|---|---|---|")
        ins = report.get("instr") or {}
        for g, n, _ in DIAG_INSTR:
            k = "%s/%s/" % (g, n)
            if k + "raw_clear" not in ins:
                continue
            raw, t, cl, pk = ins[k + "raw"], ins[k + "tlsctx"], ins[k + "raw_clear"], ins[k + "raw_peek"]
            L.append("| %s/%s | %s | %s | %s | %s | %s | %.4f |" % (
                g, n, fmt(raw), fmt(t), fmt(t - raw), fmt(cl - raw), fmt(pk - raw), t / raw))
        L.append("")
    if report.get("diag_paired"):
        L.append("Paired timings of the same comparison (CPU time, rate of the first / rate of the second):")
        L.append("")
        L.append("| comparison | ratio median (min–max) |")
        L.append("|---|---|")
        for label, st in report["diag_paired"]:
            L.append("| %s | %s |" % (label, ratio_text(st)))
        L.append("")
    if report.get("breakdown"):
        total = report["instr_handshake_total"]
        L.append("### Where a raw TLS 1.3 ECDSA full handshake goes (callgrind, both ends, "
                 "%s instructions)" % fmt(total))
        L.append("")
        L.append("| Part | instructions | share |")
        L.append("|---|---|---|")
        pk = 0
        for b in report["breakdown"]:
            L.append("| %s | %s | %.1f %% |" % (b["label"], fmt(b["instr"]), 100 * b["instr"] / total))
            pk += b["instr"] if b["public_key"] else 0
        L.append("| **Public-key math (the first five rows)** | %s | %.1f %% |" % (fmt(pk), 100 * pk / total))
        L.append("")
        L.append("Under valgrind OpenSSL sees fewer CPU features than natively, so public-key "
                 "shares here are upper bounds; at native speed (`openssl speed`), the same "
                 "operations take %s of raw's measured handshake time." % report.get("pk_time_share", "—"))
        L.append("")
    if report.get("overhead"):
        L.append("### Where tlsctx's extra instructions go (self cost, tlsctx − raw, per operation)")
        L.append("")
        for key, items in report["overhead"].items():
            extra = None
            for r in report["rows"]:
                if "instr" in r and "%s/%s" % r["instr"][:2] == key and r.get("instr_tlsctx"):
                    extra = r["instr_tlsctx"] - r["instr_raw"]
            L.append("%s (total %s extra):" % (key, fmt(extra)))
            L.append("")
            L.append("| function | extra instructions |")
            L.append("|---|---|")
            for it in items:
                L.append("| `%s` | %s |" % (it["function"][:110], fmt(it["instr"])))
            L.append("")
    return "\n".join(L) + "\n"


def chart(report, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in report["rows"] if r.get("ratio") and not r.get("lower")]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [3, 2]})
    xs = list(range(len(rows)))
    w = 0.27
    ax.bar([x - w for x in xs], [1.0] * len(rows), w, label="raw OpenSSL", color="#999999")
    med = [r["ratio"]["median"] for r in rows]
    err = [[m - r["ratio"]["min"] for m, r in zip(med, rows)], [r["ratio"]["max"] - m for m, r in zip(med, rows)]]
    ax.bar(xs, med, w, yerr=err, capsize=3, label="tlsctx (paired median, min–max)", color="#1f77b4")
    py = [r["python_vs_raw"]["median"] if r.get("python_vs_raw") else 0 for r in rows]
    ax.bar([x + w for x in xs], py, w, label="Python ssl (Python/raw, own rounds)", color="#ff7f0e")
    for x, r in zip(xs, rows):
        if r.get("instr_ratio"):
            ax.annotate("instr %.3f" % r["instr_ratio"], (x, 0.05), ha="center", rotation=90, fontsize=7,
                        color="white")
    ax.set_xticks(xs)
    ax.set_xticklabels([r["id"] for r in rows])
    ax.axhline(1.0, color="black", linewidth=0.6)
    ax.set_ylabel("rate relative to raw OpenSSL (higher is better)")
    ax.set_title("Speed per scenario (1 handshakes, 2 resumption, 3 bulk)")
    ax.set_ylim(0, 1.3)  # an outlier repetition's error bar may run off the top
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=3, fontsize=8)
    mem = [r for r in report["memory"] if r["label"].startswith("socket") and "idle after" in r["label"]]
    xs2 = list(range(len(mem)))
    ax2.bar([x - w for x in xs2], [r["raw_norelease"] / 1024 for r in mem], w, label="raw, OpenSSL default",
            color="#cccccc")
    ax2.bar(xs2, [r["raw"] / 1024 for r in mem], w, label="raw + RELEASE_BUFFERS", color="#999999")
    ax2.bar([x + w for x in xs2], [r["tlsctx"] / 1024 for r in mem], w, label="tlsctx", color="#1f77b4")
    ax2.set_xticks(xs2)
    ax2.set_xticklabels(["client", "server"])
    ax2.set_ylabel("KiB per idle connection end (heap)")
    ax2.set_title("Memory (4): idle TLS 1.3 connection over a socketpair")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=3, fontsize=8)
    fig.suptitle("tlsctx vs raw OpenSSL vs Python ssl — %s" % report["meta"]["date"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_chart(report_json, png):
    """Draws with this interpreter's matplotlib, else with Debian's python3-matplotlib."""
    if os.path.exists(png):
        os.remove(png)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        for python in ["/usr/bin/python3", "/bin/python3"]:
            if os.path.exists(python) and os.path.realpath(python) != os.path.realpath(sys.executable):
                subprocess.run([python, os.path.abspath(__file__), "--chart", report_json, png], check=False)
                break
        if not os.path.exists(png):
            log("no chart: matplotlib is missing (Debian: apt install python3-matplotlib)")
        return
    with open(report_json) as f:
        chart(json.load(f), png)


def update_readme(results_md, readme):
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    with open(readme) as f:
        text = f.read()
    if begin not in text or end not in text:
        log("README has no results markers; not updated")
        return
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(readme, "w") as f:
        f.write(head + begin + "\n" + results_md + end + tail)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--chart":  # draw_chart's fallback
        with open(sys.argv[2]) as f:
            chart(json.load(f), sys.argv[3])
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True, help="build directory configured with -DTLSCTX_BUILD_BENCH=ON")
    p.add_argument("--quick", action="store_true", help="seconds: tiny counts, no callgrind, no openssl speed")
    p.add_argument("--repetitions", type=int, default=None)
    p.add_argument("--min-time", type=float, default=None, help="seconds per repetition")
    p.add_argument("--out", default=None, help="output directory (default: bench/, quick: BUILD/bench-quick)")
    p.add_argument("--no-callgrind", action="store_true")
    p.add_argument("--no-python", action="store_true")
    args = p.parse_args()

    build = os.path.abspath(args.build)
    # Figures from binaries older than the sources would describe another library: bring the
    # benchmarks up to date first (a no-op when they are), and only them: a build tree may hold
    # test suites that take minutes to compile and that no benchmark runs.
    if os.path.exists(os.path.join(build, "CMakeCache.txt")):
        subprocess.run(["cmake", "--build", build, "--target", "tlsctx_benchmarks"], check=True,
                       stdout=subprocess.DEVNULL)
    for b in ["tlsctx_bench", "tlsctx_bench_instr", "tlsctx_bench_memory"]:
        if not os.access(os.path.join(build, "bench", b), os.X_OK):
            sys.exit("%s/bench/%s missing: configure with -DTLSCTX_BUILD_BENCH=ON and build first" % (build, b))
    quick = args.quick
    # Nine: with five, the A/A control of the memory-BIO bulk scenario (3d) wandered by ±1 %, the
    # whole margin of its target.
    reps = args.repetitions or (1 if quick else 9)
    min_time = args.min_time or (0.01 if quick else 0.25)
    connections = 20 if quick else 1000
    out_dir = os.path.abspath(args.out or (os.path.join(build, "bench-quick") if quick else HERE))
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.join(build, "bench-work")
    os.makedirs(work, exist_ok=True)
    pki = os.path.join(build, "bench-pki")
    os.makedirs(pki, exist_ok=True)
    env = dict(os.environ, TLSCTX_BENCH_PKI=pki)

    start = time.time()
    load_start = "%.2f" % os.getloadavg()[0]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    phases = []

    def phase(name, t0):
        phases.append("%s %.0f s" % (name, time.time() - t0))
        return time.time()

    t0 = time.time()
    runs, failed = run_gbench(build, work, quick, reps, min_time, env)
    t0 = phase("Google Benchmark", t0)
    mem = run_memory(build, connections, env)
    t0 = phase("memory", t0)
    python = None if args.no_python else run_python(build, pki, 1 if quick else 4, 0.02 if quick else 0.2, env)
    t0 = phase("Python rounds", t0)
    asio = run_asio(build, quick, env)
    t0 = phase("Asio", t0)
    speed = None if quick else run_speed(1)
    limits = limits_from_speed(speed) if speed else {}
    t0 = phase("openssl speed", t0)
    instr, breakdown, overhead, total = {}, None, None, None
    if not quick and not args.no_callgrind and shutil.which("valgrind"):
        with tempfile.TemporaryDirectory() as tmp:
            instr, breakdown, overhead, total = run_callgrind(build, env, tmp)
        t0 = phase("callgrind", t0)
    load_end = "%.2f" % os.getloadavg()[0]

    diag_paired = [(label, stats(counter(runs, "diag/" + name, "ratio_cpu"))) for name, label in DIAG_PAIRED]
    diag_paired = [(label, st) for label, st in diag_paired if st]
    report = dict(diag_paired=diag_paired, meta=dict(date=date, mode="quick" if quick else "full", repetitions=reps, min_time=min_time,
                            connections=connections, machine=machine_info(), load_start=load_start,
                            load_end=load_end, elapsed=time.time() - start),
                  rows=build_rows(runs, python, instr, limits), memory=memory_rows(mem), speed=speed,
                  limits=limits, breakdown=breakdown, overhead=overhead, instr=instr,
                  instr_handshake_total=total, python=python, memory_raw=mem, failed=failed,
                  asio=asio, asio_rows=asio_rows(asio) if asio else [])
    if speed and "ecdsap256_sign" in speed:
        raw = next(r for r in report["rows"] if r["id"] == "1a")["raw"]
        pk_time = (1 / speed["ecdsap256_sign"] + 2 / speed["ecdsap256_verify"] + 4 / speed["x25519"])
        if raw:
            report["pk_time_share"] = "%.0f %%" % (100 * pk_time * raw["median"])
    report["meta"]["elapsed"] = time.time() - start
    report["meta"]["phases"] = phases
    md = render(report)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("# tlsctx benchmark results\n\nMade by `bench/run.py`; see bench/README.md for what "
                "each figure means.\n\n" + md)
    report_json = os.path.join(out_dir if quick else work, "results.json")
    with open(report_json, "w") as f:
        json.dump(report, f, indent=1, default=str)
    draw_chart(report_json, os.path.join(out_dir, "results.png"))
    if not quick and out_dir == HERE:
        update_readme(md, os.path.join(HERE, "README.md"))
    log(md)
    log("wrote %s/results.md, results.png and %s in %.0f s" % (out_dir, report_json, time.time() - start))
    if failed:
        log("FAILED benchmarks:\n  " + "\n  ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
