"""The trigger a local run pretends to be and the typed ``inputs`` it gets.

``workflow_dispatch`` is preferred, then ``workflow_call``, then the first event. Inputs are
checked as GitHub checks them: unknown names and missing required inputs are refused,
``boolean`` takes ``true``/``false``, ``number`` a number, ``choice`` one of its options.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from chainkit.workflow._errors import WorkflowUsageError

__all__ = ["event_inputs", "trigger_of"]


def _events(document: Mapping[str, Any]) -> dict[str, Any]:
    on = document.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on}
    if isinstance(on, dict):
        return {str(k): v for k, v in on.items()}
    return {}


def trigger_of(document: Mapping[str, Any]) -> str:
    events = _events(document)
    for preferred in ("workflow_dispatch", "workflow_call"):
        if preferred in events:
            return preferred
    return next(iter(events), "workflow_dispatch")


def _typed(name: str, kind: str, value: str, spec: Mapping[str, Any]) -> Any:
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise WorkflowUsageError(
                f"input {name} is a boolean: pass true or false, not {value!r}"
            )
        return value.lower() == "true"
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise WorkflowUsageError(f"input {name} is a number, not {value!r}") from None
        if not math.isfinite(number):
            raise WorkflowUsageError(f"input {name} is a number, not {value!r}")
        return int(number) if number.is_integer() else number
    if kind == "choice":
        options = [str(o) for o in spec.get("options") or []]
        if value not in options:
            raise WorkflowUsageError(
                f"input {name} must be one of {', '.join(options)}, not {value!r}"
            )
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def event_inputs(
    document: Mapping[str, Any], event_name: str, given: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(inputs context, github.event)`` for ``event_name`` with the ``--input`` values."""
    spec = _events(document).get(event_name)
    declared: dict[str, Any] = {}
    if isinstance(spec, dict) and isinstance(spec.get("inputs"), dict):
        declared = {str(k): v or {} for k, v in spec["inputs"].items()}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise WorkflowUsageError(
            f"unknown input(s) for {event_name}: {', '.join(unknown)}",
            remediation=f"inputs of this workflow: {', '.join(declared) or 'none'}",
        )
    typed: dict[str, Any] = {}
    for name, item in declared.items():
        kind = str(item.get("type") or "string")
        if name in given:
            typed[name] = _typed(name, kind, given[name], item)
        elif "default" in item:
            default = item["default"]
            typed[name] = (
                default
                if not isinstance(default, str) or "${{" in default
                else _typed(name, kind, default, item)
            )
        elif item.get("required") is True:
            raise WorkflowUsageError(
                f"input {name} is required", remediation=f"pass --input {name}=VALUE"
            )
        elif kind == "boolean":
            typed[name] = False
        elif kind == "number" and event_name == "workflow_call":
            typed[name] = 0  # GitHub: an unset workflow_call number input is 0
        else:
            typed[name] = ""
    event: dict[str, Any] = {}
    if event_name == "workflow_dispatch":
        event["inputs"] = {k: _as_text(v) for k, v in typed.items()}
    return typed, event
