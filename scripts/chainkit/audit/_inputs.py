"""What to audit: requirements files, a project, lock files, or the current environment.

Each reader returns an :class:`AuditInput`: a description for the user, whether pip-audit
has to *resolve* (install into a throw-away virtual environment, which needs the package
index) or can audit the pins as written, where each requirement is declared (for SARIF),
what is skipped up front and why, and a factory for the pip-audit dependency source.

- requirements files: ``-r`` includes are followed (pip-audit's pinned path does not follow
  them itself). When every requirement is pinned (``==``/``===``) or hashed, pip-audit's
  ``--no-deps --disable-pip`` path audits them without installing anything; otherwise pip-audit
  resolves them with pip.
- ``pylock.toml`` (PEP 751): pip-audit's own reader. ``uv.lock`` and ``poetry.lock``: read
  here; they are already resolved, so nothing is installed. Packages that do not come from a
  package index (the project itself, path, git or URL sources) are skipped, with the reason.
- a project directory: its ``pyproject.toml`` ``[project].dependencies``, resolved by pip-audit;
  with ``--locked``, its lock files instead.
- the environment: ``pip list`` of the running interpreter, through pip-audit.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chainkit.audit._errors import InputError
from chainkit.audit._model import Location, Skipped

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "LOCK_FILE_NAMES",
    "AuditInput",
    "environment_input",
    "lock_input",
    "project_inputs",
    "requirements_input",
]

LOCK_FILE_NAMES = ("pylock.toml", "uv.lock", "poetry.lock")
_PINNED = re.compile(r"^==\s*[^*=\s][^*\s]*$")  # what pip-audit's pinned path accepts


@dataclass(frozen=True)
class AuditInput:
    """One thing to audit and how."""

    label: str
    kind: str
    resolves: bool
    locations: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()
    default_location: Location | None = None
    make_source: Callable[[], Any] = field(default=lambda: None, repr=False, compare=False)

    @property
    def mode(self) -> str:
        if self.kind == "environment":
            return "installed distributions, as reported by pip"
        if self.resolves:
            return "resolved by pip-audit (installs into a temporary virtual environment)"
        return "pinned: audited as written, nothing installed"

    def locate(self, name: str) -> tuple[Location, ...]:
        found = self.locations.get(canonicalize_name(name))
        if found:
            return found
        return (self.default_location,) if self.default_location is not None else ()


def _display(path: Path) -> str:
    """A path relative to the working directory when it is below it (SARIF wants that)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _missing(path: Path, what: str) -> InputError:
    return InputError(
        f"{what} {path} does not exist",
        remediation="check the path (relative paths are taken from the working directory)",
    )


# --- requirements files ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Req:
    """One requirement line, as far as chainkit needs it (pip-audit parses authoritatively)."""

    name: str | None  # None: a URL or path requirement, reported by pip-audit
    specifier: str
    marker: Any  # packaging.markers.Marker | None
    line: int
    hashed: bool


_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's own comment rule
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^\s=]))(\S+)$")
_IGNORED_OPTION = re.compile(
    r"^(?:-c|--constraint|-i|--index-url|--extra-index-url|--no-index|-f|--find-links|"
    r"--trusted-host|--pre|--prefer-binary|--only-binary|--no-binary|--require-hashes)(?:[\s=]|$)"
)


