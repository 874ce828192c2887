"""Requirements files: ``-r`` includes, ``--hash`` options, markers, line numbers.

A fast scanner reads the common shape (``name==version [--hash ...] [; marker]``, comments,
a few global options, as pip-compile, uv and ``pip freeze`` write them); anything else goes
to ``pip-requirements-parser``, which applies pip's own rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chainkit.deps._common import display, missing
from chainkit.deps._errors import InputError
from chainkit.deps._model import Collected, Declared, Dependency, Requirements

__all__ = ["PINNED", "collect_requirements"]

PINNED = re.compile(r"^==\s*([^*=\s][^*\s]*)$")  # what pip-audit's pinned path accepts
_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's own comment rule
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^\s=]))(\S+)$")
_IGNORED_OPTION = re.compile(
    r"^(?:-c|--constraint|-i|--index-url|--extra-index-url|--no-index|-f|--find-links|"
    r"--trusted-host|--pre|--prefer-binary|--only-binary|--no-binary|--require-hashes)(?:[\s=]|$)"
)


@dataclass(frozen=True)
class Line:
    """One requirement line, as far as chainkit needs it."""

    name: str | None  # None: a URL or path requirement
    specifier: str
    marker: str | None
    line: int
    hashes: tuple[str, ...]


def scan_fast(text: str) -> tuple[list[Line], list[str]] | None:
    """Requirements and ``-r`` includes of plain files, or ``None`` to use the full parser."""
    from packaging.requirements import InvalidRequirement, Requirement

    reqs: list[Line] = []
    includes: list[str] = []
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if raw.endswith("\\"):
            buffer += raw[:-1] + " "
            continue
        logical.append((start, buffer + raw))
        buffer = ""
    if buffer:
        logical.append((start, buffer))
    for number, line in logical:
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        if "${" in line:
            return None  # environment variables: let pip's rules apply
        if line.startswith("-"):
            include = _INCLUDE.match(line)
            if include:
                includes.append(include.group(1))
            elif not _IGNORED_OPTION.match(line):
                return None  # -e, per-line options chainkit does not model
            continue
        requirement, _, options = line.partition(" --")
        opts = ("--" + options).split() if options else []
        if any(not o.startswith("--hash=") for o in opts):
            return None
        try:
            req = Requirement(requirement.strip())
        except InvalidRequirement:
            return None  # URLs, paths, or invalid: the full parser decides
        if req.url:
            return None
        marker = str(req.marker) if req.marker is not None else None
        hashes = tuple(o.split("=", 1)[1] for o in opts)
        reqs.append(Line(req.name, str(req.specifier), marker, number, hashes))
    return reqs, includes


def scan_full(path: Path) -> tuple[list[Line], list[str]]:
    from pip_requirements_parser import RequirementsFile  # type: ignore[import-untyped]

    parsed = RequirementsFile.from_file(str(path), include_nested=False)
    if parsed.invalid_lines:
        bad = parsed.invalid_lines[0]
        raise InputError(
            f"{path}:{bad.requirement_line.line_number}: not a valid requirement",
            remediation="fix that line; see https://pip.pypa.io/en/stable/reference/requirements-file-format/",
        )
    reqs = [
        Line(
            None if (r.req is None or r.is_url) else r.name,
            str(r.specifier or ""),
            str(r.marker) if r.marker is not None else None,
            r.requirement_line.line_number,
            tuple(str(h) for h in r.hash_options),
        )
        for r in parsed.requirements
    ]
    includes = [str(n) for o in parsed.options for n in o.options.get("requirements", [])]
    return reqs, includes


def expand(paths: Sequence[Path]) -> list[tuple[Path, list[Line]]]:
    """The given files and every file they include with ``-r``, each once, in order, scanned."""
    seen: list[Path] = []
    scanned: list[tuple[Path, list[Line]]] = []
    stack = list(reversed(paths))
    while stack:
        path = stack.pop()
        if not path.is_file():
            raise missing(path, "requirements file")
        if any(path.resolve() == s.resolve() for s in seen):
            continue
        seen.append(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"requirements file {path} could not be read: {type(exc).__name__}",
                remediation="check the file's permissions and that it is UTF-8 text",
            ) from exc
        fast = scan_fast(text)
        reqs, includes = fast if fast is not None else scan_full(path)
        stack.extend(reversed([path.parent / n for n in includes]))
        scanned.append((path, reqs))
    return scanned


def collect_requirements(source: Requirements) -> Collected:
    """All files (and their includes) as one input; URL/path requirements are left out (they
    have no name to audit or list; pip-audit reports them itself)."""
    if not source.paths:
        raise InputError("no requirements file given", remediation="pass -r requirements.txt")
    scanned = expand(source.paths)
    deps: list[Dependency] = []
    for path, lines in scanned:
        shown = display(path)
        for line in lines:
            if line.name is None:
                continue
            pinned = PINNED.match(line.specifier)
            deps.append(
                Dependency(
                    name=line.name,
                    version=pinned.group(1) if pinned else None,
                    specifier=line.specifier,
                    hashes=line.hashes,
                    marker=line.marker,
                    declared=(Declared(shown, line.line),),
                )
            )
    files = tuple(p for p, _ in scanned)
    return Collected(
        source=source,
        kind="requirements",
        label=", ".join(display(p) for p in files),
        files=files,
        dependencies=tuple(deps),
        default_location=Declared(display(files[0]), 1),
    )
