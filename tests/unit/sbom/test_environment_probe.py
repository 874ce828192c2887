"""The environment probe's output comes from an interpreter chainkit does not control: every
field is checked, and what is malformed is dropped, never trusted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chainkit.sbom import SbomInputError, SbomToolError
from chainkit.sbom._probe import parse_probe, probe


def test_malformed_entries_and_fields_are_dropped() -> None:
    probed = parse_probe(
        {
            "prefix": "/venv",
            "markers": {"sys_platform": "linux", "python_version": 3},
            "distributions": [
                "not an object",
                {"name": None, "version": "1.0"},
                {"name": "ok", "version": "1.0", "License": ["x"], "Classifier": ["A", 7],
                 "Requires-Dist": "idna", "record_sha256": "zz"},
                {"name": "good", "version": "2.0", "record_sha256": "a" * 64},
            ],
        }
    )  # fmt: skip
    assert probed.markers == {"sys_platform": "linux"}
    ok, good = probed.distributions
    assert (ok.name, ok.license, ok.classifiers, ok.requires, ok.record_sha256) == (
        "ok",
        None,
        ("A",),
        (),
        None,
    )
    assert good.record_sha256 == "a" * 64


@pytest.mark.parametrize("data", [None, [], {"distributions": "x"}])
def test_a_probe_without_a_distribution_list_is_a_tool_error(data: object) -> None:
    with pytest.raises(SbomToolError):
        parse_probe(data)


def test_an_interpreter_that_fails_is_a_usage_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 7\n")
    fake.chmod(0o755)
    with pytest.raises(SbomInputError, match="exit 7"):
        probe(fake)


def test_an_interpreter_printing_junk_is_a_tool_error(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho \'{"distributions": [1], "distributions": []}\'\n')
    fake.chmod(0o755)
    with pytest.raises(SbomToolError, match="unreadable environment listing"):
        probe(fake)


def test_the_running_interpreter_lists_itself() -> None:
    probed = probe(Path(sys.executable))
    assert any(d.name.lower() == "pytest" for d in probed.distributions)
    assert probed.markers["python_version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"


def _fake(tmp_path: Path, script: str) -> Path:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return fake


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script as the interpreter")
def test_output_beyond_the_limit_is_not_read_and_the_process_group_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chainkit.sbom._probe as probe_module

    monkeypatch.setattr(probe_module, "_MAX_OUTPUT", 1000)
    # endless output from a child of the script: only killing the group stops it
    fake = _fake(tmp_path, "yes 0123456789 &\nwait\n")
    with pytest.raises(SbomToolError, match="larger than 1000 bytes"):
        probe(fake)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script as the interpreter")
def test_at_most_the_limit_plus_one_byte_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainkit.sbom._probe as probe_module

    monkeypatch.setattr(probe_module, "_MAX_OUTPUT", 10)
    code, out = probe_module._run_bounded(["sh", "-c", "printf '%s' 0123456789"])
    assert (code, out) == (0, b"0123456789")
    with pytest.raises(SbomToolError, match="larger than 10 bytes"):
        probe_module._run_bounded(["sh", "-c", "head -c 100000000 /dev/zero"])


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script as the interpreter")
def test_a_probe_that_hangs_is_killed_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import chainkit.sbom._probe as probe_module

    monkeypatch.setattr(probe_module, "_TIMEOUT", 1)
    started = time.monotonic()
    with pytest.raises(SbomToolError, match="took over 1 s"):
        probe(_fake(tmp_path, "sleep 60 &\nwait\n"))
    assert time.monotonic() - started < 30
