"""Who approved this apply?

- In GitHub Actions the job must run in a deployment **environment** whose
  protection rules include required reviewers, so that a person approved the run
  (and, with ``--expect-digest``, the exact plan). The environment's name comes from
  the ``environment`` claim of the job's OIDC token - the value GitHub vouches for -
  and its protection rules are read through the API.
- Outside Actions the plan summary is shown and a person confirms, unless ``--yes``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chainkit.backfill._errors import BackfillUsageError
from chainkit.github import GitHubClient, NotFoundError

__all__ = ["require_approval"]

_log = logging.getLogger("chainkit.backfill")

_REMEDIATION = (
    "run the apply job in an environment with required reviewers, e.g. "
    "`environment: sigstore-backfill` on the job, and add reviewers under Settings > "
    "Environments; or pass --allow-unprotected to accept an unreviewed apply"
)


def require_approval(
    *,
    in_actions: bool,
    client: GitHubClient,
    token_claims: Mapping[str, Any],
    workflow_repository: str,
    yes: bool,
    allow_unprotected: bool,
    interactive: bool,
    confirm: Callable[[], bool],
) -> str:
    """Return how the apply was approved, or raise :class:`BackfillUsageError`."""
    if in_actions:
        environment = token_claims.get("environment")
        if not environment:
            if allow_unprotected:
                _log.warning("the job runs in no environment: nobody approved this apply")
                return "unprotected (no environment, --allow-unprotected)"
            raise BackfillUsageError(
                "refusing to apply: this job runs in no GitHub environment",
                remediation=_REMEDIATION,
            )
        repository = str(token_claims.get("repository") or workflow_repository)
        if repository.lower() != workflow_repository.lower():
            raise BackfillUsageError(
                f"refusing to apply: the identity token is for {repository}, the plan for "
                f"{workflow_repository}",
                remediation="run the apply job in the repository whose releases it signs",
            )
        try:
            env = client.get_environment(repository, str(environment))
        except NotFoundError:
            env = None
        if env is None or not env.protected:
            if allow_unprotected:
                _log.warning("environment %r requires no reviewers", environment)
                return f"environment {environment!r} (unprotected, --allow-unprotected)"
            raise BackfillUsageError(
                f"refusing to apply: environment {environment!r} of {repository} requires no "
                "reviewers",
                remediation=_REMEDIATION,
            )
        who = ", ".join(env.required_reviewers)
        if env.prevent_self_review is False:
            _log.warning(
                "environment %r lets whoever started this run approve it (prevent_self_review "
                "is off): enable 'Prevent self-review' under Settings > Environments",
                environment,
            )
        if env.can_admins_bypass is True:
            _log.warning(
                "environment %r lets administrators bypass its reviewers: untick 'Allow "
                "administrators to bypass configured protection rules'",
                environment,
            )
        return f"environment {env.name!r} with required reviewers ({who})"
    if yes:
        return "--yes"
    if not interactive:
        raise BackfillUsageError(
            "refusing to apply without confirmation: stdin is not a terminal",
            remediation="review the plan, then pass --yes (and --expect-digest)",
        )
    if not confirm():
        raise BackfillUsageError("apply cancelled", remediation="nothing was written")
    return "confirmed at the terminal"
