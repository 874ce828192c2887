"""Soak: ``backfill apply`` under seeded faults, killed with SIGKILL at seeded moments.

The sandbox runs in its own background process (``chainkit.sandbox.up``). The plan is made
without faults; then the fault spec is installed (``PUT /_sandbox/fault-plan``) and a
supervisor runs ``chainkit backfill apply`` as a fresh process again and again - killing it
with SIGKILL after a seeded random delay while kills remain, re-running it after a kill or
a failure - until one run exits 0. Then the faults are cleared and the end state is checked:

- every planned asset has exactly one bundle, complete (``state: uploaded``), signing the
  plan's ``expected_sha256``, and ``chainkit verify`` passes for the repository;
- every planned attestation exists once; no duplicate, partial (``starter``/``open``) or
  unexpected asset remains, and the original assets are untouched (name and size);
- each release body is byte-identical to the seeded one outside the chainkit section;
- transparency-log entries beyond one per bundle and attestation are counted ("extra").

Usage (from the repository root, project venv)::

    python benchmarks/soak.py                    # modest: 8 releases, 6 kills, ~2-4 min
    python benchmarks/soak.py --releases 2 --kills 2 --output /tmp/soak.json   # small
    # options: --seed N, --assets N, --faults FILE (a spec; default: DEFAULT_FAULTS),
    #          --max-runs N, --kill-window LOW HIGH (seconds), --workdir DIR, --keep

Writes ``benchmarks/results/soak.json`` (or ``--output``). Exit status 1 when an invariant
fails (``invariants_failed`` lists them), 2 when apply never finished within ``--max-runs``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

REPOSITORY = "acme/widgets"
ISSUER = "https://token.actions.githubusercontent.com"
IDENTITY = f"https://github.com/{REPOSITORY}/.github/workflows/release.yml@refs/heads/main"
BEGIN, END = "<!-- chainkit:backfill -->", "<!-- /chainkit:backfill -->"
RESULTS = Path(__file__).resolve().parent / "results"
_ISOLATE = ("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_", "RUNNER_", "SIGSTORE_")

# Every kind of fault the issue names, at rates that let a run make progress.
DEFAULT_FAULTS: list[dict[str, Any]] = [
    {"service": "github", "latency_ms": 20, "share": 0.1},
    {"service": "github", "method": "GET", "path": "^/repos/", "status": 502, "share": 0.03},
    {"service": "github", "method": "GET", "path": "^/repos/", "status": 503, "share": 0.03},
    {"service": "github", "method": "GET", "path": "^/repos/", "status": 500, "share": 0.02},
    {"service": "github", "method": "GET", "path": "^/storage/", "cut_body_after_bytes": 3,
     "share": 0.02},
    {"service": "github", "method": "POST", "path": "^/uploads/", "starter_then_502": True,
     "share": 0.08},
    {"service": "github", "method": "POST", "path": "^/uploads/", "cut_body_after_bytes": 40,
     "share": 0.05},
    {"service": "github", "method": "POST", "path": "^/uploads/", "status": 502, "share": 0.04},
    {"service": "github", "method": "PATCH", "secondary_limit": True, "retry_after": 1,
     "share": 0.1},
    {"service": "github", "method": "GET", "path": "^/repos/", "primary_exhausted": True,
     "retry_after": 1, "every": 40, "times": 2},
    {"service": "fulcio", "method": "POST", "status": 502, "share": 0.1},
    {"service": "fulcio", "latency_ms": 200, "share": 0.2},
    {"service": "rekor", "method": "POST", "status": 503, "share": 0.05},
    {"service": "rekor", "latency_ms": 100, "share": 0.2},
    {"service": "tsa", "method": "POST", "status": 500, "share": 0.05},
    {"service": "tsa", "latency_ms": 100, "share": 0.1},
]  # fmt: skip


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def soak_seed(releases: int, assets: int) -> dict[str, Any]:
    """``releases`` releases of ``assets`` files (+ SHA256SUMS), with notes to keep intact."""
    out = []
    for i in range(releases):
        version = f"2.{i}.0"
        files = {f"widgets-{version}-{k}.whl": f"artifact {i}/{k} " * 40 for k in range(assets)}
        sums = "".join(f"{_sha(c.encode())}  {n}\n" for n, c in files.items())
        body = f"## {version}\r\n\r\n* change {i}\r\n" if i % 2 else f"Release {version}\n\nThanks!"
        out.append(
            {
                "tag": f"v{version}",
                "body": body,
                "published_at": f"{2020 + i // 12}-{i % 12 + 1:02d}-01T00:00:00Z",
                "assets": [
                    *({"name": n, "content": c, "digest": None} for n, c in files.items()),
                    {"name": "SHA256SUMS", "content": sums, "digest": "auto"},
                ],
            }
        )
    return {"version": 1, "repos": [{"full_name": REPOSITORY, "releases": out}]}


class Soak:
    def __init__(self, work: Path, info: Any) -> None:
        self.work = work
        self.info = info
        self.api = info.github_api_url
        self.auth = {"Authorization": f"token {info.token}"}

    def env(self, *, read_only: bool = False) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATE)}
        token = self.info.read_token if read_only else self.info.token
        env.update(
            {
                "GITHUB_API_URL": self.api,
                "GITHUB_TOKEN": token,
                "CHAINKIT_TRUST_CONFIG": str(self.info.trust_config),
                "CHAINKIT_WRITE_INTERVAL": "0",
            }
        )
        return env

    def chainkit(self, *args: str, read_only: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chainkit", *args],
            env=self.env(read_only=read_only), cwd=self.work, capture_output=True, text=True,
            timeout=900, check=False,
        )  # fmt: skip

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        r = requests.request(method, f"{self.api}/_sandbox/{path}", timeout=60, **kwargs)
        r.raise_for_status()
        return r.json() if r.status_code != 204 else None

    def tree_size(self) -> int:
        r = requests.get(f"{self.info.sigstore_url}/api/v1/log", timeout=60)
        r.raise_for_status()
        return int(r.json()["treeSize"])

    def releases(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        page = 1
        while True:
            r = requests.get(
                f"{self.api}/repos/{REPOSITORY}/releases",
                params={"per_page": 100, "page": page}, headers=self.auth, timeout=60,
            )  # fmt: skip
            r.raise_for_status()
            if not r.json():
                return out
            out.update({rel["tag_name"]: rel for rel in r.json()})
            page += 1

    def download(self, asset: dict[str, Any]) -> bytes:
        r = requests.get(asset["browser_download_url"], timeout=60)
        r.raise_for_status()
        return r.content


def supervise(
    soak: Soak, args: list[str], *, seed: int, kills: int, window: tuple[float, float],
    max_runs: int, stuck_after: int,
) -> dict[str, Any]:  # fmt: skip
    """Run apply until it exits 0, killing it ``kills`` times at seeded moments.

    Gives up after ``max_runs`` runs, or when the last ``stuck_after`` runs (all kills done)
    failed with the same error: apply is stuck, and more runs would only repeat it.
    """
    rng = random.Random(seed)
    runs: list[dict[str, Any]] = []
    killed = 0
    while len(runs) < max_runs:
        kill_at = rng.uniform(*window) if killed < kills else None
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "chainkit", "-v", *args], env=soak.env(), cwd=soak.work,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            _, err = proc.communicate(timeout=kill_at if kill_at is not None else 900)
            was_killed = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it may have ended just now
                os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            was_killed = proc.returncode == -signal.SIGKILL
            killed += was_killed
        run = {
            "run": len(runs) + 1,
            "seconds": round(time.monotonic() - started, 2),
            "exit": proc.returncode,
            "killed_at": round(kill_at, 2) if was_killed and kill_at is not None else None,
        }
        (soak.work / f"run-{len(runs) + 1}.stderr").write_text(err, encoding="utf-8")
        if not was_killed and proc.returncode != 0:
            lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "Traceback"))]
            cause = [ln for ln in err.splitlines() if ln and not ln.startswith((" ", "INFO"))]
            run["error"] = (lines[-1:] or cause[-1:] or ["?"])[0][:300]
            run["cause"] = (cause[-2:-1] or ["?"])[0][:300]
        runs.append(run)
        print(f"  run {run['run']}: {run}", flush=True)
        if not was_killed and proc.returncode == 0:
            return {"finished": True, "runs": runs, "kills": killed, "stuck": None}
        last = runs[-stuck_after:]
        if (
            killed >= kills
            and len(last) == stuck_after
            and all(r["killed_at"] is None for r in last)
            and len({r.get("error") for r in last}) == 1
        ):
            return {"finished": False, "runs": runs, "kills": killed, "stuck": last[-1]}
    return {"finished": False, "runs": runs, "kills": killed, "stuck": None}


def bundle_digest(bundle: bytes) -> str:
    data = json.loads(bundle)
    return base64.b64decode(data["messageSignature"]["messageDigest"]["digest"]).hex()


def check(soak: Soak, seed_doc: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The invariants, each a list of problems (empty = holds)."""
    seeded = {r["tag"]: r for r in seed_doc["repos"][0]["releases"]}
    now = soak.releases()
    problems: dict[str, list[str]] = {
        "missing_or_duplicate_bundles": [],
        "bundle_not_for_planned_bytes": [],
        "partial_or_starter_assets": [],
        "unexpected_assets": [],
        "original_assets_changed": [],
        "attestations": [],
        "notes_outside_section_changed": [],
    }
    items_lost = 0
    expected_entries = 0
    for prel in plan["releases"]:
        tag = prel["tag"]
        rel = now[tag]
        by_name = Counter(a["name"] for a in rel["assets"])
        assets = {a["name"]: a for a in rel["assets"]}
        wanted = {a["name"]: a for a in seeded[tag]["assets"]}
        for a in rel["assets"]:
            if a["state"] != "uploaded" or a["size"] == 0:
                problems["partial_or_starter_assets"].append(f"{tag}/{a['name']}: {a['state']}")
        for name, count in by_name.items():
            if count != 1:
                problems["missing_or_duplicate_bundles"].append(f"{tag}/{name} x{count}")
        planned = {a["bundle_name"]: a for a in prel["assets"] if a["action"] == "sign"}
        attestation = (
            prel["attestation"]["name"] if prel["attestation"]["action"] == "sign" else None
        )
        for bundle_name, pa in planned.items():
            expected_entries += 1
            if bundle_name not in assets:
                problems["missing_or_duplicate_bundles"].append(f"{tag}/{bundle_name} missing")
                items_lost += 1
                continue
            try:
                signed = bundle_digest(soak.download(assets[bundle_name]))
            except (ValueError, KeyError):  # empty (a starter) or not a bundle at all
                problems["missing_or_duplicate_bundles"].append(f"{tag}/{bundle_name} unusable")
                items_lost += 1
                continue
            if signed != pa["expected_sha256"]:
                problems["bundle_not_for_planned_bytes"].append(f"{tag}/{bundle_name}")
        if attestation is not None:
            expected_entries += 1
            complete = attestation in assets and assets[attestation]["state"] == "uploaded"
            if by_name.get(attestation) != 1 or not complete or assets[attestation]["size"] == 0:
                problems["attestations"].append(f"{tag}/{attestation}: {by_name.get(attestation)}")
                items_lost += 1
        allowed = set(wanted) | set(planned) | ({attestation} if attestation else set())
        for name in by_name:
            if name not in allowed:
                problems["unexpected_assets"].append(f"{tag}/{name}")
        for name, spec in wanted.items():
            if name not in assets or assets[name]["size"] != len(spec["content"].encode()):
                problems["original_assets_changed"].append(f"{tag}/{name}")
        before, after = seeded[tag]["body"], rel["body"] or ""
        start, end = after.find(BEGIN), after.find(END)
        head = after[:start] if start >= 0 else after
        if (
            after.count(BEGIN) != 1
            or after.count(END) != 1
            or after[end + len(END) :] != ""
            or not head.startswith(before)
            or head[len(before) :].strip("\r\n") != ""
        ):
            problems["notes_outside_section_changed"].append(tag)
    verify = soak.chainkit(
        "verify", "--repo", REPOSITORY, "--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER,
        "--json", read_only=True,
    )  # fmt: skip
    verified = json.loads(verify.stdout) if verify.stdout.strip().startswith("{") else {}
    if verify.returncode != 0:
        problems["chainkit_verify"] = [f"exit {verify.returncode}: {verify.stderr.strip()[-300:]}"]
    return {
        "problems": problems,
        "items_lost": items_lost,
        "expected_log_entries": expected_entries,
        "verify_summary": verified.get("summary"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--releases", type=int, default=8)
    parser.add_argument("--assets", type=int, default=3)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--kill-window", type=float, nargs=2, default=(0.5, 3.0))
    parser.add_argument("--max-runs", type=int, default=60)
    parser.add_argument("--stuck-after", type=int, default=5)
    parser.add_argument(
        "--exclude-effect",
        action="append",
        default=[],
        help="drop default rules with this effect (e.g. starter_then_502); repeatable",
    )
    parser.add_argument("--faults", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)

    from chainkit.sandbox import down, up
    from chainkit.sandbox import identity_token as mint
    from chainkit.sandbox._fault_plan import load_fault_spec

    if args.faults is not None:
        load_fault_spec(args.faults)  # exit 2 with the problem, before anything starts
        spec = json.loads(json.dumps(_yaml_or_json(args.faults)))
    else:
        rules = [r for r in DEFAULT_FAULTS if not set(args.exclude_effect) & set(r)]
        spec = {"seed": args.seed, "rules": rules}
    work = Path(tempfile.mkdtemp(prefix="chainkit-soak-", dir=args.workdir))
    seed_doc = soak_seed(args.releases, args.assets)
    (work / "seed.json").write_text(json.dumps(seed_doc), encoding="utf-8")
    started = time.monotonic()
    info = up(work / "sandbox", seed_path=work / "seed.json", timeout=600)
    try:
        soak = Soak(work, info)
        plan_file = work / "plan.json"
        made = soak.chainkit(
            "backfill", "plan", "--repo", REPOSITORY, "-o", str(plan_file), "--json",
            read_only=True,
        )  # fmt: skip
        if made.returncode != 0:
            raise SystemExit(f"plan failed: {made.stderr[-2000:]}")
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        tree0 = soak.tree_size()
        soak.admin("DELETE", "requests")
        soak.admin("PUT", "fault-plan", json=spec)
        apply_args = [
            "backfill", "apply", "--plan", str(plan_file), "--expect-digest", plan["plan_digest"],
            "--identity-token", mint(info.dir, lifetime=3600), "--state-dir", str(work / "state"),
            "--yes", "--json",
        ]  # fmt: skip
        supervised = supervise(
            soak, apply_args, seed=args.seed, kills=args.kills,
            window=tuple(args.kill_window), max_runs=args.max_runs, stuck_after=args.stuck_after,
        )  # fmt: skip
        injected = soak.admin("GET", "fault-plan")["injected"]
        soak.admin("DELETE", "fault-plan")
        log = soak.admin("GET", "requests") + soak.admin("GET", "requests?service=sigstore")
        checked = check(soak, seed_doc, plan)
        entries = soak.tree_size() - tree0
    finally:
        down(info.dir)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    runs = supervised["runs"]
    result: dict[str, Any] = {
        "seed": args.seed,
        "size": {
            "releases": args.releases,
            "assets_per_release": args.assets,
            "planned_bundles": plan["summary"]["actions"]["sign"],
            "planned_attestations": sum(
                1 for r in plan["releases"] if r["attestation"]["action"] == "sign"
            ),
        },
        "fault_spec": spec,
        "faults_injected": injected,
        "faults_injected_total": sum(injected.values()),
        "kills_survived": supervised["kills"],
        "runs": len(runs),
        "reruns_needed": len(runs) - 1,
        "failed_runs": [r for r in runs if r["killed_at"] is None and r["exit"] != 0],
        "finished": supervised["finished"],
        "stuck_on": supervised["stuck"],
        "requests": {
            "total": len(log),
            "by_kind": dict(sorted(Counter(e["kind"] for e in log).items())),
            "faulted": sum(1 for e in log if e["fault"]),
        },
        "transparency_log_entries": entries,
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"nproc": os.cpu_count(), "python": sys.version.split()[0]},
    }
    result["expected_log_entries"] = checked["expected_log_entries"]
    # Signatures beyond one per bundle or attestation published at the end: made by a run that
    # was killed or failed before its bundle was complete, for an item signed again later or lost.
    result["published"] = checked["expected_log_entries"] - checked["items_lost"]
    result["extra_signatures"] = entries - result["published"]
    result["items_lost"] = checked["items_lost"]
    result["invariants"] = checked["problems"]
    result["verify_summary"] = checked["verify_summary"]
    result["invariants_failed"] = sorted(k for k, v in checked["problems"].items() if v)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result.get(k) for k in (
        "finished", "kills_survived", "runs", "faults_injected_total", "items_lost",
        "extra_signatures", "invariants_failed")}), flush=True)  # fmt: skip
    if not supervised["finished"]:
        return 2
    return 1 if result["invariants_failed"] else 0


def _yaml_or_json(path: Path) -> Any:
    from chainkit._internal.strict import load_json, load_yaml

    text = path.read_text(encoding="utf-8")
    return (load_json if path.suffix == ".json" else load_yaml)(text, source=str(path))


if __name__ == "__main__":
    sys.exit(main())
