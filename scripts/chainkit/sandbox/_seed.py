"""The seed of the GitHub stand-in: repositories, releases, assets and tokens.

A seed is a YAML or JSON document (``version: 1``) that says what the stand-in serves when
it starts on an empty state directory. :func:`load_seed` reads a file, :func:`parse_seed`
validates an already-decoded document, :func:`default_seed` is the built-in demo.

Validation is strict: every error is a :class:`~chainkit.sandbox.SandboxUsageError` naming
the path of the offending key, e.g. ``repos[0].releases[2].assets[1]: unknown key 'szie'``.

Assets declared with ``size`` get deterministic pseudo-random bytes (SHAKE-256 in counter
mode over ``owner/repo``, the tag and the asset name), produced in chunks by
:func:`asset_chunks` so that even a 1.9 GiB asset is never built in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from chainkit.sandbox._errors import SandboxUsageError

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

DEFAULT_WRITE_TOKEN = "sandbox-write"  # noqa: S105 - a well-known sandbox-only value
DEFAULT_READ_TOKEN = "sandbox-read"  # noqa: S105 - a well-known sandbox-only value
MAX_ASSETS_PER_RELEASE = 1000
"""GitHub's limit on the number of assets in one release."""
MAX_ASSET_SIZE = 2 * 1024**3
"""Each asset must be smaller than this (2 GiB)."""
SEED_VERSION = 1
CHUNK_SIZE = 1024 * 1024

Level = Literal["read", "write"]
DigestMode = Literal["auto", "null", "absent", "fixed"]

_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_SCOPES = ("contents", "metadata", "attestations")


@dataclass(frozen=True)
class TokenSpec:
    """A token the stand-in accepts and what it may do (``contents: read|write``)."""

    value: str = field(repr=False)
    permissions: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"contents": "read"})
    )

    @property
    def can_write(self) -> bool:
        return self.permissions.get("contents") == "write"


@dataclass(frozen=True)
class EnvironmentSpec:
    """A deployment environment; ``required_reviewers`` empty means unprotected.

    A reviewer written ``@login`` is a user; any other name is a team slug.
    """

    name: str
    required_reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssetSpec:
    """A seeded asset: literal ``content`` or ``size`` pseudo-random bytes.

    ``digest_mode`` is ``auto`` (the true sha256), ``null`` (as pre-2025 assets), ``absent``
    (key missing, as old GHES) or ``fixed`` (``digest`` verbatim, possibly a lie).
    """

    name: str
    content: bytes | None = field(default=None, repr=False)
    size: int | None = None
    digest_mode: DigestMode = "auto"
    digest: str | None = None
    content_type: str = "application/octet-stream"
    label: str | None = ""

    @property
    def byte_size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.size is not None
        return self.size


@dataclass(frozen=True)
class ReleaseSpec:
    """A seeded release. Drafts have no ``published_at``."""

    tag: str
    name: str | None = None
    body: str | None = None
    draft: bool = False
    prerelease: bool = False
    immutable: bool = False
    published_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    target_commitish: str = "main"
    assets: tuple[AssetSpec, ...] = ()


@dataclass(frozen=True)
class RepoSpec:
    """A seeded repository ``owner/name``."""

    full_name: str
    private: bool = False
    default_branch: str = "main"
    environments: tuple[EnvironmentSpec, ...] = ()
    releases: tuple[ReleaseSpec, ...] = ()

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(frozen=True)
class Seed:
    """Everything the stand-in serves when it starts on an empty state directory."""

    version: int = SEED_VERSION
    tokens: tuple[TokenSpec, ...] = ()
    repos: tuple[RepoSpec, ...] = ()


# --------------------------------------------------------------------------- pseudo-random


