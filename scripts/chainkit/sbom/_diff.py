"""``sbom diff``: what changed between two SBOMs of a project.

Components are matched by their purl's name (whatever its type and qualifiers), else by
name; a change of source (the purl's type or its ``repository_url``/``vcs_url``/
``download_url``: PyPI to a git fork) is reported as ``source``.
A name present with one version on each side is upgraded or downgraded (PEP 440 order;
PEP 440-equal versions such as ``1.0`` and ``1.0.0`` are no change; when either version is
not PEP 440 the change is ``changed``, neither up nor down); names with several versions on a
side are compared as sets (added/removed versions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chainkit.sbom._read import Sbom, SbomComponent

__all__ = ["Change", "SbomDiff", "diff_sboms", "render_diff", "source_of"]


@dataclass(frozen=True)
class Change:
    name: str
    old: str | None
    new: str | None
    kind: str  # added | removed | upgraded | downgraded | changed | source | license


@dataclass(frozen=True)
class SbomDiff:
    changes: tuple[Change, ...]
    vulnerabilities_introduced: tuple[str, ...]
    vulnerabilities_fixed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.changes or self.vulnerabilities_introduced or self.vulnerabilities_fixed)


_SOURCE_QUALIFIERS = ("repository_url", "vcs_url", "download_url")


def _parsed(component: SbomComponent) -> Any | None:
    from packageurl import PackageURL

    if not component.purl:
        return None
    try:
        return PackageURL.from_string(component.purl)
    except ValueError:
        return None


def _key(component: SbomComponent) -> str:
    """The package's name (namespace/name of its purl, whatever its type and qualifiers), so
    a package that moves from PyPI to a fork is one package whose source changed."""
    purl = _parsed(component)
    if purl is not None:
        return f"{purl.namespace or ''}/{purl.name}".lower()
    if component.purl:
        return component.purl.split("@", 1)[0].split("?", 1)[0].lower()
    return component.name.lower()


def source_of(component: SbomComponent) -> str:
    """Where the purl says the package comes from: its type, and the qualifiers that name a
    source (``pypi``, ``pypi?vcs_url=git+https://…@commit``, ``generic``)."""
    purl = _parsed(component)
    if purl is None:
        return "(no purl)" if not component.purl else "(invalid purl)"
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    named = "&".join(f"{k}={qualifiers[k]}" for k in _SOURCE_QUALIFIERS if k in qualifiers)
    return f"{purl.type}?{named}" if named else str(purl.type)


def _version_change(old: str, new: str) -> str | None:
    """``upgraded``/``downgraded`` in PEP 440 order, ``None`` when PEP 440-equal (``1.0`` and
    ``1.0.0``), ``changed`` when either side is not a PEP 440 version (no order claimed)."""
    from packaging.version import InvalidVersion, Version

    try:
        before, after = Version(old), Version(new)
    except InvalidVersion:
        return "changed"
    if before == after:
        return None
    return "upgraded" if after > before else "downgraded"


def diff_sboms(old: Sbom, new: Sbom) -> SbomDiff:
    def index(sbom: Sbom) -> dict[str, dict[tuple[str, str], SbomComponent]]:
        found: dict[str, dict[tuple[str, str], SbomComponent]] = {}
        for c in sbom.components:  # the first copy of a repeated component, as merge keeps
            found.setdefault(_key(c), {}).setdefault((c.version or "", source_of(c)), c)
        return found

    def shown(entry: tuple[str, str]) -> str | None:
        version, source = entry
        if source == "pypi":
            return version or None
        return f"{version or '-'} ({source})"

    before, after = index(old), index(new)
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key, {}), after.get(key, {})
        any_c = next(iter((now or was).values()))
        name = any_c.name
        if was and now and len(was) == 1 and len(now) == 1:
            ((v_old, _), c_old), ((v_new, _), c_new) = (
                next(iter(was.items())),
                next(iter(now.items())),
            )
            if source_of(c_old) != source_of(c_new):
                changes.append(Change(name, source_of(c_old), source_of(c_new), "source"))
            if v_old != v_new:
                kind = _version_change(v_old, v_new)
                if kind is not None:
                    changes.append(Change(name, v_old or None, v_new or None, kind))
            if sorted(c_old.licenses) != sorted(c_new.licenses):
                changes.append(
                    Change(
                        name, " AND ".join(c_old.licenses), " AND ".join(c_new.licenses), "license"
                    )
                )
            continue
        for entry in sorted(set(was) - set(now)):
            changes.append(Change(name, shown(entry), None, "removed"))
        for entry in sorted(set(now) - set(was)):
            changes.append(Change(name, None, shown(entry), "added"))
    old_v = {v for v, _ in old.vulnerabilities}
    new_v = {v for v, _ in new.vulnerabilities}
    return SbomDiff(tuple(changes), tuple(sorted(new_v - old_v)), tuple(sorted(old_v - new_v)))


def render_diff(diff: SbomDiff, fmt: str) -> str:
    """``table`` (plain lines), ``json`` or ``markdown``."""
    if fmt == "json":
        data = {
            "changes": [
                {"name": c.name, "kind": c.kind, "old": c.old, "new": c.new} for c in diff.changes
            ],
            "vulnerabilities": {
                "introduced": list(diff.vulnerabilities_introduced),
                "fixed": list(diff.vulnerabilities_fixed),
            },
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    rows = [(c.kind, c.name, c.old or "-", c.new or "-") for c in diff.changes]
    rows += [("vulnerability introduced", v, "-", "-") for v in diff.vulnerabilities_introduced]
    rows += [("vulnerability fixed", v, "-", "-") for v in diff.vulnerabilities_fixed]
    if fmt == "markdown":
        from chainkit._internal.markdown import table

        if not rows:
            return "## SBOM diff\n\nNo changes.\n"
        return "## SBOM diff\n\n" + table(("change", "component", "old", "new"), rows) + "\n"
    from chainkit._internal.output import printable

    if not rows:
        return "no changes\n"
    widths = [max(len(printable(r[i])) for r in rows) for i in range(4)]
    return "".join(
        "  ".join(printable(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )
