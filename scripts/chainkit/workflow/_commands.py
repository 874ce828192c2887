"""Workflow commands a step prints on stdout (``::error::``, ``::add-mask::`` ...).

The runner reads every output line through :class:`CommandReader`: ``add-mask`` adds a
value to mask in the runner's own log, ``stop-commands`` suspends command processing until
its token comes back, annotations (``error``/``warning``/``notice``) are collected, ``group``
and ``endgroup`` become log markers, ``set-output`` works with GitHub's deprecation warning,
``set-env``/``add-path`` are refused as on GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Annotation", "CommandReader", "Masks", "neutralise"]

_COMMAND = re.compile(r"^::(?P<name>[A-Za-z][\w-]*)(?:\s+(?P<props>[^:]*))?::(?P<message>.*)$")


_LEGACY = "##["


def _unescape_legacy(value: str) -> str:
    return (
        value.replace("%3B", ";").replace("%0D", "\r").replace("%0A", "\n").replace("%5D", "]")
    ).replace("%25", "%")


def _parse_legacy(line: str) -> tuple[str, list[tuple[str, str]], str] | None:
    """GitHub's legacy form, found anywhere in a line: ``##[name k=v;k=v]data``."""
    start = line.find(_LEGACY)
    if start < 0:
        return None
    close = line.find("]", start)
    if close < 0:
        return None
    head = line[start + len(_LEGACY) : close]
    name, _, props_text = head.partition(" ")
    if not name:
        return None
    props: list[tuple[str, str]] = []
    for item in props_text.split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            props.append((key.strip(), _unescape_legacy(value)))
    return name, props, _unescape_legacy(line[close + 1 :])


def neutralise(line: str) -> str:
    """``line`` with no workflow command an outer GitHub runner would act on (a relayed line)."""
    line = line.replace(_LEGACY, "# #[")
    if line.lstrip().startswith("::"):
        line = "> " + line
    return line


def _unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(value: str) -> str:
    return _unescape_data(value).replace("%3A", ":").replace("%2C", ",")


class Masks:
    """Secret values to hide in the runner's log (``***``), longest first."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with each new single-line value (to re-emit ``::add-mask::``)."""
        self._listeners.append(listener)
        for value in sorted(self._values):
            if "\n" not in value and "\r" not in value:
                listener(value)

    def add(self, value: str) -> None:
        for part in [value, *value.splitlines()]:
            if part.strip() and part not in self._values:
                self._values.add(part)
                if "\n" not in part and "\r" not in part:
                    for listener in self._listeners:
                        listener(part)

    def apply(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, "***")
        return text


@dataclass(frozen=True)
class Annotation:
    level: str
    message: str
    properties: tuple[tuple[str, str], ...] = ()


@dataclass
class CommandReader:
    """Stateful reader of one step's output lines."""

    masks: Masks
    annotations: list[Annotation] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop_token: str | None = None

    def read(self, line: str) -> str | None:
        """Handle one line; return the text to log (``None``: log nothing)."""
        # GitHub: "::" after leading whitespace (v2), or "##[" anywhere in the line (legacy)
        match = _COMMAND.match(line.rstrip("\r").lstrip())
        legacy = _parse_legacy(line.rstrip("\r")) if match is None else None
        if match is None and legacy is None:
            return line
        if match is not None:
            name, message = match.group("name"), match.group("message")
        else:
            assert legacy is not None
            name, message = legacy[0], legacy[2]
        if self._stop_token is not None:
            if name == self._stop_token:
                self._stop_token = None
                return None
            return line
        props: list[tuple[str, str]] = []
        if match is not None:
            for item in (match.group("props") or "").split(","):
                key, sep, value = item.partition("=")
                if sep and key.strip():
                    props.append((key.strip(), _unescape_property(value)))
        else:
            assert legacy is not None
            props = legacy[1]
        data = _unescape_data(message) if match is not None else message
        if name == "add-mask":
            self.masks.add(data)
            return None
        if name == "stop-commands":
            if data:
                self._stop_token = data
            return None
        if name in ("error", "warning", "notice"):
            self.annotations.append(Annotation(name, data, tuple(props)))
            return f"{name.capitalize()}: {data}"
        if name == "debug":
            return None
        if name == "group":
            return f"> {data}"
        if name == "endgroup":
            return None
        if name == "set-output":
            key = dict(props).get("name", "")
            if key:
                self.outputs[key] = data
            self.warnings.append(
                "The `set-output` command is deprecated; write to $GITHUB_OUTPUT instead"
            )
            return None
        if name in ("set-env", "add-path"):
            self.errors.append(
                f"The `{name}` command is disabled; use the $GITHUB_ENV/$GITHUB_PATH files"
            )
            return None
        if name in ("echo", "save-state", "add-matcher", "remove-matcher"):
            return None
        return line