def asset_chunks(
    full_name: str, tag: str, asset: AssetSpec, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """The bytes of a seeded asset, in chunks of at most ``chunk_size`` (deterministic)."""
    if asset.content is not None:
        for start in range(0, len(asset.content), chunk_size):
            yield asset.content[start : start + chunk_size]
        return
    remaining = asset.byte_size
    key = hashlib.sha256(f"{full_name}\0{tag}\0{asset.name}".encode()).digest()
    counter = 0
    while remaining > 0:
        n = min(CHUNK_SIZE, remaining)
        block = hashlib.shake_256(key + counter.to_bytes(8, "big")).digest(n)
        counter += 1
        remaining -= n
        for start in range(0, n, chunk_size):
            yield block[start : start + chunk_size]


# --------------------------------------------------------------------------- validation


def _fail(path: str, message: str, remediation: str | None = None) -> SandboxUsageError:
    where = f"{path}: " if path else ""
    return SandboxUsageError(
        f"invalid seed: {where}{message}",
        remediation=remediation or "fix the seed file (see docs/sandbox.md, 'Seed format')",
    )


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def err(self, path: str, message: str, remediation: str | None = None) -> SandboxUsageError:
        e = _fail(path, message, remediation)
        e.message = f"{self.source}: {e.message}" if self.source else e.message
        e.args = (e.message,)
        return e


def _mapping(ctx: _Ctx, value: object, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.err(path, f"expected a mapping, got {_tname(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ctx.err(path, f"keys must be strings, got {key!r}")
        if key not in allowed:
            raise ctx.err(
                path,
                f"unknown key {key!r}",
                remediation="allowed keys here: " + ", ".join(allowed),
            )
    return value


def _tname(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _str(ctx: _Ctx, value: object, path: str, *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ctx.err(path, f"expected a string, got {_tname(value)}")
    return value


def _bool(ctx: _Ctx, value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.err(path, f"expected true or false, got {_tname(value)}")
    return value


def _list(ctx: _Ctx, value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ctx.err(path, f"expected a list, got {_tname(value)}")
    return value


def _date(ctx: _Ctx, value: object, path: str) -> dt.datetime | None:
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
        raise ctx.err(path, f"expected an ISO 8601 date-time, got {_tname(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc).replace(microsecond=0)


def _token(ctx: _Ctx, value: object, path: str) -> TokenSpec:
    m = _mapping(ctx, value, path, ("value", "permissions"))
    if "value" not in m:
        raise ctx.err(path, "missing key 'value'")
    token = _str(ctx, m["value"], f"{path}.value")
    if not token or any(c.isspace() for c in token):
        raise ctx.err(f"{path}.value", "a token must be non-empty and contain no whitespace")
    perms_raw = _mapping(
        ctx, m.get("permissions", {"contents": "read"}), f"{path}.permissions", _SCOPES
    )
    perms: dict[str, str] = {}
    for scope, level in perms_raw.items():
        if level not in ("read", "write"):
            raise ctx.err(f"{path}.permissions.{scope}", f"expected read or write, got {level!r}")
        perms[scope] = level
    return TokenSpec(value=token, permissions=MappingProxyType(perms))


def _environment(ctx: _Ctx, value: object, path: str) -> EnvironmentSpec:
    m = _mapping(ctx, value, path, ("name", "required_reviewers"))
    if "name" not in m:
        raise ctx.err(path, "missing key 'name'")
    name = _str(ctx, m["name"], f"{path}.name")
    if not name:
        raise ctx.err(f"{path}.name", "must not be empty")
    reviewers = []
    for i, r in enumerate(
        _list(ctx, m.get("required_reviewers", []), f"{path}.required_reviewers")
    ):
        rp = f"{path}.required_reviewers[{i}]"
        reviewer = _str(ctx, r, rp)
        if not reviewer.lstrip("@"):
            raise ctx.err(rp, "must not be empty")
        reviewers.append(reviewer)
    if len(reviewers) > 6:
        raise ctx.err(f"{path}.required_reviewers", "GitHub allows at most 6 required reviewers")
    return EnvironmentSpec(name=name, required_reviewers=tuple(reviewers))


def _asset(ctx: _Ctx, value: object, path: str) -> AssetSpec:
    m = _mapping(ctx, value, path, ("name", "content", "size", "digest", "content_type", "label"))
    if "name" not in m:
        raise ctx.err(path, "missing key 'name'")
    name = _str(ctx, m["name"], f"{path}.name")
    if not name:
        raise ctx.err(f"{path}.name", "must not be empty")
    has_content, has_size = "content" in m, "size" in m
    if has_content == has_size:
        raise ctx.err(
            path,
            "give exactly one of 'content' and 'size'",
            remediation="'content' is literal text; 'size' asks for that many pseudo-random bytes",
        )
    content: bytes | None = None
    size: int | None = None
    if has_content:
        content = _str(ctx, m["content"], f"{path}.content").encode("utf-8")
        size = None
    else:
        raw = m["size"]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ctx.err(f"{path}.size", f"expected an integer, got {_tname(raw)}")
        if raw < 0:
            raise ctx.err(f"{path}.size", "must not be negative")
        size = raw
    byte_size = len(content) if content is not None else (size or 0)
    if byte_size >= MAX_ASSET_SIZE:
        raise ctx.err(
            f"{path}.size",
            f"{byte_size} bytes: each asset must be under 2 GiB ({MAX_ASSET_SIZE} bytes)",
        )
    digest_mode: DigestMode = "auto"
    digest: str | None = None
    raw_digest = m.get("digest", "auto")
    if raw_digest is None:
        digest_mode = "null"
    elif raw_digest in ("auto", "absent"):
        digest_mode = raw_digest
    elif isinstance(raw_digest, str) and _DIGEST_RE.match(raw_digest):
        digest_mode, digest = "fixed", raw_digest
    else:
        raise ctx.err(
            f"{path}.digest",
            f"bad digest {raw_digest!r}",
            remediation="use auto, null, absent or 'sha256:' followed by 64 lowercase hex digits",
        )
    content_type = _str(
        ctx, m.get("content_type", "application/octet-stream"), f"{path}.content_type"
    )
    label = _str(ctx, m.get("label", ""), f"{path}.label", nullable=True)
    return AssetSpec(
        name=name,
        content=content,
        size=size,
        digest_mode=digest_mode,
        digest=digest,
        content_type=content_type,
        label=label,
    )


def _release(ctx: _Ctx, value: object, path: str) -> ReleaseSpec:
    from chainkit.github._names import sanitize_asset_name

    m = _mapping(
        ctx,
        value,
        path,
        (
            "tag",
            "name",
            "body",
            "draft",
            "prerelease",
            "immutable",
            "published_at",
            "created_at",
            "target_commitish",
            "assets",
        ),
    )
    if "tag" not in m:
        raise ctx.err(path, "missing key 'tag'")
    tag = _str(ctx, m["tag"], f"{path}.tag")
    if not tag or tag != tag.strip():
        raise ctx.err(f"{path}.tag", f"not a usable tag name: {tag!r}")
    draft = _bool(ctx, m.get("draft", False), f"{path}.draft")
    published_at = _date(ctx, m.get("published_at"), f"{path}.published_at")
    created_at = _date(ctx, m.get("created_at"), f"{path}.created_at")
    if draft and published_at is not None:
        raise ctx.err(f"{path}.published_at", "a draft release has no published_at")
    if not draft and published_at is None:
        raise ctx.err(
            path,
            "missing key 'published_at' (required for a published release)",
            remediation="add e.g. published_at: 2024-03-01T12:00:00Z, or mark it draft: true",
        )
    assets_raw = _list(ctx, m.get("assets", []), f"{path}.assets")
    if len(assets_raw) > MAX_ASSETS_PER_RELEASE:
        raise ctx.err(
            f"{path}.assets",
            f"{len(assets_raw)} assets: a release holds at most {MAX_ASSETS_PER_RELEASE}",
        )
    assets: list[AssetSpec] = []
    seen: dict[str, int] = {}
    for i, a in enumerate(assets_raw):
        asset = _asset(ctx, a, f"{path}.assets[{i}]")
        sanitized = sanitize_asset_name(asset.name)
        if sanitized in seen:
            raise ctx.err(
                f"{path}.assets[{i}]",
                f"duplicate asset name {asset.name!r} (as {sanitized!r}; "
                f"also assets[{seen[sanitized]}])",
            )
        seen[sanitized] = i
        assets.append(asset)
    return ReleaseSpec(
        tag=tag,
        name=_str(ctx, m.get("name"), f"{path}.name", nullable=True),
        body=_str(ctx, m.get("body"), f"{path}.body", nullable=True),
        draft=draft,
        prerelease=_bool(ctx, m.get("prerelease", False), f"{path}.prerelease"),
        immutable=_bool(ctx, m.get("immutable", False), f"{path}.immutable"),
        published_at=published_at,
        created_at=created_at,
        target_commitish=_str(ctx, m.get("target_commitish", "main"), f"{path}.target_commitish"),
        assets=tuple(assets),
    )


def _repo(ctx: _Ctx, value: object, path: str) -> RepoSpec:
    m = _mapping(
        ctx, value, path, ("full_name", "private", "default_branch", "environments", "releases")
    )
    if "full_name" not in m:
        raise ctx.err(path, "missing key 'full_name'")
    full_name = _str(ctx, m["full_name"], f"{path}.full_name")
    if not _REPO_RE.match(full_name) or full_name.split("/")[1] in {".", ".."}:
        raise ctx.err(f"{path}.full_name", f"not OWNER/NAME: {full_name!r}")
    envs: list[EnvironmentSpec] = []
    for i, e in enumerate(_list(ctx, m.get("environments", []), f"{path}.environments")):
        env = _environment(ctx, e, f"{path}.environments[{i}]")
        if any(x.name.lower() == env.name.lower() for x in envs):
            raise ctx.err(f"{path}.environments[{i}]", f"duplicate environment {env.name!r}")
        envs.append(env)
    releases: list[ReleaseSpec] = []
    tags: dict[str, int] = {}
    for i, r in enumerate(_list(ctx, m.get("releases", []), f"{path}.releases")):
        rel = _release(ctx, r, f"{path}.releases[{i}]")
        if rel.tag in tags:
            raise ctx.err(
                f"{path}.releases[{i}].tag",
                f"duplicate tag {rel.tag!r} (also releases[{tags[rel.tag]}])",
            )
        tags[rel.tag] = i
        releases.append(rel)
    return RepoSpec(
        full_name=full_name,
        private=_bool(ctx, m.get("private", False), f"{path}.private"),
        default_branch=_str(ctx, m.get("default_branch", "main"), f"{path}.default_branch"),
        environments=tuple(envs),
        releases=tuple(releases),
    )


def parse_seed(data: object, *, source: str) -> Seed:
    """Validate a decoded seed document; ``source`` names it in error messages."""
    ctx = _Ctx(source)
    m = _mapping(ctx, data, "", ("version", "tokens", "repos"))
    if "version" not in m:
        raise ctx.err("", "missing key 'version'", remediation="start the seed with: version: 1")
    version = m["version"]
    if version != SEED_VERSION or isinstance(version, bool):
        raise ctx.err(
            "version",
            f"unsupported seed version {version!r}",
            remediation=f"this chainkit reads seed version {SEED_VERSION}",
        )
    tokens: list[TokenSpec] = []
    if "tokens" in m:
        for i, t in enumerate(_list(ctx, m["tokens"], "tokens")):
            tok = _token(ctx, t, f"tokens[{i}]")
            if any(x.value == tok.value for x in tokens):
                raise ctx.err(f"tokens[{i}]", "duplicate token value")
            tokens.append(tok)
    else:
        tokens = [
            TokenSpec(DEFAULT_WRITE_TOKEN, MappingProxyType({"contents": "write"})),
            TokenSpec(DEFAULT_READ_TOKEN, MappingProxyType({"contents": "read"})),
        ]
    repos: list[RepoSpec] = []
    for i, r in enumerate(_list(ctx, m.get("repos", []), "repos")):
        repo = _repo(ctx, r, f"repos[{i}]")
        if any(x.full_name.lower() == repo.full_name.lower() for x in repos):
            raise ctx.err(f"repos[{i}].full_name", f"duplicate repository {repo.full_name!r}")
        repos.append(repo)
    return Seed(version=SEED_VERSION, tokens=tuple(tokens), repos=tuple(repos))


def load_seed(path: Path) -> Seed:
    """Read and validate a YAML or JSON seed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SandboxUsageError(
            f"seed file not found: {path}", remediation="check the --seed path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SandboxUsageError(
            f"cannot read seed file {path}: {exc}",
            remediation="the seed must be a UTF-8 YAML or JSON file",
        ) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SandboxUsageError(
            f"seed file {path} is not valid YAML/JSON: {detail}",
            remediation="fix the syntax; see docs/sandbox.md, 'Seed format'",
        ) from None
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
        h = hashlib.sha256()
        for chunk in asset_chunks(repo.full_name, rel.tag, a):
            h.update(chunk)
        lines.append(f"{h.hexdigest()}  {a.name}\n")
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
