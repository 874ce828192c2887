"""Plan rendering: Markdown for ``$GITHUB_STEP_SUMMARY``, a rich table for terminals.

Every value from GitHub (tags, asset names, reasons quoting them) goes through
:func:`chainkit._internal.markdown.escape`; rich is imported only to build a table.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from chainkit._internal.markdown import escape, table
from chainkit.backfill._plan import Plan

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["render_plan_markdown", "render_plan_table"]

_STYLE = {
    "sign": "green",
    "replace": "yellow",
    "already-signed": "dim",
    "unverified": "yellow",
    "blocked": "bold red",
    "immutable": "magenta",
}
_MAX_ROWS = 1000


def _short(sha256: str | None) -> str:
    return sha256[:12] if sha256 else "-"


def render_plan_markdown(plan: Plan, *, max_rows: int = _MAX_ROWS) -> str:
    """The plan as Markdown: header, counts, then one row per asset (at most ``max_rows``)."""
    s = plan.summary
    lines = [
        f"## chainkit backfill plan for {escape(plan.repository)}",
        "",
        f"- plan digest: `{plan.plan_digest}`",
        f"- made {plan.created_at.strftime('%Y-%m-%d %H:%M:%SZ')} by chainkit "
        f"{escape(plan.chainkit_version)} against {escape(plan.api_url)}",
        f"- {s.releases} release(s), {s.assets} asset(s); "
        + ", ".join(f"{k}: {v}" for k, v in s.actions.items())
        + " (actions)",
        "- statuses: " + ", ".join(f"{k}: {v}" for k, v in s.statuses.items()),
    ]
    if plan.bundle_release is not None:
        b = plan.bundle_release
        lines.append(
            f"- bundles of immutable releases go to release `{escape(b.tag)}`"
            + (" (created by apply)" if b.create else "")
        )
    if s.statuses.get("blocked"):
        lines.append(
            f"- **{s.statuses['blocked']} asset(s) blocked: their evidence disagrees; "
            "they are never signed**"
        )
    all_rows = (
        (
            release.tag,
            asset.name,
            asset.status,
            asset.action,
            _short(asset.expected_sha256),
            ", ".join(sorted({e.source for e in asset.evidence})) or "none",
            asset.reason,
        )
        for release in plan.releases
        for asset in release.assets
    )
    rows = list(islice(all_rows, max_rows))
    headers = ("release", "asset", "status", "action", "expected sha256", "evidence", "reason")
    lines += ["", table(headers, rows)]
    if len(rows) < s.assets:
        lines.append("")
        lines.append(f"... {s.assets - len(rows)} more asset(s): see the plan file.")
    return "\n".join(lines) + "\n"


def render_plan_table(plan: Plan, *, max_rows: int = _MAX_ROWS) -> Table:
    """A rich table of the plan (print it with a ``rich.console.Console``)."""
    from rich.table import Table
    from rich.text import Text

    s = plan.summary
    table = Table(
        title=f"backfill plan for {plan.repository}",
        caption=(
            f"digest {plan.plan_digest} | {s.releases} releases, {s.assets} assets | "
            + ", ".join(f"{k} {v}" for k, v in s.actions.items())
        ),
        show_lines=False,
    )
    for column in ("release", "asset", "status", "action", "sha256", "evidence", "reason"):
        table.add_column(column, overflow="fold")
    rows = 0
    for release in plan.releases:
        for asset in release.assets:
            if rows >= max_rows:
                break
            evidence = ", ".join(sorted({e.source for e in asset.evidence})) or "none"
            table.add_row(
                Text(release.tag),
                Text(asset.name),
                Text(asset.status, style=_STYLE.get(asset.status, "")),
                Text(asset.action),
                Text(_short(asset.expected_sha256)),
                Text(evidence),
                Text(asset.reason),
            )
            rows += 1
    if rows < s.assets:
        table.add_row(Text(f"... {s.assets - rows} more"), *(Text("") for _ in range(6)))
    return table
