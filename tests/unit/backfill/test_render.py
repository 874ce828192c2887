from __future__ import annotations

import io

from rich.console import Console

from chainkit.backfill import render_plan_markdown, render_plan_table
from unit.backfill._factories import asset, release, sample_plan


def test_markdown_summary() -> None:
    plan = sample_plan()
    md = render_plan_markdown(plan)
    assert md.startswith("## chainkit backfill plan for acme/widgets\n")
    assert f"`{plan.plan_digest}`" in md
    assert "| v1.0 | widgets-1.0.zip | blocked | skip |" in md
    assert "1 asset(s) blocked" in md
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + plan.summary.assets  # header, rule, one row per asset


def test_markdown_escapes_table_breakers() -> None:
    from unit.backfill.test_planner import plan_of

    plan = plan_of([release("v|1", (asset("a|b`c`.tar.gz"),))])
    md = render_plan_markdown(plan)
    assert "| v\\|1 | a\\|b\\`c\\`.tar.gz |" in md


def test_markdown_row_limit_points_to_the_plan() -> None:
    md = render_plan_markdown(sample_plan(), max_rows=2)
    assert "more asset(s): see the plan file" in md


def test_rich_table_renders_every_asset() -> None:
    plan = sample_plan()
    out = io.StringIO()
    Console(file=out, width=250, color_system=None).print(render_plan_table(plan))
    text = out.getvalue()
    for a in (a for r in plan.releases for a in r.assets):
        assert a.name in text
    assert plan.plan_digest in text


def test_markdown_counts_come_from_the_releases_not_the_stored_summary() -> None:
    import dataclasses

    from chainkit.backfill._plan import BundleRelease, Summary

    plan = sample_plan()
    lying = Summary(0, 0, {"sign": 0}, {"sign": 0}, 0)
    home = BundleRelease(tag="sigstore-bundles", id=42, upload_url=None, create=False)
    md = render_plan_markdown(
        dataclasses.replace(plan, summary=lying, bundle_release=home), max_rows=1
    )
    assert f"{plan.summary.assets} asset(s)" in md
    assert f"{plan.summary.assets - 1} more asset(s)" in md
    assert "`sigstore-bundles` (release id 42)" in md
