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

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.deps._common import display, missing
from chainkit.deps._errors import InputError
from chainkit.deps._model import Collected, Declared, Dependency, PackageSource, Requirements

__all__ = ["MAX_REQUIREMENTS_BYTES", "PINNED", "collect_requirements"]

PINNED = re.compile(r"^==\s*([^*=\s][^*\s]*)$")  # what pip-audit's pinned path accepts
MAX_REQUIREMENTS_BYTES = 8 * 1024 * 1024
"""A requirements file larger than this is not one (pip-compile output is a few KiB)."""
_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's own comment rule
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s=]))(\S+)$")
_IGNORED_OPTION = re.compile(
    r"^(?:-i|--index-url|--extra-index-url|--no-index|-f|--find-links|"
    r"--trusted-host|--pre|--prefer-binary|--only-binary|--no-binary|--require-hashes)(?:[\s=]|$)"
)
# Text a requirements file cannot contain: C0 controls other than TAB, LF, FF, CR; DEL; C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Line:
    """One requirement line, as far as chainkit needs it."""

    name: str | None  # None: a URL or path requirement
    specifier: str
    marker: str | None
    line: int
    hashes: tuple[str, ...]
    direct: tuple[str, str] | None = None
    """A URL requirement that names its package (``name @ URL``, ``URL#egg=name``): the name
    and the URL."""


@dataclass(frozen=True)
class Include:
    """An ``-r``/``-c`` line: the file it names, relative to the including file."""

    target: str
    line: int


def scan_fast(text: str) -> tuple[list[Line], list[Include]] | None:
    """Requirements and ``-r``/``-c`` includes of plain files, or ``None`` for the full parser."""
    from packaging.requirements import InvalidRequirement, Requirement

    reqs: list[Line] = []
    includes: list[Include] = []
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
                includes.append(Include(include.group(1), number))
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


def scan_full(path: Path) -> tuple[list[Line], list[Include]]:
    from pip_requirements_parser import RequirementsFile  # type: ignore[import-untyped]

    parsed = RequirementsFile.from_file(str(path), include_nested=False)
    if parsed.invalid_lines:
        bad = parsed.invalid_lines[0]
        raise InputError(
            f"{display(path)}:{bad.requirement_line.line_number}: not a valid requirement",
            remediation="fix that line; see https://pip.pypa.io/en/stable/reference/requirements-file-format/",
        )
    reqs = [
        Line(
            None if (r.req is None or r.is_url) else r.name,
            str(r.specifier or ""),
            str(r.marker) if r.marker is not None else None,
            r.requirement_line.line_number,
            tuple(str(h) for h in r.hash_options),
            (str(r.name), str(r.link.url)) if r.is_url and r.name and r.link else None,
        )
        for r in parsed.requirements
    ]
    includes = [
        Include(str(n), o.requirement_line.line_number)
        for o in parsed.options
        for key in ("requirements", "constraints")
        for n in o.options.get(key, [])
    ]
    return reqs, includes


def _not_requirements(path: Path, why: str) -> InputError:
    return InputError(
        f"{display(path)} is not a requirements file ({why})",
        remediation="pass (and -r/-c include) only pip requirements files: UTF-8 text, "
        "one requirement or option per line; nothing of the file is shown",
    )


def read_text(path: Path) -> str:
    """A requirements file's text, refusing what cannot be one: too large, not UTF-8,
    control characters (``/proc/self/environ``, a binary). Never quotes the content."""
    try:
        data = read_bounded(path, MAX_REQUIREMENTS_BYTES)
    except TooLargeError:
        raise _not_requirements(path, f"larger than {MAX_REQUIREMENTS_BYTES} bytes") from None
    except OSError as exc:
        raise InputError(
            f"requirements file {display(path)} could not be read: {type(exc).__name__}",
            remediation="check the file's permissions",
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_requirements(path, "not UTF-8 text") from None
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise _not_requirements(path, f"control characters on line {line}")
    return text


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


def expand(paths: Sequence[Path]) -> list[tuple[Path, list[Line]]]:
    """The given files and every file they include with ``-r``/``-c``, each once, in order.

    Includes must stay inside the project: the working directory or the directory of a file
    given here (after following symlinks), so a pull request cannot make the audit read
    ``/proc/self/environ`` or another checkout's secrets. Errors name the including file
    and line, never the include's target or any content.
    """
    # The filesystem root is no project: from "/", includes stay beside the given files.
    roots = [
        r
        for r in (Path.cwd().resolve(), *(p.resolve().parent for p in paths))
        if r != Path(r.anchor)
    ]
    seen: list[Path] = []
    scanned: list[tuple[Path, list[Line]]] = []
    stack: list[tuple[Path, tuple[Path, int] | None]] = [(p, None) for p in reversed(paths)]
    while stack:
        path, included_from = stack.pop()
        if included_from is not None:
            where = f"{display(included_from[0])}:{included_from[1]}"
            if not _inside(path, roots):
                raise InputError(
                    f"{where}: an -r/-c include points outside the project",
                    remediation="include only files inside the repository (the working "
                    "directory or the directory of the requirements file given with -r)",
                )
            if not path.is_file():
                raise InputError(
                    f"{where}: the included requirements file does not exist",
                    remediation="fix the -r/-c line (paths are relative to the including file)",
                )
        elif not path.is_file():
            raise missing(path, "requirements file")
        if any(path.resolve() == s.resolve() for s in seen):
            continue
        seen.append(path)
        text = read_text(path)
        fast = scan_fast(text)
        reqs, includes = fast if fast is not None else scan_full(path)
        stack.extend((path.parent / i.target, (path, i.line)) for i in reversed(includes))
        scanned.append((path, reqs))
    return scanned


def collect_requirements(source: Requirements) -> Collected:
    """All files (and their includes) as one input; URL/path requirements are left out (they
    have no name to audit or list; pip-audit reports them itself)."""
    if not source.paths:
        raise InputError("no requirements file given", remediation="pass -r requirements.txt")
    scanned = expand(source.paths)
    deps: list[Dependency] = []
    unnamed: list[Declared] = []
    direct: list[Dependency] = []
    for path, lines in scanned:
        shown = display(path)
        for line in lines:
            if line.name is None:
                unnamed.append(Declared(shown, line.line))
                if line.direct is not None:
                    name, url = line.direct
                    direct.append(
                        Dependency(
                            name=name,
                            marker=line.marker,
                            hashes=line.hashes,
                            origin="url",
                            source=url_source(url),
                            declared=(Declared(shown, line.line),),
                        )
                    )
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
        unnamed=tuple(unnamed),
        direct=tuple(direct),
    )


_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")


def url_source(url: str) -> PackageSource:
    """Where a direct-URL requirement points: ``vcs`` (``git+URL@REV``: the repository and the
    revision), ``path`` (``file:``), else ``url`` (an archive)."""
    bare = url.split("#", 1)[0]
    if bare.startswith(_VCS_SCHEMES):
        vcs, _, rest = bare.partition("+")
        scheme, sep, tail = rest.partition("://")
        revision = None
        if "@" in tail.rsplit("/", 1)[-1]:
            tail, _, revision = tail.rpartition("@")
        return PackageSource("vcs", f"{scheme}{sep}{tail}", revision or None, vcs)
    if bare.startswith("file:"):
        return PackageSource("path", bare)
    return PackageSource("url", bare)
