"""Output formats for an :class:`~chainkit.audit._model.AuditReport`; each is ``render(report)``."""

from __future__ import annotations

from collections.abc import Callable

from chainkit.audit._model import AuditReport

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "sarif", "markdown", "cyclonedx")


def render(report: AuditReport, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`)."""
    renderer: Callable[[AuditReport], str]
    if fmt == "table":
        from chainkit.audit._formats.table import render as renderer
    elif fmt == "json":
        from chainkit.audit._formats.json_report import render as renderer
    elif fmt == "sarif":
        from chainkit.audit._formats.sarif import render as renderer
    elif fmt == "markdown":
        from chainkit.audit._formats.markdown import render as renderer
    elif fmt == "cyclonedx":
        from chainkit.audit._formats.cyclonedx import render as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return renderer(report)
