#!/usr/bin/env python3
"""x509-limbo conformance run for `tlsctx verify` (Python 3 standard library only).

Each limbo test case becomes one `tlsctx verify` call with the case's trust anchors,
intermediates, leaf, expected peer name, validation time, validation kind, maximum chain depth
and CRLs. Exit status 0 of the tool is SUCCESS, 1 FAILURE, 2 SKIPPED (the request cannot be
expressed); a case that outlives the per-case timeout is a HANG. Cases whose requirements
`tlsctx verify` cannot express are SKIPPED without running.

The outcome is compared with the case's expected_result. Known differences are listed, one per
line, in expected_mismatches.txt next to this script:

    <case id>  # <one-line reason>

The run fails when a case differs from its expected result and is not listed (unexpected), and
when a listed case no longer differs (stale entry: the list must stay true). It prints one
summary line:

    limbo: <matching> passed, <unexpected> failed, <skipped> skipped (expected mismatches: <E>)

With --results FILE it also writes x509-limbo's result format:
    {"version": 1, "harness": NAME, "results": [{"id", "actual_result", "context"}]}
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# The EKU a default tlsctx verifier requires for each validation kind (where the leaf has an
# EKU extension): a client checks serverAuth, a server with CERT_REQUIRED checks clientAuth.
REQUIRED_EKU = {"SERVER": "serverAuth", "CLIENT": "clientAuth"}


def load_expected(path):
    """Reads `<id>  # <reason>` lines into {id: reason}. A reason is required."""
    expected = {}
    problems = []
    if not os.path.exists(path):
        return expected, problems
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            case_id, sep, reason = line.partition("#")
            case_id, reason = case_id.strip(), reason.strip()
            if not sep or not reason or not case_id or " " in case_id:
                problems.append(f"{path}:{number}: expected '<case id>  # <reason>', got {line!r}")
                continue
            if case_id in expected:
                problems.append(f"{path}:{number}: {case_id} is listed twice")
                continue
            expected[case_id] = reason
    return expected, problems


def unsupported_reason(case, profile):
    """Why `tlsctx verify` cannot express this case, or None."""
    kind = case["validation_kind"]
    if kind not in REQUIRED_EKU:
        return f"validation_kind {kind} is not supported"
    peer = case.get("expected_peer_name")
    if peer is not None and peer["kind"] not in ("DNS", "IP"):
        return f"expected_peer_name of kind {peer['kind']} cannot be checked"
    if case.get("expected_peer_names"):
        kinds = sorted({name["kind"] for name in case["expected_peer_names"]} - {"RFC822"})
        if kinds:
            return (f"expected_peer_names ({', '.join(kinds)}) cannot be checked: only email "
                    "addresses (tlsctx verify --email) can")
    if case.get("signature_algorithms"):
        return "signature_algorithms constraints cannot be expressed"
    # The web-PKI profile requires digitalSignature in a leaf's keyUsage (the handshake signs).
    if case.get("key_usage") and not (profile == "web-pki"
                                      and case["key_usage"] == ["digitalSignature"]):
        return f"key_usage requirement {case['key_usage']} cannot be expressed"
    ekus = case.get("extended_key_usage") or []
    if ekus and ekus != [REQUIRED_EKU[kind]]:
        return f"extended_key_usage {ekus} differs from the {REQUIRED_EKU[kind]} tlsctx requires"
    return None


def unix_seconds(rfc3339):
    when = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return int(when.timestamp())


def write(path, pems):
    with open(path, "w", encoding="ascii") as f:
        for pem in pems:
            f.write(pem if pem.endswith("\n") else pem + "\n")
    return path


def command_for(tool, case, workdir, profile):
    cmd = [tool, "verify", "--profile", profile,
           "--roots", write(os.path.join(workdir, "roots.pem"), case["trusted_certs"]),
           "--leaf", write(os.path.join(workdir, "leaf.pem"), [case["peer_certificate"]])]
    if case["untrusted_intermediates"]:
        cmd += ["--intermediates",
                write(os.path.join(workdir, "intermediates.pem"), case["untrusted_intermediates"])]
    peer = case.get("expected_peer_name")
    if peer is not None:
        cmd += ["--dns" if peer["kind"] == "DNS" else "--ip", peer["value"]]
    if case.get("validation_time"):
        cmd += ["--time", str(unix_seconds(case["validation_time"]))]
    if case["validation_kind"] == "CLIENT":
        cmd.append("--client")
    if case.get("max_chain_depth") is not None:
        cmd += ["--max-depth", str(case["max_chain_depth"])]
    if case.get("crls"):
        cmd += ["--crls", write(os.path.join(workdir, "crls.pem"), case["crls"])]
    return cmd


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_case(tool, case, workdir, timeout, profile):
    """Returns (actual_result, context, crashed)."""
    reason = unsupported_reason(case, profile)
    if reason is not None:
        return "SKIPPED", reason, False
    os.makedirs(workdir)
    # Each expected email address is one verification; the chain passes if all of them do.
    emails = [name["value"] for name in case.get("expected_peer_names") or []]
    outcome = None
    for email in emails or [None]:
        cmd = command_for(tool, case, workdir, profile)
        if email is not None:
            cmd += ["--email", email]
        outcome = run_tool(cmd, timeout)
        if outcome[0] != "SUCCESS":
            break
    return outcome


def run_tool(cmd, timeout):
    """Returns (actual_result, context, crashed) for one tlsctx verify call."""
    # A session of its own, so a timeout can end the tool and anything it started.
    with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, errors="replace",
                          start_new_session=True) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return "HANG", f"no verdict within {timeout:g} s", False
    if proc.returncode == 0:
        return "SUCCESS", None, False
    if proc.returncode == 1:
        return "FAILURE", last_line(stderr), False
    if proc.returncode == 2:
        return "SKIPPED", "not expressible: " + last_line(stderr), False
    # A crash or an unknown status is never a verdict, whatever the case expects.
    return "FAILURE", f"tool exited with status {proc.returncode}: {last_line(stderr)}", True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("limbo_json", nargs="?", help="limbo.json (or use --limbo)")
    parser.add_argument("--limbo", help="path to limbo.json")
    parser.add_argument("--tlsctx", required=True, help="path to the tlsctx command")
    parser.add_argument("--profile", default="standard", choices=["standard", "web-pki"],
                        help="tlsctx verify --profile (default: standard)")
    parser.add_argument("--expected",
                        help="expected mismatches list (default: expected_mismatches.txt next "
                             "to this script, expected_mismatches_web_pki.txt for web-pki)")
    parser.add_argument("--results", help="write x509-limbo result JSON here")
    parser.add_argument("--timeout", type=float, default=15.0, help="per-case timeout (s)")
    parser.add_argument("--jobs", type=int, default=max(2, 2 * (os.cpu_count() or 1)),
                        help="cases run in parallel")
    parser.add_argument("--only", action="append", default=[],
                        help="run only cases whose id contains this text (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args()

    limbo_path = args.limbo or args.limbo_json
    if not limbo_path:
        parser.error("give the path to limbo.json (--limbo PATH)")
    with open(limbo_path, encoding="utf-8") as f:
        limbo = json.load(f)
    cases = limbo["testcases"]
    if args.only:
        cases = [c for c in cases if any(text in c["id"] for text in args.only)]
    if args.expected is None:
        name = ("expected_mismatches_web_pki.txt" if args.profile == "web-pki"
                else "expected_mismatches.txt")
        args.expected = os.path.join(HERE, name)
    expected, problems = load_expected(args.expected)

    with tempfile.TemporaryDirectory(prefix="tlsctx-limbo-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_case, args.tlsctx, case, os.path.join(tmp, str(i)),
                                   args.timeout, args.profile)
                       for i, case in enumerate(cases)]
            outcomes = [future.result() for future in futures]

    results = []
    passed, skipped = 0, 0
    unexpected, expected_mismatches, stale = [], [], []
    for case, (actual, context, crashed) in zip(cases, outcomes):
        case_id = case["id"]
        results.append({"id": case_id, "actual_result": actual, "context": context})
        want = case["expected_result"]
        listed = case_id in expected
        if actual == "SKIPPED":
            skipped += 1
            if listed:
                stale.append(f"{case_id}: listed but SKIPPED ({context})")
        elif actual == want and not crashed:
            passed += 1
            if listed:
                stale.append(f"{case_id}: listed but now gives the expected {want}")
        elif listed and not crashed:
            expected_mismatches.append(case_id)
        else:
            unexpected.append(f"{case_id}: expected {want}, got {actual}"
                              + (f" ({context})" if context else ""))
        if args.verbose:
            print(f"{case_id}: expected {want}, got {actual}"
                  + (f" ({context})" if context else ""))

    all_ids = {case["id"] for case in limbo["testcases"]}
    for case_id in sorted(set(expected) - all_ids):
        stale.append(f"{case_id}: listed but not in {os.path.basename(limbo_path)}")

    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "harness": f"tlsctx-verify-{args.profile}",
                       "results": results}, f,
                      indent=2)
            f.write("\n")

    for line in problems:
        print(f"bad entry: {line}")
    for line in unexpected:
        print(f"UNEXPECTED {line}")
    for line in stale:
        print(f"STALE {line} (remove it from {os.path.basename(args.expected)})")
    print(f"limbo ({args.profile}): {passed} passed, {len(unexpected)} failed, {skipped} skipped "
          f"(expected mismatches: {len(expected_mismatches)})")
    return 1 if unexpected or stale or problems else 0


if __name__ == "__main__":
    sys.exit(main())
