"""Benchmark ``chainkit backfill`` at scale under GitHub's (scaled) write limits (issue 9).

For each home (``release-assets`` and ``attestations``), on a fresh sandbox seeded with
N releases x M assets (M-1 small files + a ``SHA256SUMS``), GitHub's secondary limits scaled
60x (``80/1s,500/60s``: the sandbox enforces them, ``--write-budget`` paces to them) and
20 ms of latency on every GitHub request (a seeded ``faults`` rule):

1. **time vs floor** - wall time of ``backfill apply`` against the least time its writes take
   at the budget (``WriteBudget.minimum_seconds``, the pacer's own schedule; the plan's
   ``estimate``), and the secondary-limit refusals the sandbox counted (``GET /_sandbox/limits``).
2. **requests by kind** - from the request logs (GitHub, and ``?service=sigstore`` for
   Fulcio/Rekor/TSA), classified by method + path (the stand-in's ``kind``; Sigstore by service,
   method and path), against the minimum the work needs; the extra requests per kind.
3. **no-op apply** - the same plan applied again: writes (must be 0) and requests by kind.
4. **peak memory** of plan and apply (``wait4`` in a small launcher, as ``run.py``).

And, once: **hashing** - chainkit's ``sha256_file`` (a tiny script, its own process) against
``openssl dgst -sha256`` on the same large file, interleaved rounds, warm page cache.

The launcher (sandbox in a background process, every chainkit command a fresh process) is
``run.py``'s. Run from the repository root (not part of the test suite)::

    python benchmarks/backfill/scale.py                       # 300 releases x 5 assets
    python benchmarks/backfill/scale.py --releases 60         # a smaller documented size
    python benchmarks/backfill/scale.py --quick               # smoke: 20 x 5, 64 MiB hash file

Results: ``benchmarks/results/scale.json`` (``--quick``: ``scale-quick.json``; ``--output``).
Exit 1 when a target is missed (``targets_failed`` lists them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # run.py is a script next to this one
    REPOSITORY,
    RESULTS_DIR,
    Running,
    _all_targets,
    background_sandbox,
    check,
    expect,
    machine,
    release_with_sums,
    run_chainkit,
    run_process,
    seed_document,
)

FULL_RELEASES = 300
QUICK_RELEASES = 20
ASSETS = 5
# github.com's 80/60 s, 500/3600 s scaled 60x in time: the sandbox's limits and the budget
LIMITS = [{"requests": 80, "window_s": 1}, {"requests": 500, "window_s": 60}]
BUDGET = "80/1s,500/60s"
LATENCY_MS = 20
FLOOR_TOLERANCE = 0.05
FULL_HASH_BYTES = 1024 * 1024 * 1024
QUICK_HASH_BYTES = 64 * 1024 * 1024
MIB = 1024 * 1024
NOOP_TOKEN = "sandbox-write-noop"
SOAK_RESULTS = ("soak.json", "soak-without-starter.json")


def seed(releases: int, assets: int) -> dict[str, Any]:
    """``releases`` releases of ``assets - 1`` small files + SHA256SUMS, limits and latency."""
    doc = seed_document(
        [
            release_with_sums(
                i, {f"widgets-1.{i}.0-part{k}.bin": f"part {k} of {i}" for k in range(assets - 1)}
            )
            for i in range(releases)
        ],
        LIMITS,
        NOOP_TOKEN,  # the no-op apply's own token
    )
    doc["faults"] = {"seed": 0, "rules": [{"service": "github", "latency_ms": LATENCY_MS}]}
    return doc


# --------------------------------------------------------------------------- request logs


def sigstore_log(sb: Running) -> list[dict[str, Any]]:
    resp = requests.get(
        f"{sb.api_url}/_sandbox/requests", params={"service": "sigstore"}, timeout=60
    )
    resp.raise_for_status()
    data: list[dict[str, Any]] = resp.json()
    return data


def _sigstore_kind(entry: dict[str, Any]) -> str:
    path = entry["path"]
    method = entry["method"]
    service = entry.get("service") or entry.get("kind")
    if service == "rekor" and method == "POST" and path.rstrip("/").endswith("/entries"):
        return "rekor-log-entry"
    if service == "fulcio" and method == "POST":
        return "fulcio-certificate"
    if service == "tsa" and method == "POST":
        return "tsa-timestamp"
    return f"{service} {method} {re.sub(r'/[0-9a-f]{8,}|/[0-9]+', '/{id}', path)}"


def classify(github: list[dict[str, Any]], sigstore: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests by kind: GitHub's by the stand-in's ``kind`` (method + path), Sigstore's here."""
    kinds = Counter(f"{r['kind']}" for r in github)
    kinds.update(_sigstore_kind(r) for r in sigstore)
    return {
        "github_total": len(github),
        "sigstore_total": len(sigstore),
        "github_writes": sum(1 for r in github if r["method"] not in {"GET", "HEAD"}),
        "github_by_status": dict(sorted(Counter(str(r["status"]) for r in github).items())),
        "by_kind": dict(sorted(kinds.items())),
        "methods_by_kind": {
            k: sorted({r["method"] for r in github if r["kind"] == k})
            for k in sorted({r["kind"] for r in github})
        },
    }


