"""Reading seeds: YAML or JSON documents into the :mod:`~chainkit.sandbox._seed_model`.

A seed is a YAML or JSON document (``version: 1``) that says what the stand-in serves when
it starts on an empty state directory. :func:`load_seed` reads a file (no YAML aliases, no
duplicate keys), :func:`parse_seed` validates an already-decoded document,
:func:`default_seed` is the built-in demo.

Validation is strict (``chainkit._internal.strict``, keys from the spec dataclasses): every
error is a :class:`~chainkit.sandbox.SandboxUsageError` naming the path of the offending key
and what is expected, e.g. ``repos[0].releases[2].assets[1]: wrong keys (unknown 'szie')``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from chainkit._internal.hashing import sha256_chunks
from chainkit._internal.strict import DocumentError, Obj, dataclass_keys
from chainkit.sandbox._documents import read_document
from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._fault_plan import parse_fault_spec
from chainkit.sandbox._seed_model import (
    DEFAULT_READ_TOKEN,
    DEFAULT_WRITE_TOKEN,
    DIGEST_RE,
    MAX_ASSET_SIZE,
    MAX_ASSETS_PER_RELEASE,
    REPO_RE,
    SCOPES,
    SEED_VERSION,
    AssetSpec,
    ContentLimit,
    DigestMode,
    EnvironmentSpec,
    LimitsSpec,
    ReleaseSpec,
    RepoSpec,
    SecondaryMessage,
    Seed,
    TokenSpec,
    asset_chunks,
)

__all__ = [
    "DEFAULT_READ_TOKEN",
    "DEFAULT_WRITE_TOKEN",
    "MAX_ASSETS_PER_RELEASE",
    "MAX_ASSET_SIZE",
    "AssetSpec",
    "EnvironmentSpec",
    "ReleaseSpec",
    "RepoSpec",
    "Seed",
    "TokenSpec",
    "asset_chunks",
    "default_seed",
    "load_seed",
    "parse_seed",
]

# --------------------------------------------------------------------------- validation

_REMEDIATION = "fix the seed file (see docs/sandbox.md, 'Seed format')"


class _Ctx:
    """Turns problems into :class:`SandboxUsageError` naming the source and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def err(self, path: str, message: str, remediation: str | None = None) -> SandboxUsageError:
        where = f"{path.lstrip('.')}: " if path.lstrip(".") else ""
        prefix = f"{self.source}: " if self.source else ""
        return SandboxUsageError(
            f"{prefix}invalid seed: {where}{message}", remediation=remediation or _REMEDIATION
        )

    def reporter(self, keys: Sequence[str]) -> Callable[[DocumentError], SandboxUsageError]:
        """The ``error`` callback of an :class:`Obj` whose allowed keys are ``keys``."""

        def report(exc: DocumentError) -> SandboxUsageError:
            hint = "allowed keys here: " + ", ".join(keys) if "unknown" in exc.detail else None
            return self.err(exc.where, exc.detail, hint)

        return report

    def obj(
        self,
        value: object,
        path: str,
        schema: type[Any],
        *,
        required: Sequence[str] = (),
        skip: Sequence[str] = (),
    ) -> Obj:
        """An :class:`Obj` whose keys are the fields of ``schema`` (minus ``skip``)."""
        keys = dataclass_keys(schema, skip=skip)
        optional = [k for k in keys if k not in required]
        return Obj(value, path, keys, error=self.reporter(keys), optional=optional)


def _where(o: Obj, key: str) -> str:
    return f"{o.where}.{key}".lstrip(".")


