"""Plan rendering: Markdown for ``$GITHUB_STEP_SUMMARY``, a rich table for terminals."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from chainkit.backfill._plan import Plan

__all__ = ["render_markdown", "render_table"]

_STYLE = {
    "sign": "green",
    "replace": "yellow",
    "already-signed": "dim",
    "unverified": "yellow",
    "blocked": "bold red",
    "immutable": "magenta",
}
_MAX_ROWS = 1000


def _md(text: str) -> str:
    """Escape a value for a Markdown table cell."""
    text = "".join("\ufffd" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def _short(sha256: str | None) -> str:
    return sha256[:12] if sha256 else "-"


def render_markdown(plan: Plan, *, max_rows: int = _MAX_ROWS) -> str:
    """The plan as Markdown: header, counts, then one row per asset (at most ``max_rows``)."""
    s = plan.summary
    lines = [
        f"## chainkit backfill plan for {_md(plan.repository)}",
        "",
        f"- plan digest: `{plan.plan_digest}`",
        f"- made {plan.created_at.strftime('%Y-%m-%d %H:%M:%SZ')} by chainkit "
        f"{_md(plan.chainkit_version)} against {_md(plan.api_url)}",
        f"- {s.releases} release(s), {s.assets} asset(s); "
        + ", ".join(f"{k}: {v}" for k, v in s.actions.items())
        + " (actions)",
        "- statuses: " + ", ".join(f"{k}: {v}" for k, v in s.statuses.items()),
    ]
    if plan.bundle_release is not None:
        b = plan.bundle_release
        lines.append(
            f"- bundles of immutable releases go to release `{_md(b.tag)}`"
            + (" (created by apply)" if b.create else "")
        )
    if s.statuses.get("blocked"):
        lines.append(
            f"- **{s.statuses['blocked']} asset(s) blocked: their evidence disagrees; "
            "they are never signed**"
        )
    lines += [
        "",
        "| release | asset | status | action | expected sha256 | evidence | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = 0
    total = s.assets
    for release in plan.releases:
        for asset in release.assets:
            if rows >= max_rows:
                break
            evidence = ", ".join(sorted({e.source for e in asset.evidence})) or "none"
            lines.append(
                f"| {_md(release.tag)} | {_md(asset.name)} | {asset.status} | {asset.action} | "
                f"{_short(asset.expected_sha256)} | {evidence} | {_md(asset.reason)} |"
            )
            rows += 1
    if rows < total:
        lines.append("")
        lines.append(f"... {total - rows} more asset(s): see the plan file.")
    return "\n".join(lines) + "\n"


def render_table(plan: Plan, *, max_rows: int = _MAX_ROWS) -> Table:
    """A rich table of the plan (print it with a ``rich.console.Console``)."""
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
