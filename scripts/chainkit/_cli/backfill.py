"""``chainkit backfill``: sign historical releases (plan, then apply)."""

from __future__ import annotations

import contextlib
import logging
import shlex
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from chainkit._cli import github_client
from chainkit._cli._options import (
    bundle_release_option,
    env_option,
    identity_token_option,
    json_option,
    repo_option,
    state_dir_option,
    trust_config_option,
    write_budget_option,
    write_interval_option,
)
from chainkit._internal.ghenv import GitHubContext, parse_repository
from chainkit._internal.output import (
    actions_annotation,
    append_step_summary,
    emit_json,
    emit_text,
    group,
    is_tty,
    print_table,
    printable,
    set_interrupt_hint,
)
from chainkit.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from chainkit.github import WriteBudget

__all__ = ["backfill"]

_log = logging.getLogger("chainkit.backfill")


@click.group()
def backfill() -> None:
    """Backfill Sigstore bundles onto historical GitHub releases: plan, then apply.

    `plan` is read-only (a read token, or none for public repositories) and writes
    a digest-sealed plan; `apply` executes exactly that plan after approval.
    """


@backfill.command()
@repo_option()
@click.option(
    "--tags", "tags", multiple=True, metavar="GLOB", help="Only tags matching (repeatable)."
)
@click.option("--exclude-tags", multiple=True, metavar="GLOB", help="Skip tags matching.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only releases published on or after this date.",
)
@click.option(
    "--last",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only the N newest releases that have assets (Scorecard looks at 5).",
)
@click.option("--include-prereleases", is_flag=True)
@click.option("--include-drafts", is_flag=True, help="Needs a token with push access.")
@click.option("--assets", "assets", multiple=True, metavar="GLOB", help="Only assets matching.")
@click.option(
    "--exclude-assets",
    multiple=True,
    metavar="GLOB",
    help="Skip assets matching (neither signed nor read as evidence).",
)
@click.option(
    "--allow-unverified",
    is_flag=True,
    help="Sign assets without independent evidence (the attestation says so).",
)
@click.option(
    "--verify-existing",
    is_flag=True,
    help="Download and verify existing bundles; plan `replace` for invalid ones.",
)
@bundle_release_option("Release (created if missing) that takes bundles of immutable releases.")
@click.option(
    "--home",
    type=click.Choice(["release-assets", "attestations", "both"]),
    default="release-assets",
    show_default=True,
    help="Where apply publishes: <asset>.sigstore.json bundles on the release, one "
    "attestation per release with GitHub's artifact attestations API (immutable releases "
    "too), or both.",
)
@click.option(
    "--pypi-project", metavar="NAME", help="Use PyPI's sha256 of this project as evidence."
)
@env_option(
    "--pypi-index-url",
    metavar="URL",
    envvar="CHAINKIT_PYPI_INDEX_URL",
    help="Simple index (default https://pypi.org/simple/).",
)
@trust_config_option("Sigstore ClientTrustConfig for --verify-existing (default: production).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the plan here (default: plan.json).",
    default="plan.json",
    show_default=True,
)
@click.option(
    "--fail-on-blocked/--no-fail-on-blocked",
    default=True,
    show_default=True,
    help="Exit 1 when evidence disagrees for some asset (possible tampering).",
)
@write_interval_option()
@write_budget_option()
@json_option("Print {plan_file, plan_digest, summary, estimate} as JSON.")
def plan(
    repo: str | None,
    tags: tuple[str, ...],
    exclude_tags: tuple[str, ...],
    since: datetime | None,
    last: int | None,
    include_prereleases: bool,
    include_drafts: bool,
    assets: tuple[str, ...],
    exclude_assets: tuple[str, ...],
    allow_unverified: bool,
    verify_existing: bool,
    bundle_release: str | None,
    home: Literal["release-assets", "attestations", "both"],
    pypi_project: str | None,
    pypi_index_url: str | None,
    trust_config: Path | None,
    output: Path,
    fail_on_blocked: bool,
    write_interval: float | None,
    write_budget: str | None,
    as_json: bool,
) -> ExitCode:
    """Make a read-only plan: what would be signed, with the evidence for each asset.

    No uploads, edits, signatures or identity tokens; only small checksum files are
    downloaded. The plan's digest is what the approver approves.
    """
    from chainkit.backfill import (
        Filters,
        PlanRequest,
        estimate,
        plan_backfill,
        pypi_fetcher,
        render_plan_markdown,
        render_plan_table,
        write_plan,
    )

    repository = _require_repo(repo)
    budget = _write_budget(write_budget)
    set_interrupt_hint(f"no plan was written to {output}; run the same plan command again")
    context = GitHubContext.from_env()
    client = github_client(context)
    request = PlanRequest(
        repository=repository,
        api_url=context.api_url,
        filters=Filters(
            tags=tags,
            exclude_tags=exclude_tags,
            since=since.date() if since else None,
            last=last,
            include_prereleases=include_prereleases,
            include_drafts=include_drafts,
            assets=assets,
            exclude_assets=exclude_assets,
        ),
        allow_unverified=allow_unverified,
        verify_existing=verify_existing,
        bundle_release=bundle_release,
        pypi_project=pypi_project,
        pypi_index_url=pypi_index_url,
        home=home,
    )
    existing_verifier = None
    if verify_existing:
        from chainkit.signing import BundleVerifier, load_trust_config
        from chainkit.verify import ExistingBundleCheck

        existing_verifier = ExistingBundleCheck(
            client=client,
            verifier=BundleVerifier.from_trust_config(load_trust_config(trust_config)),
        )
    with group(f"Planning the backfill of {repository}", enabled=context.in_actions):
        the_plan = plan_backfill(
            request,
            client=client,
            pypi=pypi_fetcher(),
            verify_existing=existing_verifier,
        )
    write_plan(output, the_plan)
    set_interrupt_hint(f"the plan was written to {output}")
    summary = the_plan.summary
    _warn_if_nothing_matched(
        summary.releases + summary.releases_without_assets,
        summary.assets,
        filters={
            "--tags": tags,
            "--exclude-tags": exclude_tags,
            "--since": (since.date().isoformat(),) if since else (),
            "--last": (str(last),) if last else (),
            "--include-prereleases": ("",) if include_prereleases else (),
            "--include-drafts": ("",) if include_drafts else (),
            "--assets": assets,
            "--exclude-assets": exclude_assets,
        },
        in_actions=context.in_actions,
    )
    blocked = summary.statuses.get("blocked", 0)
    if write_interval is None:  # apply's default: the estimate is apply's schedule
        from chainkit.github import default_write_interval

        write_interval = default_write_interval(context.api_url)
    needs = estimate(the_plan, budget, interval=write_interval)
    if as_json:
        emit_json(
            {
                "plan_file": str(output),
                "plan_digest": the_plan.plan_digest,
                "repository": repository,
                "home": home,
                "summary": summary.to_json(),
                "estimate": needs.to_json(),
            }
        )
    else:
        print_table(render_plan_table(the_plan))
        emit_text(
            f"plan written to {output}\nplan_digest: {the_plan.plan_digest}\nestimate: {needs}"
        )
    append_step_summary(
        render_plan_markdown(the_plan) + f"\n**Estimate**: {printable(str(needs))}.\n",
        path=context.step_summary,
    )
    stuck = sum(
        1
        for r in the_plan.releases
        for a in r.assets
        if r.immutable and a.status == "immutable" and a.action == "skip"
    )
    if stuck:
        message = (
            f"{stuck} asset(s) of immutable releases cannot take bundles and will not be "
            "signed: plan again with --home attestations (GitHub's attestations API) or "
            "--bundle-release TAG"
        )
        _log.warning(message)
        if context.in_actions:
            actions_annotation("warning", message, title="chainkit backfill plan")
    if blocked:
        message = (
            f"{blocked} asset(s) blocked: their evidence disagrees (possible tampering); "
            "they will not be signed"
        )
        _log.warning(message)
        if context.in_actions:
            actions_annotation("warning", message, title="chainkit backfill plan")
        if fail_on_blocked:
            return ExitCode.FINDINGS
    return ExitCode.OK


