"""Offline OSV: loopback HTTP server in a child process, or a pip-audit service in-process?

Both answer pip-audit's queries from the same index (the full PyPI advisory snapshot, index
loaded from the on-disk cache). Each run is a fresh interpreter doing what ``chainkit audit
-r requirements.txt --advisory-db <zip> --format json`` does (inputs, policy, audit,
severities, JSON report), with the offline database served either

- ``child-server``: by ``ServedDatabase`` (``child_server.py``: a loopback OSV endpoint on
  127.0.0.1 in a child process, started before the inputs are read, as the CLI did before
  ADR 0005), pip-audit's ``OsvService`` querying it over HTTP; or
- ``in-process``: by ``DatabaseService``, a ``VulnerabilityService`` subclass over the index
  loaded in the auditing process.

Measured per mode: wall time; peak RSS of the auditing process; peak RSS of the server child
(``VmHWM`` read from /proc just before it is stopped; 0 in-process); their sum (both are
alive at the same time, so the sum is the footprint). pip-audit also runs ``pip --version``
in both modes; that short-lived child is reported apart (``rss_pip_version_mib``, the peak
of the other waited-for children). The two modes' reports must be identical apart from the
service label (checked on every run).

Run from the repository root (not part of the test suite)::

    python benchmarks/audit/bench_offline_service.py [--snapshot PATH] [--repeat 5]

Results go to the ``offline_service`` key of ``benchmarks/results/audit.json`` (the rest of
that file is ``bench_audit.py``'s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SNAPSHOT = REPO.parent / "shared" / "advisories" / "pypi-advisories-osv.zip"
RESULTS = REPO / "benchmarks" / "results" / "audit.json"
MODES = ("child-server", "in-process")


def driver(mode: str, reqs: Path, snapshot: Path, cache: Path, out: Path) -> int:
    """One audit in this (fresh) process; the report to ``out``, RSS figures to stdout."""
    server_kb = [0]
    from chainkit.audit import (
        AuditRequest,
        load_database,
        load_policy,
        render,
        requirements_input,
        run_audit,
    )

    if mode == "child-server":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from child_server import ServedDatabase

        served = ServedDatabase(snapshot, cache_dir=cache)
        served.start()  # as the CLI does: the child loads while the inputs are read
        close = served.close

        def close_and_measure() -> None:  # the child's peak RSS, read before it exits
            proc = served._proc
            if proc is not None:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                hwm = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
                server_kb[0] = max(server_kb[0], int(hwm.split()[1]))
            close()

        served.close = close_and_measure  # type: ignore[method-assign]
        inputs = (requirements_input([reqs]),)
        request = AuditRequest(inputs, osv_url=served.query_url, cache_dir=cache)
        with served:
            report = run_audit(request, load_policy(None, project_dir=reqs.parent))
    else:
        inputs = (requirements_input([reqs]),)
        request = AuditRequest(inputs, cache_dir=cache)
        database = load_database(snapshot, cache_dir=cache)
        report = run_audit(request, load_policy(None, project_dir=reqs.parent), database=database)
    out.write_text(render(report, "json"))
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    others_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max, not sum
    print(json.dumps({"self_kb": self_kb, "server_kb": server_kb[0], "others_kb": others_kb}))
    return 0


def comparable(report_path: Path) -> dict[str, object]:
    report = json.loads(report_path.read_text())
    report.pop("service")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--requirements", type=Path, help="default: 300 pins from the snapshot")
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--driver", nargs=5, metavar=("MODE", "REQS", "DB", "CACHE", "OUT"))
    args = parser.parse_args()
    if args.driver:
        mode, reqs, db, cache, out = args.driver
        return driver(mode, Path(reqs), Path(db), Path(cache), Path(out))

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_audit import pick_pins

    from chainkit.audit import load_database

    samples: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory(prefix="chainkit-bench-offline-") as tmp_name:
        tmp = Path(tmp_name)
        reqs = args.requirements
        if reqs is None:
            reqs = tmp / "requirements.txt"
            reqs.write_text("\n".join(pick_pins(args.snapshot, args.packages)) + "\n")
        cache = tmp / "cache"
        records = len(load_database(args.snapshot, cache_dir=cache))  # warm the index cache

        def run(mode: str, out: Path) -> dict[str, float]:
            cmd = [sys.executable, __file__, "--driver", mode, str(reqs), str(args.snapshot)]
            cmd += [str(cache), str(out)]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(3)
            rss = json.loads(proc.stdout.strip().splitlines()[-1])
            return {
                "wall_s": elapsed,
                "rss_audit_mib": rss["self_kb"] / 1024,
                "rss_server_mib": rss["server_kb"] / 1024,
                "rss_total_mib": (rss["self_kb"] + rss["server_kb"]) / 1024,
                "rss_pip_version_mib": rss["others_kb"] / 1024,
            }

        for mode in MODES:  # warm-up: imports, page cache
            run(mode, tmp / f"warm-{mode}.json")
        identical = True
        findings = -1
        for i in range(args.repeat):
            order = MODES if i % 2 == 0 else tuple(reversed(MODES))  # interleave, alternate
            outs = {m: tmp / f"{m}-{i}.json" for m in MODES}
            for mode in order:
                samples[mode].append(run(mode, outs[mode]))
            a, b = (comparable(outs[m]) for m in MODES)
            identical = identical and a == b
            findings = len(a["findings"])  # type: ignore[arg-type]
        packages = len(reqs.read_text().split())

    def med(mode: str, key: str) -> float:
        return round(statistics.median(s[key] for s in samples[mode]), 3)

    keys = ("wall_s", "rss_audit_mib", "rss_server_mib", "rss_total_mib", "rss_pip_version_mib")
    results = {
        "benchmark": "offline OSV: child-process loopback server vs in-process service",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "records": records,
        "packages": packages,
        "repeat": args.repeat,
        "reports_identical": identical,
        "findings": findings,
        "median": {m: {k: med(m, k) for k in keys} for m in MODES},
        "min_wall_s": {m: round(min(s["wall_s"] for s in samples[m]), 3) for m in MODES},
        "samples": samples,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(args.output.read_text()) if args.output.is_file() else {}
    existing["offline_service"] = results
    args.output.write_text(json.dumps(existing, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "samples"}, indent=2))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
