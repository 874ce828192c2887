"""Seeded fault injection for both stand-ins (``--faults FILE``, seed key ``faults``).

A fault spec is a small strict document::

    seed: 7
    rules:
      - {service: github, method: POST, path: "/assets$", status: 502, share: 0.2}
      - {service: github, path: "^/storage/", cut_body_after_bytes: 100, every: 3}
      - {service: rekor, latency_ms: 200}

A rule matches on ``service`` (``github`` by default; ``fulcio``, ``rekor``, ``tsa``),
``method`` and ``path`` (a regular expression searched in the raw request path). It fires
on every match, or every ``every``-th match, or with probability ``share``, at most
``times`` times. Its effect is ``latency_ms`` (added before answering; it combines with the
others) and at most one of: ``status`` (an error answer), ``cut_body_after_bytes`` (the
connection is cut after that many bytes of the request body of an upload, or of the
response body otherwise), ``starter_then_502`` (GitHub uploads: the asset is left empty
in state ``starter`` and the answer is ``502``), ``secondary_limit`` and
``primary_exhausted`` (GitHub's rate-limit answers; ``retry_after`` seconds).

Determinism: every rule draws from its own ``random.Random`` seeded from ``seed`` and the
rule's index, consumed once per matching request in the order the server sees requests.
A single-threaded client therefore sees the same faults on every run; concurrent clients
can reorder requests, and with them the faults. ``every`` rules need no random draw.

Faults live in memory with the running server: the state directory never records them,
so a restart without ``--faults`` serves the same state without faults.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.strict import DocumentError, Obj, dataclass_keys
from chainkit.sandbox._documents import read_document
from chainkit.sandbox._errors import SandboxUsageError

__all__ = [
    "SERVICES",
    "Decision",
    "FaultPlan",
    "FaultRule",
    "FaultSpec",
    "load_fault_spec",
    "parse_fault_spec",
    "sigstore_service",
]

SERVICES = ("github", "fulcio", "rekor", "tsa")
_EFFECTS = (
    "status",
    "cut_body_after_bytes",
    "starter_then_502",
    "secondary_limit",
    "primary_exhausted",
)
_GITHUB_ONLY = ("starter_then_502", "secondary_limit", "primary_exhausted")
_REMEDIATION = "fix the fault spec (see docs/sandbox.md, 'Faults')"
MAX_LATENCY_MS = 60_000


@dataclass(frozen=True)
class FaultRule:
    """One rule of a fault spec: what it matches, how often it fires, what it does."""

    service: str = "github"
    method: str | None = None
    path: str = ""
    share: float | None = None
    every: int | None = None
    times: int | None = None
    latency_ms: int = 0
    status: int | None = None
    cut_body_after_bytes: int | None = None
    starter_then_502: bool = False
    secondary_limit: bool = False
    primary_exhausted: bool = False
    retry_after: int | None = None

    @property
    def effect(self) -> str:
        """The kind of fault this rule injects (``latency`` when it only delays)."""
        if self.status is not None:
            return f"status_{self.status}"
        if self.cut_body_after_bytes is not None:
            return "cut_body"
        for name in _GITHUB_ONLY:
            if getattr(self, name):
                return name
        return "latency"


@dataclass(frozen=True)
class FaultSpec:
    seed: int = 0
    rules: tuple[FaultRule, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What to do with one request: a delay, and the rule whose effect applies (if any)."""

    latency_ms: int
    rule: FaultRule | None


def _error(source: str) -> Callable[[DocumentError], SandboxUsageError]:
    def report(exc: DocumentError) -> SandboxUsageError:
        prefix = f"{source}: " if source else ""
        return SandboxUsageError(f"{prefix}invalid fault spec: {exc}", remediation=_REMEDIATION)

    return report


