"""Requirements files through chainkit.deps: includes, hashes, markers, line numbers, errors
that never quote the input line, and the fast scanner agreeing with pip's parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainkit.deps import Declared, InputError, Requirements, collect
from chainkit.deps._requirements import scan_fast, scan_full
from chainkit.errors import ExitCode

SHA_A = "sha256:" + "a" * 64
SHA_B = "sha256:" + "b" * 64


def test_includes_hashes_markers_and_lines(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.txt").write_text(
        f"Jinja2==3.1.2 \\\n    --hash={SHA_A} \\\n    --hash={SHA_B}\n"
    )
    (tmp_path / "requirements.txt").write_text(
        "# top\n-r base.txt\nrequests>=2.19 --hash=" + SHA_A + "\n"
        'pywin32==306 ; sys_platform == "win32"\n-r base.txt\n'
    )
    got = collect(Requirements((Path("requirements.txt"),)))
    assert got.kind == "requirements" and got.hashed
    assert got.label == "requirements.txt, base.txt"  # base.txt once, though included twice
    by_name = {d.canonical_name: d for d in got.dependencies}
    assert by_name["jinja2"].version == "3.1.2"
    assert by_name["jinja2"].hashes == (SHA_A, SHA_B)
    assert by_name["jinja2"].declared == (Declared("base.txt", 1),)
    assert by_name["requests"].version is None and by_name["requests"].specifier == ">=2.19"
    assert by_name["pywin32"].marker == 'sys_platform == "win32"'
    assert got.locate("Requests") == (Declared("requirements.txt", 3),)
    assert got.locate("transitive") == (Declared("requirements.txt", 1),)


def test_errors_name_the_line_but_never_quote_it(tmp_path: Path) -> None:
    secret = "ghp_" + "x" * 36
    bad = tmp_path / "bad.txt"
    bad.write_text(f"ok==1.0\n{secret} ( not a requirement\n")
    with pytest.raises(InputError) as info:
        collect(Requirements((bad,)))
    assert info.value.exit_code == ExitCode.USAGE
    assert "bad.txt:2: not a valid requirement" in info.value.message
    assert secret not in info.value.render()
    with pytest.raises(InputError, match="does not exist"):
        collect(Requirements((tmp_path / "missing.txt",)))


@pytest.mark.parametrize(
    "text",
    [
        "# header\nDjango==4.2rc1\nBabel==2.9.0  # trailing comment\n\n",
        f"-r base.txt\n--requirement=other.txt\nJinja2==3.1.2 \\\n    --hash={SHA_A} \\\n"
        f"    --hash={SHA_B}\n",
        'pywin32==306 ; sys_platform == "win32"\n-i https://example.invalid/simple\nrequests>=2\n',
        "-c constraints.txt\nfoo[extra]==1.0\nbar===2.0\n",
    ],
)
def test_fast_scanner_agrees_with_pip_requirements_parser(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.txt"
    path.write_text(text)
    fast = scan_fast(text)
    assert fast is not None
    full = scan_full(path)

    def key(reqs):
        return [(r.name, r.specifier, r.marker, r.line, r.hashes) for r in reqs]

    assert key(fast[0]) == key(full[0])
    assert fast[1] == full[1]


@pytest.mark.parametrize(
    "text", ["-e .\n", "https://example.invalid/x-1.0.whl\n", "x==${VERSION}\n", "x ( 1\n"]
)
def test_fast_scanner_defers_to_the_full_parser(text: str) -> None:
    assert scan_fast(text) is None
