"""Benchmark ``chainkit audit`` against the full PyPI advisory snapshot.

Measures, for 300 pinned packages (real package names and versions taken from the snapshot):

- index build time: reading and indexing the OSV export cold (no cache), and loading the
  cached index;
- audit time: ``chainkit audit -r requirements.txt --advisory-db <zip>`` end to end (a fresh
  process, index from the cache, loopback endpoint, pip-audit, severities, JSON report);
- overhead against plain pip-audit: ``python -m pip_audit -r requirements.txt --no-deps
  --disable-pip -s osv --osv-url <loopback>`` pointed at the same loopback endpoint (served by
  this benchmark process). Target: chainkit / pip-audit <= 1.1.

Run from the repository root (not part of the test suite)::

    python benchmarks/audit/bench_audit.py [--snapshot PATH] [--repeat 5] [--packages 300]

Results go to ``benchmarks/results/audit.json`` (and a short summary to stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chainkit.audit import LoopbackOSV, load_database

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SNAPSHOT = REPO.parent / "shared" / "advisories" / "pypi-advisories-osv.zip"
RESULTS = REPO / "benchmarks" / "results" / "audit.json"


def pick_pins(snapshot: Path, count: int) -> list[str]:
    """``name==version`` for ``count`` distinct packages: a listed affected version of each."""
    pins: dict[str, str] = {}
    with zipfile.ZipFile(snapshot) as zf:
        for name in sorted(zf.namelist()):
            record = json.loads(zf.read(name))
            for affected in record.get("affected", []):
                pkg = canonicalize_name(affected["package"]["name"])
                if pkg in pins:
                    continue
                for v in affected.get("versions", []):
                    try:
                        Version(v)
                    except InvalidVersion:
                        continue
                    pins[pkg] = v
                    break
            if len(pins) >= count:
                break
    return [f"{k}=={v}" for k, v in sorted(pins.items())[:count]]


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chainkit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        pins = pick_pins(args.snapshot, args.packages)
        reqs = tmp / "requirements.txt"
        reqs.write_text("\n".join(pins) + "\n")

        # Index build: cold (no cache) and warm (cached index).
        cold, warm = [], []
        for i in range(args.repeat):
            start = time.perf_counter()
            load_database(args.snapshot, cache_dir=tmp / f"cold-{i}")
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            db = load_database(args.snapshot, cache_dir=tmp / f"cold-{i}")
            warm.append(time.perf_counter() - start)

        cache = tmp / "cache"
        load_database(args.snapshot, cache_dir=cache)  # chainkit runs below use the warm cache
        chainkit_cmd = [
            sys.executable, "-m", "chainkit", "audit", "-r", str(reqs),
            "--advisory-db", str(args.snapshot), "--cache-dir", str(cache), "--format", "json",
            "--fail-on", "any",
        ]  # fmt: skip
        chainkit_times: list[float] = []
        pip_audit_times: list[float] = []
        findings = pip_audit_findings = -1

        def pip_audit_cmd(endpoint: LoopbackOSV) -> list[str]:
            return [
                sys.executable, "-m", "pip_audit", "-r", str(reqs), "--no-deps", "--disable-pip",
                "-s", "osv", "--osv-url", endpoint.query_url, "-f", "json",
                "--cache-dir", str(tmp / "pip-audit-cache"), "--progress-spinner", "off",
            ]  # fmt: skip

        # Warm-up (imports, page cache), then interleave the two commands. Each pip-audit run
        # gets a fresh endpoint (index already loaded, like a server that was running before),
        # so neither side profits from the other's warm matching cache.
        timed(chainkit_cmd)
        with LoopbackOSV(load_database(args.snapshot, cache_dir=cache)) as endpoint:
            timed(pip_audit_cmd(endpoint))
        for _ in range(args.repeat):
            elapsed, proc = timed(chainkit_cmd)
            if proc.returncode not in (0, 1):
                sys.stderr.write(proc.stderr)
                return 3
            findings = len(json.loads(proc.stdout)["findings"])
            chainkit_times.append(elapsed)
            with LoopbackOSV(load_database(args.snapshot, cache_dir=cache)) as endpoint:
                elapsed, proc = timed(pip_audit_cmd(endpoint))
            if proc.returncode not in (0, 1):
                sys.stderr.write(proc.stderr)
                return 3
            deps = json.loads(proc.stdout)["dependencies"]
            pip_audit_findings = sum(len(d.get("vulns", [])) for d in deps)
            pip_audit_times.append(elapsed)

    # Medians for the headline; minimums too, since other load on the machine only adds time.
    ck, pa = statistics.median(chainkit_times), statistics.median(pip_audit_times)
    ck_min, pa_min = min(chainkit_times), min(pip_audit_times)
    results = {
        "benchmark": "chainkit audit, full PyPI advisory snapshot",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2)
        if hasattr(os, "getloadavg")
        else None,
        "packages": len(pins),
        "records": len(db),
        "repeat": args.repeat,
        "index_build_cold_s": round(statistics.median(cold), 4),
        "index_load_cached_s": round(statistics.median(warm), 4),
        "chainkit_audit_s": round(ck, 4),
        "pip_audit_same_endpoint_s": round(pa, 4),
        "overhead_ratio": round(ck / pa, 3),
        "chainkit_audit_min_s": round(ck_min, 4),
        "pip_audit_same_endpoint_min_s": round(pa_min, 4),
        "overhead_ratio_min": round(ck_min / pa_min, 3),
        "overhead_target": 1.1,
        "findings": findings,
        "pip_audit_findings": pip_audit_findings,
        "samples": {"chainkit_audit_s": chainkit_times, "pip_audit_s": pip_audit_times},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.is_file():  # keep bench_offline_service.py's section
        previous = json.loads(args.output.read_text())
        if "offline_service" in previous:
            results["offline_service"] = previous["offline_service"]
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "samples"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
