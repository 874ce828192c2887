"""What :func:`chainkit.deps.collect` returns: dependencies, where they are declared, and the
graph between them when the input records it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = [
    "MAIN_GROUP",
    "Artifact",
    "Collected",
    "Declared",
    "Dependency",
    "Edge",
    "Environment",
    "LockFile",
    "PackageSource",
    "ProjectInfo",
    "PyProject",
    "Requirements",
    "Source",
]

MAIN_GROUP = "main"
"""The group of a project's runtime dependencies (``[project].dependencies``, poetry's
``main``); other groups are extras, dependency groups or dev groups."""


@dataclass(frozen=True)
class Requirements:
    """Requirements files; ``-r`` includes are followed."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class PyProject:
    """A ``pyproject.toml``: ``[project].dependencies``, optional dependencies and
    ``[dependency-groups]``."""

    path: Path


@dataclass(frozen=True)
class LockFile:
    """A ``pylock.toml``/``pylock.<name>.toml`` (PEP 751), ``uv.lock`` or ``poetry.lock``."""

    path: Path


@dataclass(frozen=True)
class Environment:
    """The distributions installed in the running interpreter's environment."""


Source = Requirements | PyProject | LockFile | Environment


@dataclass(frozen=True)
class Declared:
    """Where a dependency is declared: a path (POSIX, relative to the working directory when
    below it) and a 1-based line."""

    path: str
    line: int = 1


@dataclass(frozen=True)
class Artifact:
    """One file a lock file pins for a package (an sdist or a wheel): where it is downloaded
    from, as the lock file says (unchecked text), and its ``algorithm:hex`` digests."""

    url: str
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackageSource:
    """Where a locked package comes from when it is not PyPI's index.

    ``kind`` is ``registry`` (an index other than PyPI: ``url`` is the index), ``vcs`` (``url``
    is the repository, ``commit`` the resolved commit when the lock file records it),
    ``directory``/``path`` (``url`` is the path as the lock file writes it), ``url``/``archive``
    (``url`` is the archive). Every value is the lock file's unchecked text."""

    kind: str
    url: str | None = None
    commit: str | None = None
    vcs: str | None = None
    """``git``, ``hg``, … for ``vcs``."""


@dataclass(frozen=True)
class Dependency:
    """One declared or locked dependency.

    ``version`` is the exact version when the input pins or locks one (``==1.2`` without a
    wildcard, a lock entry), else ``None``. ``specifier`` is the declared version constraint
    (``>=1,<2``).
    ``hashes`` are ``algorithm:hex`` digests as the input lists them (``--hash``, lock-file
    wheels and sdists). ``groups`` names the groups the dependency belongs to
    (:data:`MAIN_GROUP`, extras, dependency or dev groups) where the input says.
    ``origin`` is set when the dependency does not come from a package index (``uv source:
    editable``, ``poetry source: git``, ``pylock: vcs``, ``url``); ``None`` otherwise.
    """

    name: str
    version: str | None = None
    specifier: str = ""
    hashes: tuple[str, ...] = ()
    marker: str | None = None
    groups: tuple[str, ...] = ()
    origin: str | None = None
    declared: tuple[Declared, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    """The files a lock file lists with a URL (``uv.lock``, ``pylock.toml``; ``poetry.lock``
    names files without URLs)."""
    extras: tuple[str, ...] = ()
    """The groups in ``groups`` that are extras (``[project.optional-dependencies]``, uv's
    ``optional-dependencies``): runtime dependencies a user opts into, unlike dependency and
    dev groups."""
    source: PackageSource | None = None
    """Where a non-registry dependency comes from, or a registry other than PyPI."""

    @property
    def canonical_name(self) -> str:
        return str(canonicalize_name(self.name))

    @property
    def dev(self) -> bool:
        """Only in non-main groups (dev, test, docs, an extra)."""
        return bool(self.groups) and MAIN_GROUP not in self.groups

    @property
    def dev_only(self) -> bool:
        """Only in dependency or dev groups: neither a runtime dependency nor an extra's."""
        return self.dev and not self.extras


@dataclass(frozen=True)
class Edge:
    """``parent`` depends on ``child`` (canonical names); ``group`` when only through an extra
    or a dependency group; ``marker`` when only under an environment marker.

    ``parent_version`` is the locked version of the parent entry the edge comes from (a lock
    file may hold several versions of one name, each with its own dependencies);
    ``child_version`` is set when the lock file pins which version of the child is meant
    (uv names it when it holds several)."""

    parent: str
    child: str
    group: str | None = None
    marker: str | None = None
    parent_version: str | None = None
    child_version: str | None = None
    extra: bool = False
    """``group`` is an extra (optional dependencies), not a dependency or dev group."""


@dataclass(frozen=True)
class Collected:
    """The dependencies of one source, in input order."""

    source: Source
    kind: str  # requirements | pyproject | pylock | uv.lock | poetry.lock | environment
    label: str
    files: tuple[Path, ...]
    dependencies: tuple[Dependency, ...]
    edges: tuple[Edge, ...] = ()
    default_location: Declared | None = None
    unnamed: tuple[Declared, ...] = ()
    """Where URL and path requirements without a name are (requirements files): they have
    nothing to audit, and their text is never reported."""
    direct: tuple[Dependency, ...] = ()
    """The URL requirements among them that name their package (``name @ URL``), with their
    :class:`PackageSource`: for an SBOM, never audited (no version, not from an index)."""

    @property
    def hashed(self) -> bool:
        return any(d.hashes for d in self.dependencies)

    def locate(self, name: str) -> tuple[Declared, ...]:
        """Where ``name`` (any spelling) is declared, else the input's default location."""
        wanted = canonicalize_name(name)
        found: list[Declared] = []
        for dep in self.dependencies:
            if dep.canonical_name == wanted:
                found.extend(d for d in dep.declared if d not in found)
        if found:
            return tuple(found)
        return (self.default_location,) if self.default_location is not None else ()


@dataclass(frozen=True)
class ProjectInfo:
    """What a ``pyproject.toml`` says about the project itself (``[project]``, else poetry's
    ``[tool.poetry]``): the root of an SBOM. ``version`` is ``None`` when it is dynamic;
    ``license`` is the PEP 639 expression (or poetry's string); ``authors`` are
    ``(name, email)`` pairs; ``requires`` the canonical names of the runtime dependencies."""

    name: str
    version: str | None = None
    license: str | None = None
    authors: tuple[tuple[str | None, str | None], ...] = ()
    requires: tuple[str, ...] = ()