def _scan_fast(text: str) -> tuple[list[_Req], list[str]] | None:
    """Requirements and ``-r`` includes of plain files, or ``None`` to use the full parser.

    pip_requirements_parser builds an option parser per line, which costs more than the
    rest of a pinned audit's own work; most files (pip-compile, uv, pip freeze output) only
    hold ``name==version [--hash ...] [; marker]`` lines, comments and a few options.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    reqs: list[_Req] = []
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
        if any(not o.startswith("--hash") for o in opts):
            return None
        try:
            req = Requirement(requirement.strip())
        except InvalidRequirement:
            return None  # URLs, paths, or invalid: the full parser decides
        if req.url:
            return None
        reqs.append(_Req(req.name, str(req.specifier), req.marker, number, bool(opts)))
    return reqs, includes


def _scan_full(path: Path) -> tuple[list[_Req], list[str]]:
    from pip_requirements_parser import RequirementsFile  # type: ignore[import-untyped]

    parsed = RequirementsFile.from_file(str(path), include_nested=False)
    if parsed.invalid_lines:
        bad = parsed.invalid_lines[0]
        raise InputError(
            f"{path}:{bad.requirement_line.line_number}: not a valid requirement: "
            f"{bad.requirement_line.line!r} ({bad.error_message})",
            remediation="fix that line; see https://pip.pypa.io/en/stable/reference/requirements-file-format/",
        )
    reqs = [
        _Req(
            None if (r.req is None or r.is_url) else r.name,
            str(r.specifier),
            r.marker,
            r.requirement_line.line_number,
            bool(r.hash_options),
        )
        for r in parsed.requirements
    ]
    includes = [str(n) for o in parsed.options for n in o.options.get("requirements", [])]
    return reqs, includes


def _expand_requirements(paths: Sequence[Path]) -> list[tuple[Path, list[_Req]]]:
    """The given files and every file they include with ``-r``, each once, in order, scanned."""
    seen: list[Path] = []
    scanned: list[tuple[Path, list[_Req]]] = []
    stack = list(reversed(paths))
    while stack:
        path = stack.pop()
        if not path.is_file():
            raise _missing(path, "requirements file")
        if any(path.resolve() == s.resolve() for s in seen):
            continue
        seen.append(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"requirements file {path} could not be read: {exc}",
                remediation="check the file's permissions and that it is UTF-8 text",
            ) from exc
        fast = _scan_fast(text)
        reqs, includes = fast if fast is not None else _scan_full(path)
        stack.extend(reversed([path.parent / n for n in includes]))
        scanned.append((path, reqs))
    return scanned


def requirements_input(paths: Sequence[Path]) -> AuditInput:
    """All ``-r`` files as one input (pip-audit checks them together for conflicting pins)."""
    scanned = _expand_requirements(paths)
    files = [path for path, _ in scanned]
    locations: dict[str, list[Location]] = {}
    skipped: list[Skipped] = []
    unpinned: list[str] = []
    hashed = False
    for path, reqs in scanned:
        shown = _display(path)
        for req in reqs:
            hashed = hashed or req.hashed
            if req.name is None:
                continue  # pip-audit reports URL requirements as skipped itself
            if req.marker is not None and not req.marker.evaluate():
                reason = f"environment marker does not apply here: {req.marker}"
                skipped.append(Skipped(req.name, reason, shown))
                continue
            name = canonicalize_name(req.name)
            locations.setdefault(name, []).append(Location(shown, req.line))
            if not _PINNED.match(req.specifier):
                unpinned.append(f"{req.name}{req.specifier}")
    resolves = bool(unpinned) and not hashed
    label = ", ".join(_display(p) for p in files)
    if unpinned and hashed:
        raise InputError(
            f"{label}: hashed requirements must all be pinned; not pinned: {', '.join(unpinned)}",
            remediation="pin every requirement with == (e.g. with pip-compile --generate-hashes)",
        )

    def make_source() -> Any:
        from pip_audit._dependency_source import RequirementSource

        return RequirementSource(
            list(files),
            require_hashes=hashed,
            no_deps=not resolves,
            disable_pip=not resolves,
        )

    return AuditInput(
        label=label,
        kind="requirements",
        resolves=resolves,
        locations={k: tuple(v) for k, v in locations.items()},
        skipped=tuple(skipped),
        default_location=Location(_display(files[0]), 1),
        make_source=make_source,
    )


# --- lock files ----------------------------------------------------------------------------


def _load_toml(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise _missing(path, what)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"{what} {path} could not be parsed: {exc}",
            remediation="regenerate it with its tool (uv lock, poetry lock, pip lock)",
        ) from exc


def _package_lines(path: Path) -> dict[str, int]:
    """canonical name -> line of ``name = "..."`` in a ``[[package]]``/``[[packages]]`` table."""
    lines: dict[str, int] = {}
    in_package = False
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = text.strip()
        if stripped.startswith("["):
            in_package = stripped in {"[[package]]", "[[packages]]"}
            continue
        m = re.match(r'^name\s*=\s*"([^"]+)"', stripped)
        if in_package and m:
            lines.setdefault(canonicalize_name(m.group(1)), number)
            in_package = False
    return lines


def _bad_lock(path: Path, what: str) -> InputError:
    return InputError(
        f"{path} is not a valid lock file: {what}",
        remediation="regenerate it with its tool (uv lock, poetry lock, pip lock)",
    )


def _uv_packages(path: Path, data: Mapping[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """(name, version or None, skip reason) of every package in a ``uv.lock``."""
    packages = data.get("package")
    if not isinstance(packages, list) or "version" not in data:
        raise _bad_lock(path, "expected 'version' and [[package]] tables (uv.lock)")
    for pkg in packages:
        if not isinstance(pkg, Mapping) or not isinstance(pkg.get("name"), str):
            raise _bad_lock(path, "a [[package]] without a name")
        raw_source = pkg.get("source")
        source: Mapping[str, Any] = raw_source if isinstance(raw_source, Mapping) else {}
        kinds = set(source) - {"registry"}
        version = pkg.get("version")
        if kinds:
            kind = sorted(kinds)[0]
            yield pkg["name"], None, f"not from a package index (uv source: {kind})"
        elif not isinstance(version, str):
            yield pkg["name"], None, "no version in the lock file"
        else:
            yield pkg["name"], version, ""


def _poetry_packages(path: Path, data: Mapping[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """(name, version or None, skip reason) of every package in a ``poetry.lock``."""
    packages = data.get("package")
    if not isinstance(packages, list):
        raise _bad_lock(path, "expected [[package]] tables (poetry.lock)")
    for pkg in packages:
        if not isinstance(pkg, Mapping) or not isinstance(pkg.get("name"), str):
            raise _bad_lock(path, "a [[package]] without a name")
        raw_source = pkg.get("source")
        source: Mapping[str, Any] = raw_source if isinstance(raw_source, Mapping) else {}
        kind = source.get("type")
        version = pkg.get("version")
        if kind not in (None, "legacy"):
            yield pkg["name"], None, f"not from a package index (poetry source: {kind})"
        elif not isinstance(version, str):
            yield pkg["name"], None, "no version in the lock file"
        else:
            yield pkg["name"], version, ""


class _LockSource:
    """A pip-audit dependency source over already-resolved (name, version) pairs."""

    def __init__(self, pins: Sequence[tuple[str, str]]) -> None:
        self._pins = pins

    def collect(self) -> Iterator[Any]:
        from pip_audit._service.interface import ResolvedDependency

        for name, version in self._pins:
            yield ResolvedDependency(name=name, version=Version(version))

    def fix(self, fix_version: Any) -> None:  # pragma: no cover - audit never fixes
        raise NotImplementedError("lock files are updated with their own tool")


def lock_input(path: Path) -> AuditInput:
    """A ``pylock.toml``/``pylock.*.toml``, ``uv.lock`` or ``poetry.lock``."""
    name = path.name
    is_pylock = name.startswith("pylock.") and name.endswith(".toml")
    if not is_pylock and name not in ("uv.lock", "poetry.lock"):
        raise InputError(
            f"{path}: not a lock file chainkit reads",
            remediation=f"pass one of {', '.join(LOCK_FILE_NAMES)} (or pylock.<name>.toml)",
        )
    shown = _display(path)
    data = _load_toml(path, "lock file")
    lines = _package_lines(path)
    locations = {k: (Location(shown, v),) for k, v in lines.items()}
    if is_pylock:
        if not isinstance(data.get("lock-version"), str) or not isinstance(
            data.get("packages"), list
        ):
            raise _bad_lock(path, "expected lock-version and [[packages]] (PEP 751)")

        def make_pylock() -> Any:
            from pip_audit._dependency_source.pylock import PyLockSource

            return PyLockSource([path])

        return AuditInput(
            shown, "pylock", False, locations, (), Location(shown, 1), make_source=make_pylock
        )
    if name == "uv.lock":
        entries = list(_uv_packages(path, data))
        kind = "uv.lock"
    else:
        entries = list(_poetry_packages(path, data))
        kind = "poetry.lock"
    pins: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    for pkg_name, version, reason in entries:
        if version is None:
            skipped.append(Skipped(pkg_name, reason, shown))
            continue
        try:
            Version(version)
        except InvalidVersion:
            skipped.append(Skipped(pkg_name, f"not a PEP 440 version: {version!r}", shown))
            continue
        pins.append((pkg_name, version))
    return AuditInput(
        shown,
        kind,
        False,
        locations,
        tuple(skipped),
        Location(shown, 1),
        make_source=lambda: _LockSource(pins),
    )


# --- projects and the environment -----------------------------------------------------------


def _find_locks(directory: Path) -> list[Path]:
    found = sorted(directory.glob("pylock.*.toml"))
    found += [directory / n for n in LOCK_FILE_NAMES if (directory / n).is_file()]
    return found


def _pyproject_input(pyproject: Path) -> AuditInput:
    data = _load_toml(pyproject, "project file")
    project = data.get("project")
    if not isinstance(project, Mapping):
        raise InputError(
            f"{pyproject} has no [project] table",
            remediation="audit its lock file with --locked, or a requirements file with -r",
        )
    shown = _display(pyproject)
    text = pyproject.read_text(encoding="utf-8").splitlines()
    deps_line = next(
        (i for i, t in enumerate(text, start=1) if t.strip().startswith("dependencies")), 1
    )
    locations: dict[str, tuple[Location, ...]] = {}
    for dep in project.get("dependencies") or []:
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req_name = canonicalize_name(Requirement(str(dep)).name)
        except InvalidRequirement as exc:
            raise InputError(
                f"{pyproject}: not a valid dependency {dep!r}: {exc}",
                remediation="fix [project].dependencies (PEP 508)",
            ) from exc
        line = next((i for i, t in enumerate(text, start=1) if f'"{dep}"' in t), deps_line)
        locations[req_name] = (Location(shown, line),)

    def make_source() -> Any:
        from pip_audit._dependency_source import PyProjectSource

        return PyProjectSource(pyproject)

    return AuditInput(
        shown, "pyproject", True, locations, (), Location(shown, deps_line), make_source
    )


def project_inputs(path: Path, *, locked: bool) -> list[AuditInput]:
    """A project directory (``pyproject.toml``, or its lock files with ``locked``) or one file."""
    if not path.exists():
        raise _missing(path, "project path")
    if path.is_file():
        if path.name == "pyproject.toml":
            return [_pyproject_input(path)]
        if path.name.endswith((".txt", ".in")):
            return [requirements_input([path])]
        return [lock_input(path)]
    if locked:
        locks = _find_locks(path)
        if not locks:
            raise InputError(
                f"--locked: no lock file in {path}",
                remediation=f"create one ({', '.join(LOCK_FILE_NAMES)}) or drop --locked",
            )
        return [lock_input(p) for p in locks]
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        return [_pyproject_input(pyproject)]
    hint = "pass -r requirements.txt, or --env for the current environment"
    if _find_locks(path):
        hint = "it has a lock file: add --locked to audit that"
    raise InputError(f"no pyproject.toml in {path}", remediation=hint)


def environment_input() -> AuditInput:
    """The distributions installed in the running interpreter's environment."""

    def make_source() -> Any:
        from pip_audit._dependency_source import PipSource

        return PipSource()

    return AuditInput(sys.prefix, "environment", False, make_source=make_source)
