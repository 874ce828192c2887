"""Benchmark of ``chainkit sbom generate`` (issue 12).

1. ``environment``: ``chainkit sbom generate environment PYTHON`` against plain
   ``cyclonedx-py environment PYTHON`` (which validates by default) on the same venv, run
   side by side (alternating, each a fresh process), median of ``--repeat`` runs; also
   ``cyclonedx-py --no-validate`` for reference. Target: chainkit <= 0.25 x cyclonedx-py.
2. ``lock-500``: ``chainkit sbom generate lock`` of a synthetic ``uv.lock`` of 500 packages
   (each with an sdist and three wheels, and up to four dependencies), written by this script.
3. ``validation``: the schema validation alone, in-process, on chainkit's environment SBOM
   and on cyclonedx-py's (which carries every distribution's URLs, each an
   ``iri-reference``): chainkit's validator vs cyclonedx-python-lib's ``JsonStrictValidator``.

Writes ``benchmarks/results/sbom.json``. Not a test: nothing asserts timings.

    python benchmarks/sbom/run.py [--python PYTHON] [--repeat 5] [--output FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 0.25


def _timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def _synthetic_uv_lock(path: Path, count: int) -> None:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    lines = ["version = 1", 'requires-python = ">=3.10"', ""]
    lines += ["[[package]]", 'name = "bench-app"', 'version = "1.0.0"']
    lines += ['source = { editable = "." }', "dependencies = ["]
    lines += [f'    {{ name = "pkg-{i:03d}" }},' for i in range(0, count, 25)]
    lines += ["]", ""]
    for i in range(count):
        name = f"pkg-{i:03d}"
        lines += ["[[package]]", f'name = "{name}"', f'version = "{i % 7}.{i % 13}.{i}"']
        lines.append('source = { registry = "https://pypi.org/simple" }')
        children = [f"pkg-{j:03d}" for j in (i + 1, i + 3, i + 7, i + 11) if j < count]
        if children:
            lines.append("dependencies = [")
            lines += [f'    {{ name = "{c}" }},' for c in children]
            lines.append("]")
        url = f"https://files.example.org/{name}"
        lines.append(
            f'sdist = {{ url = "{url}.tar.gz", hash = "sha256:{sha(name + "s")}", size = 1 }}'
        )
        lines.append("wheels = [")
        for tag in ("py3-none-any", "cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64"):
            digest = sha(name + tag)
            lines.append(f'    {{ url = "{url}-{tag}.whl", hash = "sha256:{digest}", size = 1 }},')
        lines += ["]", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _validation(document: str, repeat: int) -> dict[str, Any]:
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from chainkit.sbom import validate_document

    data = json.loads(document)
    spec = data["specVersion"]
    ours, reference = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        validate_document(data, spec)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        error = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(document)
        reference.append(time.perf_counter() - start)
        assert error is None, error
    return {
        "components": len(data.get("components", [])),
        "urls": document.count('"url"'),
        "chainkit_s": [round(t, 4) for t in ours],
        "reference_s": [round(t, 4) for t in reference],
        "chainkit_median_s": round(statistics.median(ours), 4),
        "reference_median_s": round(statistics.median(reference), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the venv's interpreter")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/sbom.json")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    chainkit = [sys.executable, "-m", "chainkit"]
    cdx = [sys.executable, "-m", "cyclonedx_py"]
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out.json"
        cmds = {
            "chainkit": [*chainkit, "sbom", "generate", "environment", args.python, "-o", str(out)],
            "cyclonedx_py": [*cdx, "environment", args.python, "-o", str(out)],
            "cyclonedx_py_no_validate": [
                *cdx,
                "environment",
                args.python,
                "--no-validate",
                "-o",
                str(out),
            ],
        }
        for argv in cmds.values():  # warm-up: page cache, .pyc files
            _timed(argv, env)
        for _ in range(args.repeat):
            for name, argv in cmds.items():
                runs.setdefault(name, []).append(_timed(argv, env))
        subprocess.run(cmds["chainkit"], check=True, capture_output=True, env=env)
        environment_sbom = out.read_text(encoding="utf-8")
        subprocess.run(cmds["cyclonedx_py"], check=True, capture_output=True, env=env)
        cyclonedx_sbom = out.read_text(encoding="utf-8")

        lock = Path(work) / "uv.lock"
        _synthetic_uv_lock(lock, args.packages)
        lock_argv = [*chainkit, "sbom", "generate", "lock", str(lock), "-o", str(out)]
        _timed(lock_argv, env)
        lock_runs = [_timed(lock_argv, env) for _ in range(args.repeat)]
        lock_components = len(json.loads(out.read_text())["components"])

    medians = {k: statistics.median(v) for k, v in runs.items()}
    ratio = medians["chainkit"] / medians["cyclonedx_py"]
    result = {
        "issue": 12,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_at_start": os.getloadavg()[0],
        },
        "environment": {
            "distributions": len(json.loads(environment_sbom)["components"]),
            "runs_s": {k: [round(t, 3) for t in v] for k, v in runs.items()},
            "median_s": {k: round(v, 3) for k, v in medians.items()},
            "ratio_chainkit_to_cyclonedx_py": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "pass": ratio <= TARGET_RATIO,
        },
        "lock_500": {
            "packages": args.packages,
            "components": lock_components,
            "runs_s": [round(t, 3) for t in lock_runs],
            "median_s": round(statistics.median(lock_runs), 3),
        },
        "validation": {
            "chainkit_sbom": _validation(environment_sbom, args.repeat),
            "cyclonedx_py_sbom": _validation(cyclonedx_sbom, args.repeat),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if result["environment"]["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
