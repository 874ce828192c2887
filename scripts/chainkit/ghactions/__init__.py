"""The adapter between chainkit's composite actions (``actions/<name>/action.yml``) and
the CLI: ``python -I -m chainkit.ghactions <action>``.

Each action passes its inputs as ``INPUT_<NAME>`` environment variables (never ``${{ }}``
inside ``run:``). The adapter validates them (no option-looking values, no control
characters or newlines in single values, booleans exactly ``true``/``false``, choices
from their list), builds an argument list for one chainkit command, runs it as a child
process (``GITHUB_TOKEN`` from the ``token`` input goes to the child's environment only),
and writes the declared outputs to ``$GITHUB_OUTPUT`` with a random delimiter. chainkit's
exit code is preserved (0 clean, 1 findings, 2 usage, 3 tool/network); the adapter's own
refusals are exit 2 with an ``::error::`` line.

Public API: :data:`ACTIONS` (each action's inputs and the options they map to),
:class:`ActionSpec`, :class:`InputSpec`, :func:`run_action`, :func:`main`,
:data:`GITLEAKS_VERSION`/:data:`GITLEAKS_ARCHIVES` (the pinned official gitleaks release).
"""

from __future__ import annotations

from chainkit.ghactions._errors import ActionInputError, GhActionsError
from chainkit.ghactions._gitleaks import GITLEAKS_ARCHIVES, GITLEAKS_VERSION, GitleaksArchive
from chainkit.ghactions._run import main, run_action
from chainkit.ghactions._spec import ACTIONS, ActionSpec, InputSpec

__all__ = [
    "ACTIONS",
    "GITLEAKS_ARCHIVES",
    "GITLEAKS_VERSION",
    "ActionInputError",
    "ActionSpec",
    "GhActionsError",
    "GitleaksArchive",
    "InputSpec",
    "main",
    "run_action",
]