def _warn_if_nothing_matched(
    releases: int, assets: int, *, filters: dict[str, tuple[str, ...]], in_actions: bool
) -> None:
    """An empty plan is not a success: say so, naming the filters (a typo in --tags)."""
    if releases and assets:
        return
    given = " ".join(
        f"{name} {value}".rstrip() for name, values in filters.items() for value in values
    )
    which = "release" if not releases else "asset"
    message = f"no {which} matched the filters ({given or 'none given'})"
    if releases:
        message += f" in {releases} release(s)"
    message += "; the plan is empty: check the filters"
    _log.warning(message)
    if in_actions:
        actions_annotation("warning", message, title="chainkit backfill plan")


def _require_repo(repo: str | None) -> str:
    if not repo:
        raise UsageError(
            "no repository given",
            remediation="pass --repo OWNER/NAME (or set GITHUB_REPOSITORY)",
        )
    parse_repository(repo)
    return repo


@backfill.command()
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The plan file made by `chainkit backfill plan`.",
)
@env_option(
    "--expect-digest",
    metavar="HEX",
    envvar="CHAINKIT_EXPECT_DIGEST",
    help="The plan_digest the approver saw (required in GitHub Actions).",
)
@repo_option("Repository (default: the plan's).")
@trust_config_option()
@identity_token_option()
@state_dir_option()
@write_interval_option()
@write_budget_option()
@env_option(
    "--max-writes",
    type=click.IntRange(min=1),
    metavar="N",
    envvar="CHAINKIT_MAX_WRITES",
    help="Stop cleanly before a release that could take the run past N writes.",
)
@env_option(
    "--deadline",
    metavar="WHEN",
    envvar="CHAINKIT_DEADLINE",
    help="Stop cleanly before a release that could not be written by then: a duration "
    "from now (5h30m) or an ISO 8601 time with a zone.",
)
@env_option(
    "--prefetch/--no-prefetch",
    default=True,
    envvar="CHAINKIT_PREFETCH",
    help="Download the next asset of a release while a write waits (the default); "
    "--no-prefetch (or CHAINKIT_PREFETCH=0) does one step after another, for debugging.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (outside Actions).")
