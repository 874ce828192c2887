"""bandit's configuration, read by chainkit and handed to bandit vetted.

bandit reads much more than which tests to run from a project's ``.bandit`` INI file (it
even finds one anywhere under its targets): its own ``baseline`` (which hides every finding
in it), ``ignore-nosec``, ``output``, ``format``, ``targets``, ``level``, ``confidence``,
``msg-template``... A repository under scan must not be able to switch chainkit's reporting
off, so chainkit reads ``[tool.bandit]`` in the root's ``pyproject.toml`` and the root's
``.bandit`` itself and passes bandit only the vetted keys - which files are excluded
(``exclude_dirs``, or ``exclude`` in the INI file), which tests are skipped (``skips``) or
selected (``tests``), and ``[tool.bandit.<test>]`` tables (a test's own settings) - in a
file of its own (``-c``), with an empty ``--ini`` so that no ``.bandit`` is discovered.
Any other key is refused (exit 2) with the reason.

The files are enumerated by chainkit too (:func:`python_files`): symlinks are never
followed (a ``link.py`` to a file outside the root would be read), excluded files are
counted, and nothing to scan is an error, never a pass.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.scan._errors import ScanInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["BanditConfig", "Files", "load_config", "python_files", "write_config"]

MAX_CONFIG_BYTES = 4 * 1024 * 1024
_REFUSED_WHY = {
    "baseline": "bandit's own baseline would hide findings; use chainkit's --baseline",
    "ignore-nosec": "it changes how # nosec is honoured behind chainkit's back",
    "ignore_nosec": "it changes how # nosec is honoured behind chainkit's back",
    "output": "chainkit reads bandit's report itself; use -o",
    "format": "chainkit reads bandit's report itself; use --format",
    "level": "use --severity",
    "severity": "use --severity",
    "confidence": "use --confidence",
    "targets": "name the paths on the command line",
}
_TEST_ID = re.compile(r"B\d{3}")
_INCLUDE = ("*.py",)  # bandit's default: the files it picks when walking a directory


@dataclass(frozen=True)
class BanditConfig:
    """What chainkit passes to bandit, and where it came from."""

    sources: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    test_settings: tuple[tuple[str, str], ...] = ()  # (test name, JSON of its table)

    def applied(self) -> dict[str, object]:
        """The configuration applied, for every report format."""
        return {
            "files": list(self.sources),
            "exclude": list(self.exclude),
            "skips": list(self.skips),
            "tests": list(self.tests),
            "test_settings": [name for name, _ in self.test_settings],
        }

    def describe(self) -> str:
        if not self.sources:
            return "bandit defaults"
        parts = [", ".join(self.sources)]
        for label, values in (
            ("exclude", self.exclude),
            ("skips", self.skips),
            ("tests", self.tests),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        if self.test_settings:
            parts.append("settings of " + ", ".join(n for n, _ in self.test_settings))
        return "; ".join(parts)


def _refuse(source: str, key: str) -> ScanInputError:
    why = _REFUSED_WHY.get(key, "chainkit passes bandit only exclude/exclude_dirs, skips and tests")
    return ScanInputError(
        f"{source}: bandit option {key!r} is not accepted ({why})",
        remediation="remove it; see docs/scan.md for the bandit options chainkit honours",
    )


def _values(value: Any, source: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise ScanInputError(
            f"{source}: {key} must be a list of strings (or a comma-separated string)"
        )
    return tuple(v for v in items if v)


def _read_text(path: Path, what: str) -> str:
    try:
        return read_bounded(path, MAX_CONFIG_BYTES).decode("utf-8")
    except (OSError, TooLargeError, UnicodeDecodeError) as exc:
        raise ScanInputError(
            f"cannot read {what}: {exc}",
            remediation="fix the file; bandit's configuration is read from it",
        ) from exc


def _from_pyproject(root: Path) -> dict[str, Any] | None:
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(_read_text(path, "pyproject.toml"))
    except tomllib.TOMLDecodeError as exc:
        raise ScanInputError(
            f"cannot read pyproject.toml for its [tool.bandit] table: {exc}",
            remediation="fix the file; bandit's configuration is read from it",
        ) from exc
    tool = data.get("tool")
    table = tool.get("bandit") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _from_ini(root: Path) -> dict[str, str] | None:
    path = root / ".bandit"
    if not path.is_file():
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(_read_text(path, ".bandit"), source=".bandit")
    except configparser.Error as exc:
        raise ScanInputError(f"cannot parse .bandit: {exc}") from exc
    if not parser.has_section("bandit"):
        raise ScanInputError(
            ".bandit has no [bandit] section", remediation="add one, or remove the file"
        )
    return dict(parser.items("bandit"))


def load_config(root: Path) -> BanditConfig:
    """The vetted configuration from ``root``'s ``pyproject.toml`` and ``.bandit``;
    :class:`ScanInputError` (exit 2) for a key chainkit does not pass on."""
    sources: list[str] = []
    exclude: list[str] = []
    skips: list[str] = []
    tests: list[str] = []
    settings: list[tuple[str, str]] = []
    for source, table in (
        ("pyproject.toml [tool.bandit]", _from_pyproject(root)),
        (".bandit", _from_ini(root)),
    ):
        if table is None:
            continue
        sources.append(source)
        for key, value in table.items():
            if key in ("exclude", "exclude_dirs"):
                exclude += _values(value, source, key)
            elif key == "skips":
                skips += _values(value, source, key)
            elif key == "tests":
                tests += _values(value, source, key)
            elif (
                isinstance(value, dict)
                and source.startswith("pyproject")
                and key not in _REFUSED_WHY
            ):
                settings.append((key, json.dumps(value, sort_keys=True)))
            else:
                raise _refuse(source, key)
    for test in (*skips, *tests):
        if not _TEST_ID.fullmatch(test):
            raise ScanInputError(f"bandit configuration: {test!r} is not a bandit test id (BNNN)")
    return BanditConfig(
        tuple(sources),
        tuple(dict.fromkeys(exclude)),
        tuple(dict.fromkeys(skips)),
        tuple(dict.fromkeys(tests)),
        tuple(settings),
    )


def write_config(config: BanditConfig, directory: Path) -> list[str]:
    """bandit's options for ``config``: its own file (``-c``, JSON is YAML) and an empty INI
    file (``--ini``: no ``.bandit`` anywhere under the targets is discovered)."""
    doc: dict[str, Any] = {name: json.loads(table) for name, table in config.test_settings}
    if config.exclude:
        doc["exclude_dirs"] = list(config.exclude)
    if config.skips:
        doc["skips"] = list(config.skips)
    if config.tests:
        doc["tests"] = list(config.tests)
    conf, ini = directory / "bandit-config.yaml", directory / "bandit.ini"
    conf.write_text(json.dumps(doc), encoding="utf-8")
    ini.write_text("[bandit]\n", encoding="utf-8")
    return ["-c", str(conf), "--ini", str(ini)]


@dataclass(frozen=True)
class Files:
    """The files bandit is given, and what was left out."""

    scanned: tuple[str, ...]
    excluded: int  # files, and directories whose every file is excluded
    symlinks: tuple[str, ...]


def _excluded(path: str, patterns: Iterable[str]) -> bool:
    """bandit's own test: a glob match or a substring of the path."""
    return any(fnmatch.fnmatch(path, p) or p in path for p in patterns)