def extra(by_kind: dict[str, int], minimum: dict[str, int]) -> dict[str, Any]:
    """Per kind: measured, minimum (0 for a kind the work does not need), extra."""
    out: dict[str, Any] = {}
    for kind in sorted(set(by_kind) | set(minimum)):
        got, need = by_kind.get(kind, 0), minimum.get(kind, 0)
        out[kind] = {"measured": got, "minimum": need, "extra": got - need}
    return out


def _clear(sb: Running) -> None:
    sb.clear_requests()  # clears both logs (docs/sandbox.md)


# --------------------------------------------------------------------------- one home


def bench_home(work: Path, home: str, releases: int, assets: int) -> dict[str, Any]:
    print(f"[{home}] {releases} releases x {assets} assets, {BUDGET}, {LATENCY_MS} ms", flush=True)
    d = work / home
    d.mkdir(parents=True)
    with background_sandbox(d / "sb", seed(releases, assets)) as sb:
        env = {**sb.env(), "CHAINKIT_WRITE_BUDGET": BUDGET}
        read_env = {**sb.env(read_only=True), "CHAINKIT_WRITE_BUDGET": BUDGET}
        plan_file = d / "plan.json"
        state = d / "state"

        _clear(sb)
        plan_run = run_chainkit(
            [
                "backfill",
                "plan",
                "--repo",
                REPOSITORY,
                "--home",
                home,
                "--write-budget",
                BUDGET,
                "-o",
                str(plan_file),
                "--json",
            ],
            read_env,
            d,
        )
        expect(plan_run, [0], f"backfill plan --home {home}")
        plan_out = plan_run.json()
        plan_req = classify(sb.requests_log(), sigstore_log(sb))
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        estimate = plan_out["estimate"]
        print(f"  plan: {plan_run.seconds:.1f} s, estimate {estimate}", flush=True)

        args = [
            "backfill",
            "apply",
            "--plan",
            str(plan_file),
            "--expect-digest",
            plan["plan_digest"],
            "--identity-token",
            sb.identity_token(),
            "--state-dir",
            str(state),
            "--write-budget",
            BUDGET,
            "--yes",
            "--json",
        ]
        refused0 = int(sb.limits()["refused"])
        _clear(sb)
        started = time.monotonic()
        apply_run = run_chainkit(args, env, d)
        expect(apply_run, [0], f"backfill apply ({home})")
        print(
            f"  apply: {apply_run.seconds:.1f} s, {apply_run.cpu_seconds:.1f} s CPU "
            f"({time.monotonic() - started:.1f})",
            flush=True,
        )
        github_log, sig_log = sb.requests_log(), sigstore_log(sb)
        limits = sb.limits()
        refused = int(limits["refused"]) - refused0
        apply_req = classify(github_log, sig_log)
        report = apply_run.json()

        args[args.index("--identity-token") + 1] = sb.identity_token()
        _clear(sb)
        repeat_run = run_chainkit(args, {**env, "GITHUB_TOKEN": NOOP_TOKEN}, d)
        expect(repeat_run, [0], f"repeated backfill apply ({home})")
        repeat_req = classify(sb.requests_log(), sigstore_log(sb))
        refused_repeat = int(sb.limits()["refused"]) - refused0 - refused
        repeat = repeat_run.json()
        print(f"  repeat: {repeat_run.seconds:.1f} s, {repeat_req['by_kind']}", flush=True)

    from chainkit.github import WriteBudget

    budget = WriteBudget.parse(BUDGET)
    writes = apply_req["github_writes"]
    floor = budget.minimum_seconds(writes)
    total_assets = releases * assets
    certs = int(report.get("certificates", 0))
    list_pages = math.ceil(releases / 100)
    # the least the work needs, per kind (docs/backfill.md, "What apply does")
    if home == "release-assets":
        apply_min = {
            "download": total_assets,  # the API's 302 per asset ...
            "storage": total_assets,  # ... and the bytes
            "upload": total_assets + releases,  # bundles + one attestation asset per release
            "rekor-log-entry": total_assets + releases,
            "update-release": releases,
        }
    else:
        apply_min = {
            "download": total_assets,
            "storage": total_assets,
            "create-attestation": releases,
            "rekor-log-entry": releases,
            "update-release": releases,
        }
    apply_min["fulcio-certificate"] = max(1, math.ceil(apply_run.seconds / 600))
    plan_min = {
        "list-releases": list_pages,
        "download": releases,  # one SHA256SUMS per release (the evidence)
        "storage": releases,
    }
    at = apply_req["by_kind"]
    write_kinds = {k: at.get(k, 0) for k in ("upload", "create-attestation", "update-release")}
    result: dict[str, Any] = {
        "home": home,
        "releases": releases,
        "assets": total_assets,
        "plan": {
            "seconds": plan_run.seconds,
            "max_rss_mb": plan_run.max_rss_mb,
            "cpu_seconds": plan_run.cpu_seconds,
            "estimate": estimate,
            "requests": plan_req,
            "requests_vs_minimum": extra(plan_req["by_kind"], plan_min),
        },
        "apply": {
            "seconds": apply_run.seconds,
            "max_rss_mb": apply_run.max_rss_mb,
            "cpu_seconds": apply_run.cpu_seconds,
            "summary": report.get("summary"),
            "certificates": certs,
            "writes": writes,
            "writes_by_kind": write_kinds,
            "floor_seconds": round(floor, 3),
            "floor_what": "WriteBudget.minimum_seconds(writes made) at " + BUDGET,
            "time_over_floor": round(apply_run.seconds / floor, 3) if floor else None,
            "secondary_limit_refusals": refused,
            "sandbox_limits": {k: limits[k] for k in ("content", "admitted", "refused")},
            "requests": apply_req,
            "requests_vs_minimum": extra(at, apply_min),
        },
        "noop_apply": {
            "seconds": repeat_run.seconds,
            "max_rss_mb": repeat_run.max_rss_mb,
            "cpu_seconds": repeat_run.cpu_seconds,
            "summary": repeat.get("summary"),
            "certificates": repeat.get("certificates"),
            "writes": repeat_req["github_writes"],
            "rekor_entries": repeat_req["by_kind"].get("rekor-log-entry", 0),
            "secondary_limit_refusals": refused_repeat,
            "requests": repeat_req,
        },
    }
    targets: dict[str, Any] = {
        "all_signed_or_done": check(
            len([o for o in report.get("outcomes", []) if o.get("result") == "failed"]), 0
        ),
        "time_within_5pct_of_floor": check(
            round(apply_run.seconds, 3), round(floor * (1 + FLOOR_TOLERANCE), 3)
        ),
        "secondary_limit_refusals": check(refused, 0),
        "noop_apply_writes": check(repeat_req["github_writes"], 0),
        "noop_apply_rekor_entries": check(result["noop_apply"]["rekor_entries"], 0),
    }
    if home == "attestations":
        per_release = at.get("create-attestation", 0) + at.get("upload", 0)
        targets["attestation_writes_le_one_per_release"] = check(per_release, releases)
        targets["notes_edits_le_one_per_release"] = check(at.get("update-release", 0), releases)
        targets["writes_le_two_per_release"] = check(writes, 2 * releases)
    result["targets"] = targets
    return result


