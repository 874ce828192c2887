"""What to audit, and how pip-audit audits it.

:mod:`chainkit.deps` reads the inputs (requirements files with includes and hashes,
``pyproject.toml``, lock files); this module decides, for each, whether pip-audit has to
*resolve* (install into a throw-away virtual environment, which needs the package index) or
can audit the pins as written, what is skipped up front and why, and builds the pip-audit
dependency source:

- requirements files: when every requirement is pinned (``==``) or hashed, pip-audit's
  ``--no-deps --disable-pip`` path audits them without installing anything; otherwise
  pip-audit resolves them with pip. Requirements whose marker does not apply are skipped.
- ``pylock.toml`` (PEP 751): pip-audit's own reader. ``uv.lock`` and ``poetry.lock``: the
  locked pins go to pip-audit as they are. Packages that do not come from a package index
  (the project itself, path, git or URL sources) are skipped, with the reason.
- a project directory: its ``pyproject.toml`` ``[project].dependencies``, resolved by
  pip-audit; with ``--locked``, its lock files instead.
- the environment: ``pip list`` of the running interpreter, through pip-audit (pip's view
  of what is installed, which is what pip-audit audits).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chainkit.audit._errors import InputError
from chainkit.audit._model import Location, Skipped
from chainkit.deps import (
    LOCK_FILE_NAMES,
    MAIN_GROUP,
    Collected,
    Dependency,
    LockFile,
    PyProject,
    Requirements,
    collect,
    discover,
)

if TYPE_CHECKING:
    from pip_audit._dependency_source import DependencySource
    from pip_audit._fix import ResolvedFixVersion
    from pip_audit._service.interface import Dependency as PipAuditDependency

__all__ = [
    "LOCK_FILE_NAMES",
    "AuditInput",
    "environment_input",
    "lock_input",
    "project_inputs",
    "requirements_input",
]


def _no_source() -> DependencySource:
    raise NotImplementedError


@dataclass(frozen=True)
class AuditInput:
    """One thing to audit and how."""

    label: str
    kind: str
    resolves: bool
    locations: Mapping[str, tuple[Location, ...]] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()
    default_location: Location | None = None
    make_source: Callable[[], DependencySource] = field(
        default=_no_source, repr=False, compare=False
    )

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


def _locations(collected: Collected, group: str | None = None) -> dict[str, tuple[Location, ...]]:
    out: dict[str, list[Location]] = {}
    for dep in collected.dependencies:
        if group is None or group in dep.groups:
            found = out.setdefault(dep.canonical_name, [])
            found.extend(d for d in dep.declared if d not in found)
    return {k: tuple(v) for k, v in out.items()}


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_IDENTIFIER = re.compile(r"[a-z_]+")


def _marker_variables(marker: str) -> str:
    """The variables a marker tests (``sys_platform``), never its quoted values: those are
    free text from the input."""
    names = sorted(set(_IDENTIFIER.findall(_QUOTED.sub(" ", marker))) - {"and", "or", "in", "not"})
    return ", ".join(names) or "marker"


def requirements_input(paths: Sequence[Path]) -> AuditInput:
    """All ``-r`` files as one input (pip-audit checks them together for conflicting pins)."""
    collected = collect(Requirements(tuple(paths)))
    # URL and path requirements have no version to audit; they are named by their place,
    # never by their text (pip-audit would report the raw line).
    skipped: list[Skipped] = [
        Skipped(
            f"unnamed requirement ({d.path}:{d.line})",
            "a URL or path requirement has no version to audit",
            d.path,
        )
        for d in collected.unnamed
    ]
    unpinned: list[str] = []
    applies = []
    for dep in collected.dependencies:
        if dep.marker is not None and not Marker(dep.marker).evaluate():
            reason = f"environment marker does not apply here ({_marker_variables(dep.marker)})"
            skipped.append(Skipped(dep.name, reason, dep.declared[0].path))
            continue
        applies.append(dep)
        if dep.version is None:  # not pinned with == (what pip-audit's pinned path accepts)
            unpinned.append(f"{dep.name}{dep.specifier}")
    hashed = collected.hashed
    resolves = bool(unpinned) and not hashed
    if unpinned and hashed:
        raise InputError(
            f"{collected.label}: hashed requirements must all be pinned; "
            f"not pinned: {', '.join(unpinned)}",
            remediation="pin every requirement with == (e.g. with pip-compile --generate-hashes)",
        )
    if not resolves:
        _check_pins(applies, hashed)
    locations: dict[str, list[Location]] = {}
    for dep in applies:
        locations.setdefault(dep.canonical_name, []).extend(dep.declared)
    files = list(collected.files)

    def make_source() -> DependencySource:
        from pip_audit._dependency_source import RequirementSource

        return RequirementSource(
            files, require_hashes=hashed, no_deps=not resolves, disable_pip=not resolves
        )

    return AuditInput(
        label=collected.label,
        kind="requirements",
        resolves=resolves,
        locations={k: tuple(v) for k, v in locations.items()},
        skipped=tuple(skipped),
        default_location=collected.default_location,
        make_source=make_source,
    )


def _check_pins(applies: Sequence[Dependency], hashed: bool) -> None:
    """What pip-audit's pinned path would reject, said by place (pip-audit's own messages
    quote the requirement lines)."""
    first: dict[str, Dependency] = {}
    for dep in applies:
        where = f"{dep.declared[0].path}:{dep.declared[0].line}"
        if hashed and not dep.hashes:
            raise InputError(
                f"{where}: {dep.name} has no --hash, but other requirements are hashed",
                remediation="hash every requirement or none (pip-compile --generate-hashes)",
            )
        seen = first.setdefault(dep.canonical_name, dep)
        if seen is not dep and seen.specifier != dep.specifier:
            other = f"{seen.declared[0].path}:{seen.declared[0].line}"
            raise InputError(
                f"{where}: {dep.name} is pinned differently at {other}",
                remediation="pin each package once (or identically) across the files",
            )


class _LockSource:
    """A pip-audit dependency source over already-resolved (name, version) pairs."""

    def __init__(self, pins: Sequence[tuple[str, str]]) -> None:
        self._pins = pins

    def collect(self) -> Iterator[PipAuditDependency]:
        from pip_audit._service.interface import ResolvedDependency

        for name, version in self._pins:
            yield ResolvedDependency(name=name, version=Version(version))

    def fix(self, fix_version: ResolvedFixVersion) -> None:  # pragma: no cover - never fixes
        raise NotImplementedError("lock files are updated with their own tool")


def _from_lock(collected: Collected) -> AuditInput:
    path = collected.files[0]
    locations = _locations(collected)
    if collected.kind == "pylock":

        def make_pylock() -> DependencySource:
            from pip_audit._dependency_source.pylock import PyLockSource

            return PyLockSource([path])

        return AuditInput(
            collected.label,
            "pylock",
            False,
            locations,
            (),
            collected.default_location,
            make_source=make_pylock,
        )
    pins: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    for dep in collected.dependencies:
        if dep.origin is not None:
            reason = f"not from a package index ({dep.origin})"
        elif dep.version is None:
            reason = "no version in the lock file"
        else:
            try:
                Version(dep.version)
            except InvalidVersion:
                reason = "not a PEP 440 version"
            else:
                pins.append((dep.name, dep.version))
                continue
        skipped.append(Skipped(dep.name, reason, collected.label))

    def make_lock() -> DependencySource:
        return _LockSource(pins)

    return AuditInput(
        collected.label,
        collected.kind,
        False,
        locations,
        tuple(skipped),
        collected.default_location,
        make_source=make_lock,
    )


def lock_input(path: Path) -> AuditInput:
    """A ``pylock.toml``/``pylock.*.toml``, ``uv.lock`` or ``poetry.lock``."""
    return _from_lock(collect(LockFile(path)))


def _pyproject_input(pyproject: Path) -> AuditInput:
    collected = collect(PyProject(pyproject))

    def make_source() -> DependencySource:
        from pip_audit._dependency_source import PyProjectSource

        return PyProjectSource(pyproject)

    return AuditInput(
        collected.label,
        "pyproject",
        True,
        _locations(collected, MAIN_GROUP),
        (),
        collected.default_location,
        make_source,
    )


def project_inputs(path: Path, *, locked: bool) -> list[AuditInput]:
    """A project directory (``pyproject.toml``, or its lock files with ``locked``) or one file."""
    inputs: list[AuditInput] = []
    for source in discover(path, locked=locked):
        if isinstance(source, PyProject):
            inputs.append(_pyproject_input(source.path))
        elif isinstance(source, Requirements):
            inputs.append(requirements_input(source.paths))
        elif isinstance(source, LockFile):
            inputs.append(lock_input(source.path))
    return inputs


def environment_input() -> AuditInput:
    """The distributions installed in the running interpreter's environment."""

    def make_source() -> DependencySource:
        from pip_audit._dependency_source import PipSource

        return PipSource()

    return AuditInput(sys.prefix, "environment", False, make_source=make_source)
