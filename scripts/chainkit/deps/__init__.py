r"""One dependency-input layer: requirements files, ``pyproject.toml``, lock files
(``pylock.toml``, ``uv.lock``, ``poetry.lock``) and the running environment.

``chainkit audit`` reads its inputs here; lock-file SBOMs will too. Nothing here imports
pip-audit (the full requirements parser is loaded only for unusual files)::

    for source in discover(Path("."), locked=True):
        collected = collect(source)
        for dep in collected.dependencies:
            print(dep.name, dep.version, dep.hashes, dep.groups, dep.declared)
        print(collected.edges)

Public API (everything else is internal):

- :func:`collect` reads one source into a :class:`Collected` (dependencies in input
  order, edges, where each is declared);
- :func:`project_info` reads the project's own name, version, licence and authors from a
  ``pyproject.toml`` (:class:`ProjectInfo`, the root of an SBOM);
- :func:`discover` turns a project path into sources (its ``pyproject.toml``, its lock
  files with ``locked``, or the file itself);
- sources: :class:`Requirements`, :class:`PyProject`, :class:`LockFile`,
  :class:`Environment`; results: :class:`Dependency` (with its lock-file
  :class:`Artifact`\ s), :class:`Edge`, :class:`Declared`,
  :data:`MAIN_GROUP`, :data:`LOCK_FILE_NAMES`;
- errors: :class:`DepsError`, :class:`InputError` (exit 2). Messages never quote an
  input line.
"""

from __future__ import annotations

from pathlib import Path

from chainkit.deps._common import missing
from chainkit.deps._errors import DepsError, InputError
from chainkit.deps._locks import LOCK_FILE_NAMES, collect_lock
from chainkit.deps._model import (
    MAIN_GROUP,
    Artifact,
    Collected,
    Declared,
    Dependency,
    Edge,
    Environment,
    LockFile,
    PackageSource,
    ProjectInfo,
    PyProject,
    Requirements,
    Source,
)
from chainkit.deps._project import collect_environment, collect_pyproject, project_info
from chainkit.deps._requirements import collect_requirements

__all__ = [
    "LOCK_FILE_NAMES",
    "MAIN_GROUP",
    "Artifact",
    "Collected",
    "Declared",
    "Dependency",
    "DepsError",
    "Edge",
    "Environment",
    "InputError",
    "LockFile",
    "PackageSource",
    "ProjectInfo",
    "PyProject",
    "Requirements",
    "Source",
    "collect",
    "discover",
    "project_info",
]


def collect(source: Source) -> Collected:
    """The dependencies of ``source``; :class:`InputError` when it cannot be read."""
    if isinstance(source, Requirements):
        return collect_requirements(source)
    if isinstance(source, PyProject):
        return collect_pyproject(source)
    if isinstance(source, LockFile):
        return collect_lock(source)
    return collect_environment(source)


def _find_locks(directory: Path) -> list[Path]:
    found = sorted(directory.glob("pylock.*.toml"))
    found += [directory / n for n in LOCK_FILE_NAMES if (directory / n).is_file()]
    return found


def discover(path: Path, *, locked: bool) -> list[Source]:
    """A project directory's ``pyproject.toml`` (or, with ``locked``, its lock files), or a
    single file: ``pyproject.toml``, a requirements file (``*.txt``, ``*.in``), a lock file."""
    if not path.exists():
        raise missing(path, "project path")
    if path.is_file():
        if path.name == "pyproject.toml":
            return [PyProject(path)]
        if path.name.endswith((".txt", ".in")):
            return [Requirements((path,))]
        return [LockFile(path)]
    if locked:
        locks = _find_locks(path)
        if not locks:
            raise InputError(
                f"--locked: no lock file in {path}",
                remediation=f"create one ({', '.join(LOCK_FILE_NAMES)}) or drop --locked",
            )
        return [LockFile(p) for p in locks]
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        return [PyProject(pyproject)]
    hint = "pass -r requirements.txt, or --env for the current environment"
    if _find_locks(path):
        hint = "it has a lock file: add --locked to audit that"
    raise InputError(f"no pyproject.toml in {path}", remediation=hint)
