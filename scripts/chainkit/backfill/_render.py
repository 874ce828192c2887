"""Plan rendering: Markdown for ``$GITHUB_STEP_SUMMARY``, a table for logs and terminals.

Every value from GitHub (tags, asset names, reasons quoting them) goes through
:func:`chainkit._internal.markdown.escape` in Markdown, and through
:class:`chainkit._internal.output.Table` (control characters made visible; rich on a
terminal, plain unwrapped lines in a log) everywhere else.
"""

from __future__ import annotations

from itertools import islice

from chainkit._internal.markdown import escape, table
from chainkit._internal.output import Cell, Styled, Table
from chainkit.backfill._plan import Plan, Summary

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
_HOME_TEXT = {
    "release-assets": "bundles and the backfill attestation are uploaded to each release",
    "attestations": "one attestation per release (per 1024 assets) is created with GitHub's "
    "artifact attestations API; nothing is uploaded to the release",
    "both": "bundles on each release, and an attestation with GitHub's attestations API",
}


def _short(sha256: str | None) -> str:
    return sha256[:12] if sha256 else "-"


def _counts(plan: Plan) -> Summary:
    """The counts recomputed from the releases, never the plan's stored ``summary`` (which
    a crafted plan could state differently, hiding rows past the row limit)."""
    return Summary.of(plan.releases, releases_without_assets=plan.summary.releases_without_assets)


def render_plan_markdown(plan: Plan, *, max_rows: int = _MAX_ROWS) -> str:
    """The plan as Markdown: header, counts, then one row per asset (at most ``max_rows``)."""
    s = _counts(plan)
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
    lines.append(f"- home: `{plan.options.home}` ({_HOME_TEXT[plan.options.home]})")
    if plan.bundle_release is not None:
        b = plan.bundle_release
        lines.append(
            f"- bundles of immutable releases go to release `{escape(b.tag)}`"
            + (f" (release id {b.id})" if b.id is not None else "")
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
    """The plan as a :class:`~chainkit._internal.output.Table` (print it with
    :func:`~chainkit._internal.output.print_table`; a rich console prints it too)."""
    s = _counts(plan)
    rows: list[tuple[Cell, ...]] = []
    for release in plan.releases:
        for asset in release.assets:
            if len(rows) >= max_rows:
                break
            evidence = ", ".join(sorted({e.source for e in asset.evidence})) or "none"
            rows.append(
                (
                    release.tag,
                    asset.name,
                    Styled(asset.status, _STYLE.get(asset.status, "")),
                    asset.action,
                    _short(asset.expected_sha256),
                    evidence,
                    asset.reason,
                )
            )
    if len(rows) < s.assets:
        rows.append((f"... {s.assets - len(rows)} more", *("" for _ in range(6))))
    return Table.of(
        f"backfill plan for {plan.repository}",
        ("release", "asset", "status", "action", "sha256", "evidence", "reason"),
        rows,
        caption=(
            f"digest {plan.plan_digest} | home {plan.options.home} | "
            f"{s.releases} releases, {s.assets} assets | "
            + ", ".join(f"{k} {v}" for k, v in s.actions.items())
        ),
    )
