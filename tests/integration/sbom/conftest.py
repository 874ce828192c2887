"""Shared fixtures of the ``chainkit sbom`` integration tests: the CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chainkit.cli import cli

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "tests" / "assets" / "sbom"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


RunSbom = Callable[..., Run]


@pytest.fixture
def sbom_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunSbom:
    """``chainkit sbom ARGS`` in-process; ``env`` applies to that run only."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Run:
        capsys.readouterr()
        with monkeypatch.context() as m:
            for key, value in (env or {}).items():
                m.setenv(key, value)
            code = cli.main(["sbom", *map(str, args)], prog_name="chainkit", standalone_mode=False)
        captured = capsys.readouterr()
        return Run(int(code or 0), captured.out, captured.err)

    return run


def reference_errors(text: str, spec: str) -> list[str]:
    """cyclonedx-python-lib's own JSON validator (jsonschema with the stock format checker).

    The stock ``iri-reference`` check takes tens of milliseconds per URL (an Earley parser),
    and a lock-file SBOM lists every wheel's URL: each component keeps its first
    ``externalReferences`` entry here, every other field is validated as written. Agreement
    on URLs is tested in tests/unit/sbom (generated strings, a corpus, the assets' URLs).
    """
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    document = json.loads(text)
    for component in document.get("components", []):
        if component.get("externalReferences"):
            component["externalReferences"] = component["externalReferences"][:1]
    errors = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(
        json.dumps(document), all_errors=True
    )
    return [str(e) for e in errors] if errors else []
