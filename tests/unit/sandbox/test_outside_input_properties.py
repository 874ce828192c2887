"""Property tests of parsers of outside data: seed files, fault specs and plan files.

Whatever the document, a parser answers with its value or with its boundary's own error
(exit 2, naming the place) - never another exception. A plan re-sealed after any change of
one value still parses only if it is valid, and parsing a written plan gives it back.
The repo's Hypothesis profiles apply (derandomised in CI).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.backfill._errors import PlanError
from chainkit.backfill._plan import compute_digest
from chainkit.backfill._planfile import parse_plan
from chainkit.sandbox import parse_seed
from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._fault_plan import FaultPlan, parse_fault_spec
from chainkit.sandbox._seed import load_seed
from unit.backfill._factories import sample_plan

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_SEED_KEYS = ["version", "tokens", "repos", "faults", "full_name", "releases", "assets", "tag",
              "name", "content", "size", "digest", "permissions", "value", "draft"]  # fmt: skip
_RULE_KEYS = ["service", "method", "path", "share", "every", "times", "latency_ms", "status",
              "cut_body_after_bytes", "starter_then_502", "secondary_limit",
              "primary_exhausted", "retry_after"]  # fmt: skip


def _keyed(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON-like documents whose keys are mostly the format's own (deeper than random keys)."""
    return st.recursive(
        _scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), inner, max_size=5)
        ),
        max_leaves=25,
    )


@given(
    _keyed(_SEED_KEYS)
    | st.fixed_dictionaries(
        {"version": st.just(1)},
        optional={
            "repos": _keyed(_SEED_KEYS),
            "tokens": _keyed(_SEED_KEYS),
            "faults": _keyed(_RULE_KEYS),
        },
    )
)
@example({"version": 1, "faults": {"rules": [{"status": True}]}})
@example({"version": 1, "faults": {"rules": [{"share": float("nan"), "status": 500}]}})
@example({"version": 1, "repos": [{"full_name": "a/b", "releases": [{"tag": "v1", "assets": [
    {"name": "x", "size": -1}]}]}]})  # fmt: skip
def test_seed_documents_parse_or_are_usage_errors(doc: Any) -> None:
    try:
        parse_seed(doc, source="<prop>")
    except SandboxUsageError as exc:
        assert exc.message.startswith("<prop>: ")
        assert int(exc.exit_code) == 2


@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
@example("version: 1\nrepos: &a [*a]\n")
@example("version: 1\nversion: 1\n")
@example("{'version': 1")
def test_seed_files_load_or_are_usage_errors(text: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            load_seed(path)
        except SandboxUsageError as exc:
            assert int(exc.exit_code) == 2


_rule = st.fixed_dictionaries(
    {},
    optional={
        "service": st.sampled_from(["github", "fulcio", "rekor", "tsa", "pypi"]),
        "method": st.sampled_from(["GET", "post", "PATCH", "", "G E T"]),
        "path": st.sampled_from(["", "^/storage/", "/assets$", "(", "[a-"]),
        "share": st.floats(allow_nan=True) | st.integers(-1, 2) | st.booleans(),
        "every": st.integers(-1, 5),
        "times": st.integers(-1, 5) | st.none(),
        "latency_ms": st.integers(-1, 70_000),
        "status": st.integers(0, 700) | st.booleans() | st.text(max_size=3),
        "cut_body_after_bytes": st.integers(-1, 100),
        "starter_then_502": st.booleans() | st.integers(0, 1),
        "secondary_limit": st.booleans(),
        "primary_exhausted": st.booleans(),
        "retry_after": st.integers(-1, 5),
        "unknown": st.integers(),
    },
)


@given(
    st.fixed_dictionaries(
        {"rules": st.lists(_rule, max_size=4)},
        optional={"seed": st.integers(-2, 2**70) | st.text(max_size=3)},
    )
    | _keyed(_RULE_KEYS),
    st.lists(
        st.tuples(
            st.sampled_from(["github", "fulcio", "rekor", "tsa"]),
            st.sampled_from(["GET", "POST", "PATCH"]),
            st.sampled_from(["/storage/1", "/uploads/x/assets", "/api/v1/log", "/repos/a/b"]),
        ),
        max_size=30,
    ),
)
@example({"rules": [{"share": float("nan"), "status": 500}]}, [])
@example({"rules": [{"starter_then_502": 1}]}, [])
def test_fault_specs_parse_or_are_usage_errors_and_are_deterministic(
    doc: Any, requests: list[tuple[str, str, str]]
) -> None:
    try:
        spec = parse_fault_spec(doc, source="<prop>")
    except SandboxUsageError as exc:
        assert exc.message.startswith("<prop>: invalid fault spec")
        return
    for rule in spec.rules:  # what parsed is what the docs promise
        assert rule.service in ("github", "fulcio", "rekor", "tsa")
        assert rule.share is None or 0 < rule.share <= 1
        assert rule.status is None or 400 <= rule.status <= 599
        assert rule.latency_ms > 0 or rule.effect != "latency"

    def run() -> list[Any]:
        plan = FaultPlan(spec, sleep=lambda _: None)
        return [plan.decide(*r) for r in requests] + [plan.describe()]

    assert run() == run()


def _plan_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample_plan().to_json())
    return data


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, (*prefix, k))] + [prefix]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, (*prefix, i))] + [prefix]
    return [prefix]


_PLAN_PATHS = [p for p in _paths(_plan_data()) if p and p[-1] != "plan_digest"]


@given(st.sampled_from(_PLAN_PATHS), _json)
@example(("releases", 0, "assets", 0, "expected_sha256"), "A" * 64)
@example(("releases", 0, "assets", 0, "size"), -1)
@example(("releases", 0, "assets", 0, "bundle_name"), "../../x.sigstore.json")
@example(("schema",), 2**53)
def test_resealed_plan_with_one_value_changed_parses_or_is_a_plan_error(
    path: tuple[Any, ...], value: Any
) -> None:
    data = _plan_data()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        data["plan_digest"] = compute_digest(data)
    except PlanError:  # not canonical JSON (e.g. an integer beyond 2**53): cannot be sealed
        return
    try:
        plan = parse_plan(json.dumps(data), source="<prop>")
    except PlanError as exc:
        assert int(exc.exit_code) == 2
        return
    except (ValueError, OverflowError) as exc:  # json.dumps of nan/inf is not JSON at all
        assert "JSON" in str(exc) or "nan" in str(exc).lower()
        return
    assert parse_plan(plan.to_json(), source="<again>") == plan


@given(st.text(max_size=300) | st.builds(json.dumps, _json))
@example('{"schema": "chainkit.dev/backfill-plan/v1", "schema": 1}')
@example("[" * 100 + "]" * 100)
def test_arbitrary_plan_text_is_a_plan_error(text: str) -> None:
    try:
        parse_plan(text, source="<prop>")
    except PlanError as exc:
        assert int(exc.exit_code) == 2
