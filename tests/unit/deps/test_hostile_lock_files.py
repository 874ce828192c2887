"""Property tests (issue 9) for lock files (``uv.lock``, ``pylock.toml``, ``poetry.lock``):
any TOML document, and the real assets with one to three values replaced or removed, are
collected or refused with :class:`InputError` (exit 2), never another exception; and a message
never quotes the file's text (the marker string stands for it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w
import tomllib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chainkit.deps import Collected, InputError, LockFile, collect
from chainkit.errors import ExitCode

MARKER = "hunter2-MARKER-7f3a"
ASSETS = Path(__file__).parents[2] / "assets" / "sbom"
REAL = {
    "uv.lock": tomllib.loads((ASSETS / "httpx-uv" / "uv.lock").read_text()),
    "pylock.toml": tomllib.loads((ASSETS / "httpx-pylock" / "pylock.toml").read_text()),
    "poetry.lock": tomllib.loads((ASSETS / "rich-poetry" / "poetry.lock").read_text()),
}
NAMES = st.sampled_from(sorted(REAL))

KEYS = st.text(max_size=8) | st.sampled_from(
    [
        "name", "version", "source", "sdist", "wheels", "hash", "hashes", "url", "packages",
        "package", "dependencies", "lock-version", "git", "editable", "registry", "metadata",
    ]
)  # fmt: skip
scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.just(MARKER)
    | st.sampled_from(["1.0", "idna", "git", "editable", "https://x/y", "sha256:00"])
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(NAMES)
    document = tomllib.loads(tomli_w.dumps(REAL[name]))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(toml_values)
    return name, document


def _collect(root: Path, name: str, text: str) -> Collected | None:
    path = root / name
    path.write_text(text, encoding="utf-8")
    try:
        return collect(LockFile(path))
    except InputError as exc:
        assert exc.exit_code == ExitCode.USAGE
        assert MARKER not in exc.render(), exc.render()
        return None


def test_the_real_assets_are_collected(tmp_path: Path) -> None:
    for name, document in REAL.items():
        assert _collect(tmp_path, name, tomli_w.dumps(document)) is not None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated())
@example(case=("uv.lock", {"version": 1, "package": [{"name": "a", "source": {"git": ["x"]}}]}))
@example(case=("poetry.lock", {"package": [{"name": "a", "version": "1", "source": {"type": []}}]}))
def test_a_mutated_lock_file_is_collected_or_an_input_error(
    tmp_path: Path, case: tuple[str, dict[str, Any]]
) -> None:
    name, document = case
    _collect(tmp_path, name, tomli_w.dumps(document))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, document=st.dictionaries(KEYS, toml_values, max_size=5))
@example(name="pylock.toml", document={"lock-version": "1.0", "packages": [{"name": MARKER}]})
@example(name="uv.lock", document={"version": 1, "package": [{"name": "a", "version": MARKER}]})
def test_any_toml_document_is_collected_or_an_input_error(
    tmp_path: Path, name: str, document: dict[str, Any]
) -> None:
    _collect(tmp_path, name, tomli_w.dumps(document))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, text=st.text(max_size=80), cut=st.integers(0, 4000))
@example(name="uv.lock", text=f'name = "{MARKER}"\n[[', cut=300)
@example(name="poetry.lock", text=f"\x00{MARKER}", cut=0)
def test_broken_toml_is_an_input_error_that_quotes_nothing(
    tmp_path: Path, name: str, text: str, cut: int
) -> None:
    """A real lock file cut anywhere, with any text appended (the marker among it)."""
    source = tomli_w.dumps(REAL[name])
    _collect(tmp_path, name, source[:cut] + text + MARKER)


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_marker_in_a_value_does_not_reach_the_message(tmp_path: Path, name: str) -> None:
    key = "package" if name != "pylock.toml" else "packages"
    document = {**REAL[name], key: [{"name": f"{MARKER}!", "version": MARKER}]}
    with pytest.raises(InputError) as info:
        collect(LockFile(_write(tmp_path / name, tomli_w.dumps(document))))
    assert MARKER not in info.value.render()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
