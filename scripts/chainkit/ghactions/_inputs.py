"""Reading and validating action inputs from ``INPUT_<NAME>`` variables.

Every value is hostile: it may come from an issue title or a branch name through the
caller's workflow. Refused (exit 2): a value starting with ``-`` (it would be read as an
option), control characters anywhere (a newline only separates the items of a list),
whitespace other than ASCII space and tab and invisible characters (no-break and other
Unicode spaces, format characters, fillers: Python's ``str.split()`` and a bash
``[[:space:]]`` disagree on them, so one "word" could become two), booleans other than
exactly ``true``/``false``, choices outside their list, integers that are not plain
positive decimals, URLs that would send the token in cleartext (``http://`` to a host that
is not loopback), a ``tag`` that is not one plain tag.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from chainkit.ghactions._errors import ActionInputError
from chainkit.ghactions._spec import ActionSpec, InputSpec

__all__ = ["Inputs", "read_inputs"]

_INT = re.compile(r"[1-9][0-9]{0,8}")
_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
)
_LIST_SEPARATORS = re.compile(r"[ \t\n]+")
"""What separates the items of a ``words`` list: ASCII space, tab and newline only."""
_TAG_FORBIDDEN = frozenset("*?[]\\~^: \t")
"""Glob characters (a tag is matched as a glob) and what git refuses in a ref name."""
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern)."""
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
"""Controls, format (zero-width, direction marks), surrogates (undecodable bytes),
private-use and unassigned characters, and every separator (but ASCII space)."""
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


def _refused_char(ch: str) -> str | None:
    """Why ``ch`` may not appear in a value (``None``: it may); ASCII space and tab may."""
    if ch in " \t":
        return None
    category = unicodedata.category(ch)
    if category in {"Cc", "Zl", "Zp"}:
        return f"contains a control character (U+{ord(ch):04X})"
    if category in _REFUSED_CATEGORIES or ch in _INVISIBLE or ch.isspace():
        return f"contains an invisible or non-ASCII space character (U+{ord(ch):04X})"
    return None


def _check_item(spec: InputSpec, item: str) -> str:
    for ch in item:
        if (problem := _refused_char(ch)) is not None:
            raise _refuse(spec, problem)
    if item.startswith("-"):
        raise _refuse(spec, "starts with '-' and would be read as an option")
    return item


def _check_url(spec: InputSpec, value: str) -> None:
    match = _URL.fullmatch(value)
    if not match:
        raise _refuse(spec, "must be an http(s) URL without query, fragment or credentials")
    if match["scheme"] == "http" and not _is_loopback(match["host"]):
        raise _refuse(
            spec,
            "is http:// to a host that is not loopback (the token would be sent in cleartext):"
            " use https://",
        )


def _is_loopback(host: str) -> bool:
    host = host.lower()
    if host in {"localhost", "[::1]"}:
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


def _check_tag(spec: InputSpec, value: str) -> None:
    bad = sorted({ch for ch in value if ch in _TAG_FORBIDDEN})
    if bad or ".." in value or value.endswith((".", "/", ".lock")) or "@{" in value:
        raise _refuse(spec, "must be one release tag (no glob, no space, a valid git tag name)")


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
    if spec.kind == "url":
        _check_url(spec, value)
    if spec.kind == "tag":
        _check_tag(spec, value)
    return value


def _split(spec: InputSpec, raw: str) -> tuple[str, ...]:
    for ch in raw:
        if ch != "\n" and (problem := _refused_char(ch)) is not None:
            raise _refuse(spec, problem)
    parts = _LIST_SEPARATORS.split(raw) if spec.kind == "words" else raw.split("\n")
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
    for spec in action.inputs:
        given = spec.name in values or spec.name in lists
        for other in sorted(spec.conflicts):
            if given and (other in values or other in lists):
                raise _refuse(spec, f"and {other!r} may not both be given")
    return Inputs(variant, values, lists, tuple(ignored))