def _rule(value: Any, where: str, source: str) -> FaultRule:
    error = _error(source)
    o = Obj.of(value, where, FaultRule, error=error, optional=dataclass_keys(FaultRule))
    service = o.choice("service", SERVICES) if o.has("service") else "github"
    method = o.text("method", optional=True, pattern=re.compile(r"[A-Za-z]{1,10}"))
    path = o.text("path", max_len=500) if o.has("path") else ""
    try:
        re.compile(path)
    except re.error as exc:
        raise o.fail("path", f"a regular expression ({exc})") from None
    share = o.raw("share")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1
    ):
        raise o.fail("share", "a number in (0, 1]")
    every = o.integer("every", optional=True, minimum=1)
    if share is not None and every is not None:
        raise error(DocumentError(where, "give share or every, not both"))
    status = o.raw("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise o.fail("status", "an error status, 400 to 599")
    latency = o.integer("latency_ms", minimum=0) if o.has("latency_ms") else 0
    if latency > MAX_LATENCY_MS:
        raise o.fail("latency_ms", f"at most {MAX_LATENCY_MS}")
    rule = FaultRule(
        service=service,
        method=method.upper() if method else None,
        path=path,
        share=float(share) if share is not None else None,
        every=every,
        times=o.integer("times", optional=True, minimum=1),
        latency_ms=latency,
        status=status,
        cut_body_after_bytes=o.integer("cut_body_after_bytes", optional=True, minimum=0),
        starter_then_502=o.flag("starter_then_502", default=False),
        secondary_limit=o.flag("secondary_limit", default=False),
        primary_exhausted=o.flag("primary_exhausted", default=False),
        retry_after=o.integer("retry_after", optional=True, minimum=0),
    )
    effects = [e for e in _EFFECTS if getattr(rule, e) not in (None, False)]
    if len(effects) > 1:
        raise error(DocumentError(where, f"at most one effect besides latency_ms, not {effects}"))
    if not effects and not latency:
        need = "no effect: give latency_ms or one of " + ", ".join(_EFFECTS)
        raise error(DocumentError(where, need))
    if service != "github" and effects and effects[0] in _GITHUB_ONLY:
        raise error(DocumentError(where, f"{effects[0]} is a GitHub fault, not a {service} one"))
    if rule.retry_after is not None and rule.effect not in ("secondary_limit", "primary_exhausted"):
        raise o.fail("retry_after", "given only with secondary_limit or primary_exhausted")
    return rule


def parse_fault_spec(data: object, *, source: str, where: str = "") -> FaultSpec:
    """Validate a decoded fault spec (``{seed, rules}``); errors are exit-2 usage errors."""
    error = _error(source)
    o = Obj.of(data, where, FaultSpec, error=error, optional=("seed",))
    seed = o.integer("seed") if o.has("seed") else 0
    rules = o.items("rules", lambda v, w: _rule(v, w.lstrip("."), source))
    return FaultSpec(seed=seed, rules=rules)


def load_fault_spec(path: Path) -> FaultSpec:
    """Read a YAML or JSON fault spec file."""
    data = read_document(
        path,
        "fault spec",
        remediation="the fault spec must be a readable UTF-8 YAML or JSON file",
        hint=_REMEDIATION,
    )
    return parse_fault_spec(data, source=str(path))


def sigstore_service(path: str) -> str:
    """Which Sigstore service a request path belongs to (``fulcio``, ``rekor`` or ``tsa``)."""
    if path.startswith("/api/v1/timestamp"):
        return "tsa"
    if path.startswith("/api/v1/log"):
        return "rekor"
    return "fulcio"


class _Live:
    def __init__(self, rule: FaultRule, seed: int, index: int) -> None:
        self.rule = rule
        self.pattern = re.compile(rule.path)
        self.rng = random.Random(f"{seed}:{index}")  # noqa: S311 - seeded fault injection, not security  # nosec B311
        self.matched = 0
        self.fired = 0

    def fires(self, service: str, method: str, path: str) -> bool:
        r = self.rule
        if r.service != service or (r.method is not None and r.method != method):
            return False
        if not self.pattern.search(path):
            return False
        self.matched += 1
        if r.times is not None and self.fired >= r.times:
            return False
        if r.every is not None:
            hit = self.matched % r.every == 0
        elif r.share is not None:
            hit = self.rng.random() < r.share
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit


class FaultPlan:
    """The fault rules a running sandbox applies, shared by both stand-ins (thread-safe)."""

    def __init__(
        self, spec: FaultSpec | None = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._lock = threading.Lock()
        self._spec = FaultSpec()
        self._live: list[_Live] = []
        self._injected: Counter[str] = Counter()
        self.sleep = sleep
        if spec is not None:
            self.replace(spec)

    def replace(self, spec: FaultSpec) -> None:
        """Apply ``spec`` from now on (random streams and counts start afresh)."""
        with self._lock:
            self._spec = spec
            self._live = [_Live(r, spec.seed, i) for i, r in enumerate(spec.rules)]
            self._injected = Counter()

    def clear(self) -> None:
        self.replace(FaultSpec())

    def decide(self, service: str, method: str, path: str) -> Decision | None:
        """The faults for one request, counting them; ``None`` when nothing fires."""
        with self._lock:
            if not self._live:
                return None
            latency, chosen = 0, None
            for live in self._live:
                if not live.fires(service, method, path):
                    continue
                latency += live.rule.latency_ms
                if live.rule.latency_ms:
                    self._injected[f"{service}:latency"] += 1
                if chosen is None and live.rule.effect != "latency":
                    chosen = live.rule
                    self._injected[f"{service}:{live.rule.effect}"] += 1
            if not latency and chosen is None:
                return None
            return Decision(latency_ms=latency, rule=chosen)

    def delay(self, decision: Decision) -> None:
        if decision.latency_ms:
            self.sleep(decision.latency_ms / 1000)

    def describe(self) -> dict[str, Any]:
        """The seed, the rules and the faults injected so far, by ``service:kind``."""
        with self._lock:
            rules = []
            for live in self._live:
                given = {k: v for k, v in vars(live.rule).items() if v not in (None, False, 0)}
                rules.append(given | {"matched": live.matched, "fired": live.fired})
            return {
                "seed": self._spec.seed,
                "rules": rules,
                "injected": dict(sorted(self._injected.items())),
            }
