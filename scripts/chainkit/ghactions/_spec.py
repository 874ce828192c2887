"""What each composite action accepts and which chainkit options its inputs become.

One table, read by the adapter (to build argument lists) and by the tests (which check
every option here against the click commands and every input against action.yml).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["ACTIONS", "ActionSpec", "InputKind", "InputSpec"]

InputKind = Literal["text", "words", "lines", "bool", "choice", "int", "url", "tag"]
"""``text``: one value; ``words``: values separated by whitespace or newlines (globs);
``lines``: one value per line (paths, which may hold spaces); ``bool``: ``true``/``false``;
``choice``: one of ``choices``; ``int``: a positive decimal integer; ``url``: an http(s) URL
without credentials, query or fragment (``http://`` to a loopback host only); ``tag``: exactly
one release tag, never split (no space, no glob character, a valid git tag name)."""


@dataclass(frozen=True)
class InputSpec:
    """One input of an action (kebab-case, as in action.yml)."""

    name: str
    kind: InputKind = "text"
    option: str | None = None
    """The chainkit option the value becomes (repeated for ``words``/``lines``); a bool
    input adds it when true. ``None``: handled by the adapter itself."""
    option_false: str | None = None
    """For a bool input: the option added when the value is ``false``."""
    variants: frozenset[str] = frozenset()
    """The values of the action's selector (``mode``, ``kind``) this input applies to;
    empty: all of them."""
    choices: tuple[str, ...] = ()
    required_in: frozenset[str] = frozenset()
    """Variants in which the input must be given (``{"*"}``: always)."""
    secret: bool = False
    """Never logged nor written to an output; reaches the child only as GITHUB_TOKEN."""
    variant_options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Per-variant option names that differ from ``option``."""
    conflicts: frozenset[str] = frozenset()
    """Inputs that may not be given together with this one."""

    @property
    def env(self) -> str:
        """The environment variable action.yml passes the input in."""
        return "INPUT_" + self.name.upper().replace("-", "_")

    def applies_to(self, variant: str) -> bool:
        return not self.variants or variant in self.variants

    def option_for(self, variant: str) -> str | None:
        return self.variant_options.get(variant, self.option)

    def required(self, variant: str) -> bool:
        return "*" in self.required_in or variant in self.required_in


@dataclass(frozen=True)
class ActionSpec:
    """One composite action: its chainkit command(s), inputs and outputs."""

    name: str
    commands: Mapping[str, tuple[str, ...]]
    """Variant -> chainkit command path; a single-command action has the variant ``""``."""
    inputs: tuple[InputSpec, ...]
    outputs: tuple[str, ...]
    selector: str | None = None
    """The input that picks the variant (``mode`` for backfill, ``kind`` for scan)."""
    fixed: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Variant -> options the adapter always adds (``--json``, ``--format sarif`` ...);
    only their names (words starting with ``-``) are options."""

    def input(self, name: str) -> InputSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _v(*names: str) -> frozenset[str]:
    return frozenset(names)


_TOKEN = InputSpec("token", secret=True)
_API_URL = InputSpec("api-url", "url")
"""GitHub's REST API (default ``github.api_url``): reaches the child as GITHUB_API_URL only
(a step cannot override GITHUB_* through $GITHUB_ENV on GitHub)."""
_RESULT = ("exit-code", "error")
"""Outputs of every action: chainkit's exit code and its one-line error message (empty when
it stopped without one); written whatever the exit code, for callers that must know why a
step failed (``continue-on-error``)."""
_PLAN, _APPLY = _v("plan"), _v("apply")

_BACKFILL = ActionSpec(
    name="backfill",
    selector="mode",
    commands=MappingProxyType({"plan": ("backfill", "plan"), "apply": ("backfill", "apply")}),
    inputs=(
        InputSpec("mode", "choice", choices=("plan", "apply"), required_in=_v("*")),
        InputSpec("repository", option="--repo"),
        InputSpec("tags", "words", option="--tags", variants=_PLAN),
        InputSpec("tag", "tag", option="--tags", variants=_PLAN, conflicts=_v("tags")),
        InputSpec("since", option="--since", variants=_PLAN),
        InputSpec("last", "int", option="--last", variants=_PLAN),
        InputSpec("assets", "words", option="--assets", variants=_PLAN),
        InputSpec("pypi-project", option="--pypi-project", variants=_PLAN),
        InputSpec(
            "home",
            "choice",
            option="--home",
            variants=_PLAN,
            choices=("release-assets", "attestations", "both"),
        ),
        InputSpec(
            "plan",
            option="--plan",
            variant_options=MappingProxyType({"plan": "--output"}),
            required_in=_v("*"),
        ),
        InputSpec("expect-digest", option="--expect-digest", variants=_APPLY, required_in=_APPLY),
        InputSpec("max-writes", "int", option="--max-writes", variants=_APPLY),
        InputSpec("deadline", option="--deadline", variants=_APPLY),
        InputSpec("write-budget", option="--write-budget"),
        InputSpec("state-dir", option="--state-dir", variants=_APPLY),
        InputSpec("allow-unverified", "bool", option="--allow-unverified", variants=_PLAN),
        _TOKEN,
        _API_URL,
    ),
    outputs=(
        *_RESULT,
        "plan-path",
        "plan-digest",
        "to-sign",
        "blocked",
        "signed",
        "complete",
        "remaining",
        "estimate",
    ),
    fixed=MappingProxyType({"plan": ("--json",), "apply": ("--json", "--yes")}),
)

_VERIFY = ActionSpec(
    name="verify",
    commands=MappingProxyType({"": ("verify",)}),
    inputs=(
        InputSpec("repository", option="--repo"),
        InputSpec("tags", "words", option="--tag"),
        InputSpec("assets", "words", option="--assets"),
        InputSpec("files", "lines"),
        InputSpec("cert-identity", option="--cert-identity"),
        InputSpec("cert-identity-regexp", option="--cert-identity-regexp"),
        InputSpec("cert-oidc-issuer", option="--cert-oidc-issuer", required_in=_v("*")),
        InputSpec("source-repository", option="--source-repository"),
        InputSpec(
            "home", "choice", option="--home", choices=("release-assets", "attestations", "any")
        ),
        InputSpec("allow-unsigned", "bool", option="--allow-unsigned"),
        _TOKEN,
        _API_URL,
    ),
    outputs=(*_RESULT, "verified", "failed", "unsigned", "failures"),
    fixed=MappingProxyType({"": ("--json",)}),
)

_AUDIT = ActionSpec(
    name="audit",
    commands=MappingProxyType({"": ("audit",)}),
    inputs=(
        InputSpec("requirements", "lines", option="--requirement"),
        InputSpec("locked"),
        InputSpec("policy", option="--policy"),
        InputSpec(
            "fail-on",
            "choice",
            option="--fail-on",
            choices=("any", "low", "medium", "high", "critical"),
        ),
        InputSpec("advisory-db", option="--advisory-db"),
        InputSpec("sarif", option="--output", required_in=_v("*")),
    ),
    outputs=(*_RESULT, "sarif-path", "findings"),
    fixed=MappingProxyType({"": ("--format", "sarif", "--summary")}),
)

_SBOM = ActionSpec(
    name="sbom",
    commands=MappingProxyType({"": ("sbom", "generate")}),
    inputs=(
        InputSpec(
            "source",
            "choice",
            choices=("project", "requirements", "lock", "environment"),
            required_in=_v("*"),
        ),
        InputSpec("path"),
        InputSpec("output", option="--output", required_in=_v("*")),
        InputSpec("spec-version", "choice", option="--sv", choices=("1.5", "1.6")),
        InputSpec("reproducible", "bool", option="--reproducible"),
        InputSpec("no-dev", "bool", option="--no-dev"),
    ),
    outputs=(*_RESULT, "sbom-path", "components"),
    fixed=MappingProxyType({"": ("--format", "json")}),
)

_CODE, _SECRETS = _v("code"), _v("secrets")

_SCAN = ActionSpec(
    name="scan",
    selector="kind",
    commands=MappingProxyType({"code": ("scan", "code"), "secrets": ("scan", "secrets")}),
    inputs=(
        InputSpec("kind", "choice", choices=("code", "secrets"), required_in=_v("*")),
        InputSpec("path"),
        InputSpec("baseline", option="--baseline"),
        InputSpec(
            "history", "bool", option="--history", option_false="--no-history", variants=_SECRETS
        ),
        InputSpec("gitleaks-path", option="--gitleaks", variants=_SECRETS),
        InputSpec("sarif", option="--output"),
    ),
    outputs=(*_RESULT, "sarif-path", "findings"),
    fixed=MappingProxyType(
        {"code": ("--format", "sarif", "--summary"), "secrets": ("--format", "sarif", "--summary")}
    ),
)

ACTIONS: Mapping[str, ActionSpec] = MappingProxyType(
    {spec.name: spec for spec in (_BACKFILL, _VERIFY, _AUDIT, _SBOM, _SCAN)}
)
"""Every composite action the adapter runs (``setup`` has no adapter step)."""