def python_files(targets: Iterable[str], *, root: Path, exclude: tuple[str, ...]) -> Files:
    """The files to scan under ``targets`` (relative to ``root``, named as bandit names
    them): ``*.py`` in directories, and files named explicitly; never through a symlink
    (a symlinked file or directory is listed in ``symlinks`` instead)."""
    scanned: list[str] = []
    symlinks: list[str] = []
    excluded = 0

    def consider(name: str) -> None:
        nonlocal excluded
        if _excluded(name, exclude):
            excluded += 1
        else:
            scanned.append(name)

    for target in targets:
        full = root / target
        if full.is_symlink():
            symlinks.append(target)
        elif full.is_dir():
            for dirpath, dirnames, filenames in os.walk(full):
                inner = os.path.relpath(dirpath, full)
                rel = (
                    target if inner == "." else f"{target}/{inner}"
                )  # as bandit's os.walk names them
                for d in list(dirnames):
                    if any(p in f"{rel}/{d}" for p in exclude):
                        excluded += 1  # every file under it would be (bandit: a substring)
                        dirnames.remove(d)
                    elif (Path(dirpath) / d).is_symlink():
                        symlinks.append(f"{rel}/{d}")
                        dirnames.remove(d)
                for f in sorted(filenames):
                    name = f"{rel}/{f}"
                    if (Path(dirpath) / f).is_symlink():
                        if any(fnmatch.fnmatch(f, g) for g in _INCLUDE):
                            symlinks.append(name)
                    elif any(fnmatch.fnmatch(f, g) for g in _INCLUDE):
                        consider(name)
        elif full.is_file():
            consider(target)
    return Files(tuple(sorted(scanned)), excluded, tuple(sorted(symlinks)))
