"""The seeded fault spec: strict parsing, and deterministic decisions by seed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from chainkit.sandbox import parse_seed
from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._fault_plan import (
    FaultPlan,
    FaultRule,
    FaultSpec,
    load_fault_spec,
    parse_fault_spec,
    sigstore_service,
)


def _spec(*rules: dict[str, Any], seed: int = 7) -> FaultSpec:
    return parse_fault_spec({"seed": seed, "rules": list(rules)}, source="<test>")


def _fired(plan: FaultPlan, n: int, path: str = "/x") -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        d = plan.decide("github", "GET", path)
        out.append(d.rule.effect if d is not None and d.rule is not None else None)
    return out


def test_parses_every_effect() -> None:
    spec = _spec(
        {"method": "post", "path": "/assets$", "status": 502, "share": 0.5},
        {"path": "^/storage/", "cut_body_after_bytes": 10, "every": 3},
        {"path": "/assets$", "starter_then_502": True, "times": 1},
        {"secondary_limit": True, "retry_after": 0, "every": 5},
        {"primary_exhausted": True, "retry_after": 1, "times": 1},
        {"service": "rekor", "latency_ms": 20},
        {"service": "tsa", "status": 503, "latency_ms": 5},
    )
    assert spec.seed == 7
    assert [r.effect for r in spec.rules] == [
        "status_502",
        "cut_body",
        "starter_then_502",
        "secondary_limit",
        "primary_exhausted",
        "latency",
        "status_503",
    ]
    assert spec.rules[0].method == "POST"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"status": 502, "nope": 1}, "unknown 'nope'"),
        ({}, "no effect"),
        ({"status": 502, "cut_body_after_bytes": 1}, "at most one effect"),
        ({"status": 200}, "error status"),
        ({"status": 600}, "error status"),
        ({"status": 502, "share": 0}, "share"),
        ({"status": 502, "share": 1.5}, "share"),
        ({"status": 502, "share": True}, "share"),
        ({"status": 502, "share": 0.5, "every": 2}, "share or every"),
        ({"status": 502, "every": 0}, "every"),
        ({"status": 502, "path": "("}, "regular expression"),
        ({"service": "pypi", "status": 502}, "service"),
        ({"service": "fulcio", "starter_then_502": True}, "GitHub fault"),
        ({"status": 502, "retry_after": 1}, "retry_after"),
        ({"latency_ms": 10**9}, "latency_ms"),
        ({"starter_then_502": "yes"}, "true or false"),
    ],
)
def test_refuses_bad_rules(rule: dict[str, Any], problem: str) -> None:
    with pytest.raises(SandboxUsageError) as info:
        _spec(rule)
    assert problem in info.value.message
    assert int(info.value.exit_code) == 2
    assert "docs/sandbox.md" in (info.value.remediation or "")


def test_refuses_unknown_top_level_keys_and_missing_rules() -> None:
    with pytest.raises(SandboxUsageError, match="unknown 'rule'"):
        parse_fault_spec({"seed": 1, "rule": []}, source="<test>")
    with pytest.raises(SandboxUsageError, match="missing 'rules'"):
        parse_fault_spec({"seed": 1}, source="<test>")


def test_same_seed_same_faults_other_seed_other_faults() -> None:
    rule = {"status": 503, "share": 0.3}
    first = _fired(FaultPlan(_spec(rule, seed=1)), 200)
    again = _fired(FaultPlan(_spec(rule, seed=1)), 200)
    other = _fired(FaultPlan(_spec(rule, seed=2)), 200)
    assert first == again
    assert first != other
    assert 20 < first.count("status_503") < 100  # a share, not all or nothing


def test_every_and_times() -> None:
    plan = FaultPlan(_spec({"status": 502, "every": 3, "times": 2}))
    assert _fired(plan, 10) == [None, None, "status_502", None, None, "status_502"] + [None] * 4
    assert plan.describe()["injected"] == {"github:status_502": 2}
    assert plan.describe()["rules"][0]["matched"] == 10


def test_matching_by_service_method_and_path() -> None:
    plan = FaultPlan(_spec({"method": "POST", "path": "/assets$", "status": 502}))
    assert plan.decide("github", "GET", "/r/assets") is None
    assert plan.decide("github", "POST", "/r/assets/1") is None
    assert plan.decide("rekor", "POST", "/r/assets") is None
    assert plan.decide("github", "POST", "/r/assets") is not None


def test_latency_adds_up_and_first_effect_wins() -> None:
    slept: list[float] = []
    plan = FaultPlan(
        _spec({"latency_ms": 30}, {"status": 502, "latency_ms": 20}, {"status": 503}),
        sleep=slept.append,
    )
    decision = plan.decide("github", "GET", "/x")
    assert decision is not None and decision.rule is not None
    assert (decision.latency_ms, decision.rule.status) == (50, 502)
    plan.delay(decision)
    assert slept == [0.05]
    # Every matching rule counts its match, so rule 3's stream is independent of rule 2's.
    assert [r["matched"] for r in plan.describe()["rules"]] == [1, 1, 1]


def test_clear_and_replace() -> None:
    plan = FaultPlan(_spec({"status": 502}))
    plan.clear()
    assert plan.decide("github", "GET", "/x") is None
    assert plan.describe() == {"seed": 0, "rules": [], "injected": {}}


def test_sigstore_services() -> None:
    assert sigstore_service("/api/v2/signingCert") == "fulcio"
    assert sigstore_service("/api/v1/log/entries") == "rekor"
    assert sigstore_service("/api/v1/timestamp") == "tsa"


def test_load_yaml_and_json_files(tmp_path: Path) -> None:
    yml = tmp_path / "faults.yaml"
    yml.write_text("seed: 3\nrules:\n  - {status: 502, every: 2}\n", encoding="utf-8")
    assert load_fault_spec(yml) == FaultSpec(3, (FaultRule(status=502, every=2),))
    js = tmp_path / "faults.json"
    js.write_text('{"seed": 3, "seed": 4, "rules": []}', encoding="utf-8")
    with pytest.raises(SandboxUsageError, match="not valid YAML/JSON"):
        load_fault_spec(js)
    with pytest.raises(SandboxUsageError, match="fault spec not found"):
        load_fault_spec(tmp_path / "missing.yaml")
    fifo = tmp_path / "faults.fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SandboxUsageError, match="cannot read"):  # never blocks on a FIFO
        load_fault_spec(fifo)


def test_seed_key_faults() -> None:
    seed = parse_seed(
        {"version": 1, "faults": {"seed": 5, "rules": [{"status": 503, "every": 2}]}},
        source="<seed>",
    )
    assert seed.faults == FaultSpec(5, (FaultRule(status=503, every=2),))
    with pytest.raises(SandboxUsageError, match=r"faults\.rules\[0\]"):
        parse_seed({"version": 1, "faults": {"rules": [{"bogus": 1}]}}, source="<seed>")
