"""Reading and validating action inputs from ``INPUT_<NAME>`` variables.

Every value is hostile: it may come from an issue title or a branch name through the
caller's workflow. Refused (exit 2): a value starting with ``-`` (it would be read as an
option), control characters anywhere (a newline only separates the items of a list),
booleans other than exactly ``true``/``false``, choices outside their list, integers
that are not plain positive decimals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from chainkit.ghactions._errors import ActionInputError
from chainkit.ghactions._spec import ActionSpec, InputSpec

__all__ = ["Inputs", "read_inputs"]

_INT = re.compile(r"[1-9][0-9]{0,8}")
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
_TRUE, _FALSE = "true", "false"


@dataclass(frozen=True)
class Inputs:
    """The validated inputs of one run: single values and lists (absent: not in them)."""

    variant: str
    values: Mapping[str, str]
    lists: Mapping[str, tuple[str, ...]]
    ignored: tuple[str, ...] = ()
    """Warnings: inputs given for another variant (left out of the command)."""

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def items(self, name: str) -> tuple[str, ...]:
        return self.lists.get(name, ())

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        return None if value is None else value == _TRUE


def _refuse(spec: InputSpec, problem: str) -> ActionInputError:
    return ActionInputError(
        f"input {spec.name!r} {problem}",
        remediation=f"fix the `{spec.name}` input of the step (docs/actions.md)",
    )


def _check_item(spec: InputSpec, item: str) -> str:
    for ch in item:
        if ch in "\r\n" or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}:
            raise _refuse(spec, f"contains a control character (U+{ord(ch):04X})")
    if item.startswith("-"):
        raise _refuse(spec, "starts with '-' and would be read as an option")
    return item


def _check_single(spec: InputSpec, raw: str) -> str:
    value = raw.strip(" \t")
    if value.endswith("\n"):  # YAML block scalars (`|`) end with one newline
        value = value[:-1].rstrip(" \t")
    if "\n" in value or "\r" in value:
        raise _refuse(spec, "must be a single line")
    value = _check_item(spec, value)
    if spec.kind == "bool" and value not in {_TRUE, _FALSE}:
        raise _refuse(spec, "must be exactly `true` or `false`")
    if spec.kind == "choice" and value not in spec.choices:
        raise _refuse(spec, f"must be one of {', '.join(spec.choices)}")
    if spec.kind == "int" and not _INT.fullmatch(value):
        raise _refuse(spec, "must be a positive whole number")
    if spec.kind == "url" and not _URL.fullmatch(value):
        raise _refuse(spec, "must be an http(s) URL without query, fragment or credentials")
    return value


def _split(spec: InputSpec, raw: str) -> tuple[str, ...]:
    for ch in raw:
        if ch not in "\n\t" and unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}:
            raise _refuse(spec, f"contains a control character (U+{ord(ch):04X})")
    parts = raw.split() if spec.kind == "words" else raw.split("\n")
    return tuple(_check_item(spec, p.strip(" \t")) for p in parts if p.strip(" \t"))


def read_inputs(action: ActionSpec, environ: Mapping[str, str]) -> Inputs:
    """The validated inputs of ``action`` from ``environ`` (an :class:`ActionInputError`
    for the first refused one)."""
    variant = ""
    if action.selector is not None:
        selector = action.input(action.selector)
        raw = environ.get(selector.env, "")
        if not raw.strip():
            raise _refuse(selector, f"is required (one of {', '.join(selector.choices)})")
        variant = _check_single(selector, raw)
    values: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    ignored: list[str] = []
    for spec in action.inputs:
        raw = environ.get(spec.env, "")
        if spec.secret:
            if raw and ("\n" in raw.strip() or "\r" in raw):
                raise ActionInputError(f"input {spec.name!r} must be a single line")
            if raw.strip():
                values[spec.name] = raw.strip()
            continue
        if spec.kind in {"words", "lines"}:
            items = _split(spec, raw)
            if items:
                lists[spec.name] = items
        elif raw.strip():
            values[spec.name] = _check_single(spec, raw)
        if (
            spec.kind == "bool"
            and values.get(spec.name) == _FALSE
            and spec.option_false is None
            and not spec.required(variant)
        ):
            del values[spec.name]  # the default of a flag: the same as not given
        given = spec.name in values or spec.name in lists
        if given and not spec.applies_to(variant):
            values.pop(spec.name, None)
            lists.pop(spec.name, None)
            wanted = ", ".join(sorted(spec.variants))
            ignored.append(
                f"input {spec.name!r} applies only when {action.selector} is {wanted}: ignored"
            )
            continue
        if not given and spec.required(variant):
            when = f" when {action.selector} is {variant}" if variant else ""
            raise _refuse(spec, "is required" + when)
    return Inputs(variant, values, lists, tuple(ignored))
