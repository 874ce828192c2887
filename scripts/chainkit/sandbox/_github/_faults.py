"""The fault registry of the GitHub stand-in (test-only, in memory).

A fault is a canned response for the next ``times`` requests whose method and raw path
match (``POST /_sandbox/faults``). :class:`FaultRegistry` is the one place these canned
faults are parsed, matched and consumed. Seeded faults (latency, shares, cut connections,
``starter`` uploads, rate limits, Sigstore faults) are ``chainkit.sandbox._fault_plan``,
applied by ``_inject``; dispatch consults the plan first.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["Fault", "FaultRegistry", "parse_fault"]

_KEYS = ("method", "path", "status", "headers", "body", "times")


@dataclass
class Fault:
    method: str | None
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    times: int | None

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.pattern.pattern, "status": self.status,
                "times": self.times}  # fmt: skip


def parse_fault(data: dict[str, Any]) -> tuple[Fault | None, str]:
    """A fault from its JSON spec, or ``(None, problem)``."""
    unknown = set(data) - set(_KEYS)
    if unknown:
        return None, f"unknown keys: {sorted(unknown)}"
    status = data.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return None, "status must be an HTTP status code"
    method = data.get("method")
    if method is not None and not isinstance(method, str):
        return None, "method must be a string"
    try:
        pattern = re.compile(str(data.get("path", "")))
    except re.error as exc:
        return None, f"path is not a regular expression: {exc}"
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in headers.items()
    ):
        return None, "headers must map names to values"
    times = data.get("times", 1)
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        return None, "times must be a positive integer or null (forever)"
    return (
        Fault(
            method=method.upper() if method else None,
            pattern=pattern,
            status=status,
            headers={k.lower(): str(v) for k, v in headers.items()},
            body=data.get("body"),
            times=times,
        ),
        "",
    )


class FaultRegistry:
    """Injected faults, matched in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching ``method path``, counting one use of it."""
        with self._lock:
            for f in self._faults:
                if (f.method is None or f.method == method) and f.pattern.search(path):
                    if f.times is not None:
                        f.times -= 1
                        if f.times <= 0:
                            self._faults.remove(f)
                    return f
        return None