def _date(ctx: _Ctx, value: object, path: str) -> dt.datetime | None:
    """YAML timestamps, dates, or ISO 8601 text; naive times are UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ctx.err(
                path,
                f"not a date-time: {value!r}",
                remediation="write it as ISO 8601 UTC, e.g. 2024-03-01T12:00:00Z",
            ) from None
    else:
        raise ctx.err(path, f"must be an ISO 8601 date-time, not {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).replace(microsecond=0)


def _token(ctx: _Ctx, value: object, path: str) -> TokenSpec:
    o = ctx.obj(value, path, TokenSpec, required=("value",))
    token = o.text("value")
    if not token or any(c.isspace() for c in token):
        raise ctx.err(_where(o, "value"), "a token must be non-empty and contain no whitespace")
    raw = o.raw("permissions", {"contents": "read"})
    perms_path = _where(o, "permissions")
    scopes = Obj(raw, perms_path, SCOPES, error=ctx.reporter(SCOPES), optional=SCOPES)
    perms: dict[str, str] = {}
    for scope in scopes.data:
        perms[scope] = scopes.choice(scope, ("read", "write"))
    return TokenSpec(value=token, permissions=MappingProxyType(perms))


def _environment(ctx: _Ctx, value: object, path: str) -> EnvironmentSpec:
    o = ctx.obj(value, path, EnvironmentSpec, required=("name",))
    name = o.text("name")
    if not name:
        raise ctx.err(_where(o, "name"), "must not be empty")
    reviewers = o.texts("required_reviewers") if o.has("required_reviewers") else ()
    for i, reviewer in enumerate(reviewers):
        if not reviewer.lstrip("@"):
            raise ctx.err(f"{_where(o, 'required_reviewers')}[{i}]", "must not be empty")
    if len(reviewers) > 6:
        raise ctx.err(_where(o, "required_reviewers"), "GitHub allows at most 6 required reviewers")
    return EnvironmentSpec(name=name, required_reviewers=reviewers)


def _digest(ctx: _Ctx, o: Obj) -> tuple[DigestMode, str | None]:
    raw = o.raw("digest", "auto")
    if raw is None:
        return "null", None
    if raw == "auto":
        return "auto", None
    if raw == "absent":
        return "absent", None
    if isinstance(raw, str) and DIGEST_RE.match(raw):
        return "fixed", raw
    raise ctx.err(
        _where(o, "digest"),
        f"bad digest {raw!r}",
        remediation="use auto, null, absent or 'sha256:' followed by 64 lowercase hex digits",
    )


def _asset(ctx: _Ctx, value: object, path: str) -> AssetSpec:
    o = ctx.obj(value, path, AssetSpec, required=("name",), skip=("digest_mode",))
    name = o.text("name")
    if not name:
        raise ctx.err(_where(o, "name"), "must not be empty")
    if o.has("content") == o.has("size"):
        raise ctx.err(
            path,
            "give exactly one of 'content' and 'size'",
            remediation="'content' is literal text; 'size' asks for that many pseudo-random bytes",
        )
    content: bytes | None = None
    size: int | None = None
    if o.has("content"):
        content = o.text("content").encode("utf-8")
    else:
        size = o.integer("size", minimum=0)
    byte_size = len(content) if content is not None else (size or 0)
    if byte_size >= MAX_ASSET_SIZE:
        raise ctx.err(
            _where(o, "size"),
            f"{byte_size} bytes: each asset must be under 2 GiB ({MAX_ASSET_SIZE} bytes)",
        )
    digest_mode, digest = _digest(ctx, o)
    return AssetSpec(
        name=name,
        content=content,
        size=size,
        digest_mode=digest_mode,
        digest=digest,
        content_type=o.text("content_type") if o.has("content_type") else AssetSpec.content_type,
        label=o.text("label", optional=True) if o.has("label") else AssetSpec.label,
    )


def _release(ctx: _Ctx, value: object, path: str) -> ReleaseSpec:
    from chainkit.github._names import sanitize_asset_name

    o = ctx.obj(value, path, ReleaseSpec, required=("tag",))
    tag = o.text("tag")
    if not tag or tag != tag.strip():
        raise ctx.err(_where(o, "tag"), f"not a usable tag name: {tag!r}")
    draft = o.flag("draft", default=False)
    published_at = _date(ctx, o.raw("published_at"), _where(o, "published_at"))
    created_at = _date(ctx, o.raw("created_at"), _where(o, "created_at"))
    if draft and published_at is not None:
        raise ctx.err(_where(o, "published_at"), "a draft release has no published_at")
    if not draft and published_at is None:
        raise ctx.err(
            path,
            "missing key 'published_at' (required for a published release)",
            remediation="add e.g. published_at: 2024-03-01T12:00:00Z, or mark it draft: true",
        )
    raw_assets = o.raw("assets", [])
    if isinstance(raw_assets, list) and len(raw_assets) > MAX_ASSETS_PER_RELEASE:
        raise ctx.err(
            _where(o, "assets"),
            f"{len(raw_assets)} assets: a release holds at most {MAX_ASSETS_PER_RELEASE}",
        )
    assets = o.items("assets", lambda v, w: _asset(ctx, v, w)) if o.has("assets") else ()
    seen: dict[str, int] = {}
    for i, asset in enumerate(assets):
        sanitized = sanitize_asset_name(asset.name)
        if sanitized in seen:
            raise ctx.err(
                f"{_where(o, 'assets')}[{i}]",
                f"duplicate asset name {asset.name!r} (as {sanitized!r}; "
                f"also assets[{seen[sanitized]}])",
            )
        seen[sanitized] = i
    return ReleaseSpec(
        tag=tag,
        name=o.text("name", optional=True),
        body=o.text("body", optional=True),
        draft=draft,
        prerelease=o.flag("prerelease", default=False),
        immutable=o.flag("immutable", default=False),
        published_at=published_at,
        created_at=created_at,
        target_commitish=o.text("target_commitish") if o.has("target_commitish") else "main",
        assets=assets,
    )


def _repo(ctx: _Ctx, value: object, path: str) -> RepoSpec:
    o = ctx.obj(value, path, RepoSpec, required=("full_name",))
    full_name = o.text("full_name")
    if not REPO_RE.match(full_name) or full_name.split("/")[1] in {".", ".."}:
        raise ctx.err(_where(o, "full_name"), f"not OWNER/NAME: {full_name!r}")
    envs: list[EnvironmentSpec] = []
    if o.has("environments"):
        for i, env in enumerate(o.items("environments", lambda v, w: _environment(ctx, v, w))):
            if any(x.name.lower() == env.name.lower() for x in envs):
                raise ctx.err(
                    f"{_where(o, 'environments')}[{i}]", f"duplicate environment {env.name!r}"
                )
            envs.append(env)
    releases: list[ReleaseSpec] = []
    tags: dict[str, int] = {}
    if o.has("releases"):
        for i, rel in enumerate(o.items("releases", lambda v, w: _release(ctx, v, w))):
            if rel.tag in tags:
                raise ctx.err(
                    f"{_where(o, 'releases')}[{i}].tag",
                    f"duplicate tag {rel.tag!r} (also releases[{tags[rel.tag]}])",
                )
            tags[rel.tag] = i
            releases.append(rel)
    return RepoSpec(
        full_name=full_name,
        private=o.flag("private", default=False),
        default_branch=o.text("default_branch") if o.has("default_branch") else "main",
        environments=tuple(envs),
        releases=tuple(releases),
    )


_MESSAGES = ("secondary", "content-creation")


def _content_limit(ctx: _Ctx, value: object, path: str) -> ContentLimit:
    o = ctx.obj(value, path, ContentLimit, required=("requests", "window_s"))
    requests = o.integer("requests", minimum=1)
    window = o.raw("window_s")
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not window > 0:
        raise o.fail("window_s", "a number of seconds above 0")
    return ContentLimit(requests=requests, window_s=float(window))


def _limits(ctx: _Ctx, value: object, path: str) -> LimitsSpec:
    o = ctx.obj(value, path, LimitsSpec)
    default = LimitsSpec()
    content = (
        o.items("content", lambda v, w: _content_limit(ctx, v, w))
        if o.has("content")
        else default.content
    )
    status = o.choice("status", (403, 429)) if o.has("status") else default.status
    retry_after = default.retry_after
    if o.has("retry_after"):
        retry_after = o.integer("retry_after", optional=True, minimum=0)
    message: SecondaryMessage = default.message
    if o.has("message"):
        message = (
            "secondary" if o.choice("message", _MESSAGES) == "secondary" else "content-creation"
        )
    return LimitsSpec(content=content, status=status, retry_after=retry_after, message=message)


def parse_seed(data: object, *, source: str) -> Seed:
    """Validate a decoded seed document; ``source`` names it in error messages."""
    ctx = _Ctx(source)
    o = ctx.obj(data, "", Seed)
    if not o.has("version"):
        raise ctx.err("", "missing key 'version'", remediation="start the seed with: version: 1")
    version = o.raw("version")
    if version != SEED_VERSION or isinstance(version, bool):
        raise ctx.err(
            "version",
            f"unsupported seed version {version!r}",
            remediation=f"this chainkit reads seed version {SEED_VERSION}",
        )
    tokens: list[TokenSpec] = []
    if o.has("tokens"):
        for i, tok in enumerate(o.items("tokens", lambda v, w: _token(ctx, v, w))):
            if any(x.value == tok.value for x in tokens):
                raise ctx.err(f"tokens[{i}]", "duplicate token value")
            tokens.append(tok)
    else:
        tokens = [
            TokenSpec(DEFAULT_WRITE_TOKEN, MappingProxyType({"contents": "write"})),
            TokenSpec(DEFAULT_READ_TOKEN, MappingProxyType({"contents": "read"})),
        ]
    repos: list[RepoSpec] = []
    if o.has("repos"):
        for i, repo in enumerate(o.items("repos", lambda v, w: _repo(ctx, v, w))):
            if any(x.full_name.lower() == repo.full_name.lower() for x in repos):
                raise ctx.err(f"repos[{i}].full_name", f"duplicate repository {repo.full_name!r}")
            repos.append(repo)
    limits = _limits(ctx, o.raw("limits"), "limits") if o.has("limits") else LimitsSpec()
    faults = None
    if o.has("faults"):
        faults = parse_fault_spec(o.raw("faults"), source=source, where="faults")
    return Seed(
        version=SEED_VERSION, tokens=tuple(tokens), repos=tuple(repos), limits=limits, faults=faults
    )


def load_seed(path: Path) -> Seed:
    """Read and validate a YAML or JSON seed file (no YAML aliases, no duplicate keys)."""
    data = read_document(
        path,
        "seed file",
        remediation="check the --seed path; the seed must be a UTF-8 YAML or JSON file",
        hint="fix the syntax (duplicate keys and YAML aliases are refused); "
        "see docs/sandbox.md, 'Seed format'",
    )
    return parse_seed(data, source=str(path))


def default_seed() -> Seed:
    """The built-in demo: ``acme/widgets`` with three releases and a protected environment."""
    wheels = "widgets-{v}-py3-none-any.whl"
    sdist = "widgets-{v}.tar.gz"

    doc: dict[str, Any] = {
        "version": 1,
        "repos": [
            {
                "full_name": "acme/widgets",
                "environments": [
                    {"name": "sigstore-backfill", "required_reviewers": ["release-team"]},
                    {"name": "docs", "required_reviewers": []},
                ],
                "releases": [
                    {
                        "tag": "v1.3.0rc1",
                        "name": "Widgets 1.3.0rc1 (draft)",
                        "body": "Work in progress.",
                        "draft": True,
                        "prerelease": True,
                        "created_at": "2024-05-02T09:00:00Z",
                        "assets": [
                            {"name": wheels.format(v="1.3.0rc1"), "size": 24_576},
                        ],
                    },
                    {
                        "tag": "v1.2.0",
                        "name": "Widgets 1.2.0",
                        "body": "Faster widgets.\n\n- add `Widget.spin()`\n- drop Python 3.9",
                        "published_at": "2024-03-01T12:00:00Z",
                        "assets": [
                            {"name": wheels.format(v="1.2.0"), "size": 48_213},
                            {"name": sdist.format(v="1.2.0"), "size": 40_960},
                            {
                                "name": "SHA256SUMS",
                                "content": "(computed below)\n",
                                "content_type": "text/plain",
                            },
                        ],
                    },
                    {
                        "tag": "v1.1.0",
                        "name": "Widgets 1.1.0",
                        "body": "Bug fixes.",
                        "published_at": "2023-11-14T08:30:00Z",
                        "assets": [
                            {"name": wheels.format(v="1.1.0"), "size": 45_002},
                            {"name": sdist.format(v="1.1.0"), "size": 38_114, "digest": None},
                        ],
                    },
                ],
            }
        ],
    }
    seed = parse_seed(doc, source="<default seed>")
    # Make SHA256SUMS tell the truth about its siblings.
    repo = seed.repos[0]
    rel = repo.releases[1]
    lines = []
    for a in rel.assets:
        if a.name == "SHA256SUMS":
            continue
        lines.append(f"{sha256_chunks(asset_chunks(repo.full_name, rel.tag, a))}  {a.name}\n")
    fixed = tuple(
        AssetSpec(
            name=a.name,
            content="".join(lines).encode(),
            content_type=a.content_type,
        )
        if a.name == "SHA256SUMS"
        else a
        for a in rel.assets
    )
    new_rel = dataclasses.replace(rel, assets=fixed)
    new_repo = dataclasses.replace(repo, releases=(repo.releases[0], new_rel, *repo.releases[2:]))
    return dataclasses.replace(seed, repos=(new_repo,))