# --------------------------------------------------------------------------- hashing

_SHA256_FILE = """
import sys, time
from pathlib import Path
from chainkit._internal.hashing import sha256_file
t = time.perf_counter()
print(sha256_file(Path(sys.argv[1])), time.perf_counter() - t)
"""


def bench_hashing(work: Path, size: int, repeat: int) -> dict[str, Any]:
    path = work / "large.bin"
    with path.open("wb") as fh:
        left = size
        while left:
            n = min(left, 16 * MIB)
            fh.write(os.urandom(n))
            left -= n
    print(f"[hashing] {size / MIB:.0f} MiB, {repeat} interleaved rounds", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINKIT_")}
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    contenders = {
        "openssl_dgst_sha256": ("openssl", "dgst", "-sha256", "-r", str(path)),
        "chainkit_sha256_file": (sys.executable, "-c", _SHA256_FILE, str(path)),
    }
    times: dict[str, list[float]] = {k: [] for k in contenders}
    inner: list[float] = []
    digests: dict[str, str] = {}
    for _ in range(repeat):
        for name, argv in contenders.items():
            run = run_process(argv, env, work)
            expect(run, [0], name)
            times[name].append(run.seconds)
            digests[name] = run.stdout.split()[0].lower()
            if name == "chainkit_sha256_file":
                inner.append(float(run.stdout.split()[1]))
    path.unlink()
    if len(set(digests.values())) != 1:
        raise SystemExit(f"sha256 mismatch: {digests}")
    med = {k: statistics.median(v) for k, v in times.items()}
    mbps = {k: round(size / MIB / v, 1) for k, v in med.items()}
    inner_mbps = round(size / MIB / statistics.median(inner), 1)
    print(f"  {mbps}, sha256_file alone {inner_mbps} MiB/s", flush=True)
    return {
        "file_bytes": size,
        "repeat": repeat,
        "method": "median wall time of each command as its own process (interleaved, warm cache)",
        "seconds": {k: [round(t, 3) for t in v] for k, v in times.items()},
        "mib_per_s": mbps,
        "chainkit_sha256_file_in_process_mib_per_s": inner_mbps,
        "chainkit_over_openssl": round(med["openssl_dgst_sha256"] / med["chainkit_sha256_file"], 3),
        "notes": "the chainkit process includes interpreter start and importing chainkit",
    }


# --------------------------------------------------------------------------- main


def soak_summary() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SOAK_RESULTS:
        path = RESULTS_DIR / name
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = ("finished", "items_lost", "extra_signatures", "kills_survived", "runs")
            out[name] = {k: data.get(k) for k in (*keys, "invariants_failed", "seconds")}
    return {"reported_by": "benchmarks/soak.py (not re-run here)", "results": out}


def _write(output: Path, results: dict[str, Any]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _use_limits(text: str) -> None:
    """Set the sandbox's limits and apply's budget from one ``N/Ts,...`` text."""
    from chainkit.github import WriteBudget

    global LIMITS, BUDGET
    windows = WriteBudget.parse(text).windows
    LIMITS = [{"requests": w.writes, "window_s": w.seconds} for w in windows]
    BUDGET = text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--releases", type=int)
    parser.add_argument("--assets", type=int, default=ASSETS, help="per release (>= 2)")
    parser.add_argument("--quick", action="store_true", help="20 releases, 64 MiB hash file")
    parser.add_argument("--homes", default="release-assets,attestations")
    parser.add_argument("--hash-bytes", type=int)
    parser.add_argument("--repeat", type=int, default=3, help="hashing rounds")
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--limits",
        default=BUDGET,
        help="the scaled limits N/Ts,... (the sandbox enforces them, apply paces to them); "
        "the issue's example scaling is 8/6s,50/60s",
    )
    args = parser.parse_args(argv)
    _use_limits(args.limits)
    releases = args.releases or (QUICK_RELEASES if args.quick else FULL_RELEASES)
    hash_bytes = args.hash_bytes or (QUICK_HASH_BYTES if args.quick else FULL_HASH_BYTES)
    output = args.output or RESULTS_DIR / ("scale-quick.json" if args.quick else "scale.json")
    if shutil.which("openssl") is None:
        raise SystemExit("needs openssl")

    work = Path(tempfile.mkdtemp(prefix="chainkit-bench-scale-"))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "chainkit backfill at scale (issue 9)",
        "created_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "size": {"releases": releases, "assets_per_release": args.assets},
        "default_size": {"releases": FULL_RELEASES, "assets_per_release": ASSETS},
        "sandbox": {"limits": LIMITS, "write_budget": BUDGET, "github_latency_ms": LATENCY_MS},
        "machine": machine(),
        "modes": {},
    }
    try:
        for home in args.homes.split(","):
            results["modes"][home] = bench_home(work, home, releases, args.assets)
            results["machine"][f"load_average_after_{home}"] = [
                round(x, 2) for x in os.getloadavg()
            ]
            _write(output, {**results, "partial": True})  # a stopped run keeps what it did
        results["hashing"] = bench_hashing(work, hash_bytes, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["soak"] = soak_summary()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - started, 1)
    targets = dict(_all_targets(results))
    results["targets_passed"] = all(targets.values())
    results["targets_failed"] = sorted(k for k, ok in targets.items() if not ok)
    _write(output, results)
    print(f"results: {output}")
    for name, ok in targets.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if results["targets_passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