@click.option(
    "--allow-unprotected",
    is_flag=True,
    help="In Actions, apply even without an environment with required reviewers.",
)
@json_option()
def apply(
    plan_path: Path,
    expect_digest: str | None,
    repo: str | None,
    trust_config: Path | None,
    identity_token: str | None,
    state_dir: Path,
    write_interval: float | None,
    write_budget: str | None,
    max_writes: int | None,
    deadline: str | None,
    prefetch: bool,
    yes: bool,
    allow_unprotected: bool,
    as_json: bool,
) -> ExitCode:
    """Execute exactly an approved plan: sign, verify, publish (bundles on releases and/or
    attestations in GitHub's attestations API: the plan's home), edit notes.

    Resumable: re-running the same plan after an interruption finishes the work
    without signing twice or uploading twice; a finished plan makes no writes.
    """
    from chainkit.backfill import ApplyRequest, RunLimits, load_plan, parse_deadline, run_apply
    from chainkit.github import default_write_interval
    from chainkit.signing import ambient_github_token, load_trust_config, static_token

    budget = _write_budget(write_budget)
    limits = RunLimits(
        max_writes=max_writes,
        deadline=parse_deadline(deadline) if deadline is not None else None,
    )
    context = GitHubContext.from_env()
    the_plan = load_plan(plan_path)
    set_interrupt_hint(
        "re-run the same apply: it resumes where it stopped: chainkit backfill apply "
        f"--plan {shlex.quote(str(plan_path))} --expect-digest {the_plan.plan_digest} "
        f"--state-dir {shlex.quote(str(state_dir))}"
    )
    if write_interval is None:
        write_interval = default_write_interval(context.api_url)
    if write_interval > 0:  # no silent waits: say once why writes take their time
        _log.info(
            "writes to GitHub are spaced %g s apart (GitHub's guidance; --write-interval)",
            write_interval,
        )
    _log.info("writes are paced to GitHub's write budget: %s (--write-budget)", budget)
    client = github_client(
        context,
        write_interval=write_interval,
        write_budget=budget,
        rerun="re-run the same apply: it resumes where it stopped",
    )
    request = ApplyRequest(
        plan=the_plan,
        state_dir=state_dir,
        api_url=context.api_url,
        repository=repo,
        expect_digest=expect_digest,
        in_actions=context.in_actions,
        yes=yes,
        allow_unprotected=allow_unprotected,
        interactive=sys.stdin.isatty(),
        limits=limits,
        prefetch=prefetch,
    )
    provider = static_token(identity_token) if identity_token else ambient_github_token()

    @contextlib.contextmanager
    def executing() -> Iterator[Callable[[Any], None] | None]:
        with (
            group(f"Applying plan {the_plan.plan_digest[:16]}", enabled=context.in_actions),
            _progress(sum(len(r.to_sign) for r in the_plan.releases)) as listener,
        ):
            yield listener

    result = run_apply(
        request,
        client=client,
        trust_config=load_trust_config(trust_config),
        token_provider=provider,
        confirm=lambda: _confirm(the_plan),
        progress=executing,
    )
    report, approval = result.report, result.approval
    if as_json:
        data = report.to_json()
        data["approval"] = approval
        emit_json(data)
    else:
        counts = report.counts()
        emit_text(
            f"{'done' if report.ok else 'done with problems'}: {counts['signed']} signed, "
            f"{counts['done']} already done, {counts['skipped']} skipped, "
            f"{counts['blocked']} blocked, {counts['drift']} drifted, "
            f"{counts['conflict']} conflicts, {counts['failed']} failed; "
            f"{report.certificates} certificate(s); {report.writes} write(s)"
        )
        if report.stopped is not None:
            emit_text(report.remaining_text())
    append_step_summary(report.to_markdown(), path=context.step_summary)
    return ExitCode.OK if report.ok else ExitCode.FINDINGS


def _write_budget(text: str | None) -> WriteBudget:
    """``--write-budget`` parsed (exit 2 when it does not parse); github.com's by default."""
    from chainkit.github import GITHUB_WRITE_BUDGET, WriteBudget

    return GITHUB_WRITE_BUDGET if text is None else WriteBudget.parse(text)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[Any], None] | None]:
    """A rich progress bar over the assets to sign, on a terminal only (stderr)."""
    if not is_tty() or total == 0:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from chainkit._internal.output import stderr_console

    with Progress(
        TextColumn("[bold]signing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)

        def advance(outcome: Any) -> None:
            if outcome.kind == "asset":
                what = printable(f"{outcome.release} {outcome.item}")
                bar.update(task, advance=1, description=what)

        yield advance


def _confirm(the_plan: Any) -> bool:
    from chainkit.backfill import render_plan_table

    if is_tty():
        print_table(render_plan_table(the_plan), stream=sys.stderr)
    click.echo(f"plan_digest: {the_plan.plan_digest}", err=True)
    return click.confirm("Sign and publish exactly this plan?", default=False, err=True)
