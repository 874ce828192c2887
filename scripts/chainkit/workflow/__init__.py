"""The local runner for GitHub Actions workflows and composite actions ("Local = CI").

``run_workflow(path, *, inputs, jobs, workspace, artifacts_dir, environ, oidc)`` parses the
file with GitHub's own parser (``@actions/workflow-parser``, through a Node.js bridge in
``js/``), evaluates every ``${{ }}`` with GitHub's own expression engine
(``@actions/expressions``, one long-lived bridge process per run), and runs the jobs in
``needs`` order: ``run:`` steps as GitHub runs them, ``uses: ./path`` composite actions, and a
fixed list of emulated remote actions pinned by commit SHA. It returns a :class:`RunResult`.
What it emulates and every deviation from GitHub: docs/local-runner.md.

Errors: :class:`WorkflowError` -> :class:`WorkflowUsageError` (exit 2: a file GitHub would
reject, bad inputs, an unpinned or unknown remote action), :class:`WorkflowToolError`
(exit 3: Node.js or ``js/node_modules`` missing). A failing job is a result, not an error.
"""

from __future__ import annotations

from chainkit.workflow._bridge import JS_DIR_ENV, Bridge, js_dir
from chainkit.workflow._commands import Annotation
from chainkit.workflow._errors import WorkflowError, WorkflowToolError, WorkflowUsageError
from chainkit.workflow._remote import EMULATED, WORKFLOW_REPOSITORY
from chainkit.workflow._runner import JobResult, RunResult, StepResult, run_workflow

__all__ = [
    "EMULATED",
    "JS_DIR_ENV",
    "WORKFLOW_REPOSITORY",
    "Annotation",
    "Bridge",
    "JobResult",
    "RunResult",
    "StepResult",
    "WorkflowError",
    "WorkflowToolError",
    "WorkflowUsageError",
    "js_dir",
    "run_workflow",
]
