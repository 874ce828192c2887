"""The emulated remote actions: a fixed list, each pinned by a full commit SHA.

- ``actions/checkout``: the caller's workspace is already there; with ``repository`` set to
  ``job.workflow_repository`` (chainkit itself), chainkit's working tree (``git ls-files``:
  tracked files as they are now, never ``.venv``/``node_modules``) is copied into ``path``:
  a new or empty folder, or one an earlier local checkout made (its ``.chainkit-checkout``
  marker); never ``.git``, never a folder of the user's with content.
- ``actions/setup-python``: a local interpreter of the requested version (``pythonX.Y`` on
  PATH), else this interpreter's base with a warning; output ``python-path``.
- ``actions/upload-artifact`` / ``actions/download-artifact``: the local artifacts folder.
- ``github/codeql-action/upload-sarif``: the SARIF files copied into ``<artifacts>/sarif/``.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess  # git with an argument list, in chainkit's own tree  # nosec B404
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chainkit.workflow._errors import WorkflowUsageError

__all__ = [
    "EMULATED",
    "RemoteCall",
    "RemoteEffects",
    "StepFailure",
    "chainkit_tree",
    "resolve_remote",
]

_SHA = re.compile(r"^[0-9a-f]{40}$")
_SKIP_PARTS = frozenset({".venv", "venv", "node_modules", ".git", "__pycache__"})
WORKFLOW_REPOSITORY = "local/chainkit"


class StepFailure(Exception):
    """The emulated action failed (the step fails with this message)."""


@dataclass(frozen=True)
class RemoteCall:
    inputs: Mapping[str, str]
    workspace: Path
    artifacts: Path
    workflow_repository: str
    workflow_sha: str
    repository: str
    log: Callable[[str], None]
    uploaded: set[str] = field(default_factory=set)
    """Artifact names this run uploaded: the folder may hold older runs' artifacts."""
    temp: Path | None = None
    """The job's ``runner.temp`` (a download may go there as well as into the workspace)."""


@dataclass
class RemoteEffects:
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)


Handler = Callable[[RemoteCall], RemoteEffects]


def chainkit_tree() -> Path:
    """The source tree chainkit runs from (a git checkout for the local runner)."""
    return Path(__file__).resolve().parents[3]


def _git() -> str:
    git = shutil.which("git")
    if git is None:
        raise OSError("git is not on PATH")
    return git


def chainkit_sha(tree: Path) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - git, fixed args  # nosec B603 - git, fixed args
            [_git(), "-C", str(tree), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return "0" * 40
    sha = out.stdout.strip()
    return sha if _SHA.match(sha) else "0" * 40


def _inside(base: Path, relative: str, what: str) -> Path:
    rel = Path(relative or ".")
    if rel.is_absolute() or ".." in rel.parts:
        raise StepFailure(f"{what} must be a relative path inside the workspace: {relative!r}")
    return base / rel


def _no_symlink_on_the_way(root: Path, target: Path) -> None:
    """Refuse ``target`` if it leaves ``root`` or any component from ``root`` down is a link."""
    try:
        rel = target.relative_to(root)
    except ValueError:
        raise StepFailure(f"refusing to write outside {root}: {target}") from None
    current = root
    for part in ("", *rel.parts):
        current = current / part if part else current
        if current.is_symlink():
            raise StepFailure(f"refusing to write through a symlink: {current}")


def _check_store(call: RemoteCall) -> None:
    """The artifacts folder as the run started: never a symlink, nor reached through one."""
    store, workspace = call.artifacts, call.workspace
    if workspace in store.parents:
        _no_symlink_on_the_way(workspace, store)
    elif store.is_symlink():
        raise StepFailure(f"refusing to write through a symlink: {store}")


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def _copy_file(src: Path, dst: Path, root: Path | None = None) -> None:
    """Copy a regular file, never through a symlink (any component below ``root``), never
    onto itself."""
    if root is not None:
        _no_symlink_on_the_way(root, dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if root is not None:
        _no_symlink_on_the_way(root, dst)
    if dst.is_symlink():
        raise StepFailure(f"refusing to write through a symlink: {dst}")
    fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fin:
        if dst.exists() and os.path.samestat(os.fstat(fin.fileno()), dst.stat()):
            raise StepFailure(f"refusing to copy {src} onto itself")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        out = os.open(dst, flags, 0o644)
        with os.fdopen(out, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    shutil.copymode(src, dst)


def _remove(root: Path, target: Path) -> None:
    """Delete ``target`` (a file, link or tree) below ``root``, never through a link above it."""
    _no_symlink_on_the_way(root, target.parent)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)


CHECKOUT_MARKER = ".chainkit-checkout"
_MARKER_TEXT = (
    "This folder is a copy of chainkit's working tree made by `chainkit workflow run` "
    "(actions/checkout). The next local checkout into it deletes and refills it.\n"
)


def _made_by_the_runner(target: Path) -> bool:
    """Whether ``target`` holds the marker a local checkout writes first (a regular file)."""
    marker = target / CHECKOUT_MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        with marker.open("rb") as handle:
            return handle.read(len(_MARKER_TEXT) + 1) == _MARKER_TEXT.encode()
    except OSError:
        return False


def _prepare_checkout_target(workspace: Path, target: Path) -> None:
    """Make ``target`` an empty folder holding only the marker, or refuse.

    The workspace is the user's real working tree: an existing folder is deleted only when
    an earlier local checkout made it (its marker); an empty folder is used as it is; any
    other existing path (a file, a folder with content) is refused and left untouched.
    """
    _no_symlink_on_the_way(workspace, target)
    if target.is_symlink():
        raise StepFailure(f"refusing to write through a symlink: {target}")
    if target.exists():
        if not target.is_dir():
            raise StepFailure(
                f"checkout path {target} exists and is not a folder: the local runner never "
                "replaces your files; remove it or choose another path"
            )
        if _made_by_the_runner(target):
            # clean: true, like actions/checkout: no stale files from an earlier local run
            _remove(workspace, target)
        elif any(target.iterdir()):
            raise StepFailure(
                f"checkout path {target} exists, is not empty and was not made by the local "
                f"runner (no {CHECKOUT_MARKER} in it): the workspace is your real working "
                "tree, so nothing in it is deleted; remove the folder or choose another path"
            )
    target.mkdir(parents=True, exist_ok=True)
    _no_symlink_on_the_way(workspace, target)
    fd = os.open(
        target / CHECKOUT_MARKER,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
        0o644,
    )
    with os.fdopen(fd, "w", encoding="utf-8") as marker:
        marker.write(_MARKER_TEXT)


def _checkout(call: RemoteCall) -> RemoteEffects:
    repository = call.inputs.get("repository", "") or call.repository
    path = call.inputs.get("path", "")
    if repository != call.workflow_repository:
        if repository != call.repository:
            raise StepFailure(
                f"actions/checkout of {repository!r}: the local runner checks out only the "
                f"caller's workspace ({call.repository}) or chainkit itself "
                f"({call.workflow_repository})"
            )
        call.log(f"checkout: using the workspace {call.workspace} as {repository}")
        if path.strip() not in ("", "."):
            call.log(f"warning: checkout path {path!r} ignored: the workspace is used as it is")
        return RemoteEffects()
    ref = call.inputs.get("ref", "")
    if ref and ref != call.workflow_sha:
        call.log(
            f"warning: checkout ref {ref} is not the working tree's HEAD; using the working tree"
        )
    target = _inside(call.workspace, path, "checkout path")
    if any(part.lower() == ".git" for part in Path(path or ".").parts):
        raise StepFailure(
            f"checkout path {path!r} is or is inside a .git folder: the local runner never "
            "writes there (the workspace is your real working tree); choose another path"
        )
    tree = chainkit_tree().resolve()
    workspace = call.workspace.resolve()
    _no_symlink_on_the_way(workspace, target)
    resolved = target.resolve()
    artifacts = call.artifacts.resolve()
    for protected, what in ((workspace, "the workspace"), (tree, "chainkit's own tree")):
        if resolved == protected or resolved in protected.parents:
            raise StepFailure(
                f"checkout of chainkit into {target} would overwrite {what}: "
                "the local runner checks chainkit out only into a new folder (set with: path:)"
            )
    if _overlaps(resolved, artifacts):
        raise StepFailure(f"checkout path {target} overlaps the artifacts folder {artifacts}")
    try:
        listed = subprocess.run(  # noqa: S603 - git, fixed args  # nosec B603 - git, fixed args
            [_git(), "-C", str(tree), "ls-files", "-z", "--cached"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise StepFailure(f"could not list chainkit's files with git in {tree}: {exc}") from None
    if tree in resolved.parents:
        inner = resolved.relative_to(tree)
        if any(
            inner == Path(os.fsdecode(raw)) or inner in Path(os.fsdecode(raw)).parents
            for raw in listed.split(b"\0")
            if raw
        ):
            raise StepFailure(
                f"checkout path {target} holds chainkit's tracked files: choose a new folder"
            )
    _prepare_checkout_target(workspace, target)
    copied = 0
    for raw in listed.split(b"\0"):
        if not raw:
            continue
        rel = Path(os.fsdecode(raw))
        if _SKIP_PARTS.intersection(rel.parts):
            continue
        src = tree / rel
        if src.is_symlink() or not src.is_file():
            continue  # deleted in the working tree, or a link: never followed
        _copy_file(src, target / rel, workspace)
        copied += 1
    call.log(f"checkout: copied chainkit's working tree ({copied} files) into {target}")
    return RemoteEffects()


def _python_version_of(executable: str) -> str:
    out = subprocess.run(  # noqa: S603 - fixed args  # nosec B603 - fixed args
        [executable, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return out.stdout.strip()


def _setup_python(call: RemoteCall) -> RemoteEffects:
    wanted = call.inputs.get("python-version", "").strip()
    found: str | None = None
    if wanted:
        if not re.fullmatch(r"3(\.\d+){0,2}(\.x)?", wanted):
            raise StepFailure(f"python-version {wanted!r}: the local runner accepts 3.X versions")
        major_minor = ".".join(wanted.split(".")[:2])
        found = shutil.which(f"python{major_minor}")
    if found is None:
        base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        found = str(base) if base.is_file() else sys.executable
        if wanted:
            call.log(
                f"warning: no local python{wanted} found; using {found} "
                f"({sys.version_info[0]}.{sys.version_info[1]})"
            )
    effects = RemoteEffects(
        outputs={"python-path": found, "python-version": _python_version_of(found)}
    )
    if call.inputs.get("update-environment", "true").lower() != "false":
        effects.path.append(str(Path(found).parent))
        effects.env["pythonLocation"] = str(Path(found).parent.parent)
    return effects


_BAD_NAME = re.compile(r"[/\\:<>|*?\"\r\n]")


def _artifact_name(call: RemoteCall) -> str:
    name = call.inputs.get("name", "") or "artifact"
    if _BAD_NAME.search(name) or name in (".", "..") or ".." in name:
        raise StepFailure(f"invalid artifact name {name!r}: no path separators or '..'")
    return name


def _hidden(path: Path, base: Path) -> bool:
    parts = path.relative_to(base).parts if path != base else (path.name,)
    return any(part.startswith(".") for part in parts)


def _collect(
    workspace: Path, patterns: list[str], store: Path, *, include_hidden: bool = False
) -> list[Path]:
    files: list[Path] = []
    excluded: list[Path] = []
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern[1:] if negate else pattern
        base = Path(pattern) if Path(pattern).is_absolute() else workspace / pattern
        if any(ch in pattern for ch in "*?["):
            anchor = Path(base.anchor)
            matches = list(anchor.glob(str(base.relative_to(anchor))))
        else:
            matches = [base]
        for match in matches:
            if match.is_symlink():
                continue
            found = (
                [p for p in sorted(match.rglob("*")) if p.is_file() and not p.is_symlink()]
                if match.is_dir()
                else ([match] if match.is_file() else [])
            )
            if not negate and not include_hidden:
                # upload-artifact v4.4+: hidden files and folders below the search root
                # (the pattern's literal folder) are excluded by default
                if any(ch in pattern for ch in "*?["):
                    parts = base.parts
                    cut = next(i for i, p in enumerate(parts) if any(c in p for c in "*?["))
                    root = Path(*parts[:cut])
                else:
                    root = match if match.is_dir() else match.parent
                found = [f for f in found if not _hidden(f, root)]
            (excluded if negate else files).extend(found)
    store = store.resolve()
    return sorted(
        {
            f
            for f in files
            if f not in excluded and store not in f.resolve().parents  # never the store itself
        }
    )


def _upload_artifact(call: RemoteCall) -> RemoteEffects:
    name = _artifact_name(call)
    patterns = [p.strip() for p in call.inputs.get("path", "").splitlines() if p.strip()]
    if not patterns:
        raise StepFailure("upload-artifact: input 'path' is required")
    hidden = call.inputs.get("include-hidden-files", "false").strip().lower() == "true"
    _check_store(call)
    files = _collect(call.workspace, patterns, call.artifacts, include_hidden=hidden)
    if not files:
        mode = call.inputs.get("if-no-files-found", "warn")
        message = f"No files were found with the provided path: {', '.join(patterns)}"
        if mode == "error":
            raise StepFailure(message)
        if mode == "warn":
            call.log(f"warning: {message}. No artifacts will be uploaded.")
        return RemoteEffects()
    root = Path(os.path.commonpath([f.parent for f in files]))
    target = call.artifacts / name
    if name in call.uploaded and call.inputs.get("overwrite", "false").lower() != "true":
        raise StepFailure(f"an artifact named {name!r} already exists (set overwrite: true)")
    _remove(call.artifacts, target)  # this run's earlier upload (overwrite) or an earlier run's
    call.uploaded.add(name)
    for f in files:
        _copy_file(f, target / f.relative_to(root), call.artifacts)
    call.log(f"upload-artifact: {len(files)} file(s) as {name!r} in {target}")
    return RemoteEffects(outputs={"artifact-id": name, "artifact-url": target.as_uri()})


def _copy_tree(src: Path, dst: Path, root: Path) -> int:
    count = 0
    for path in sorted(src.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        _copy_file(path, dst / path.relative_to(src), root)
        count += 1
    return count


def _download_artifact(call: RemoteCall) -> RemoteEffects:
    dest = call.inputs.get("path", "")
    target = (
        Path(dest) if dest and Path(dest).is_absolute() else _inside(call.workspace, dest, "path")
    )
    roots = [call.workspace, *([call.temp] if call.temp is not None else [])]
    root = next((r for r in roots if r == target or r in target.parents), None)
    if root is None or ".." in target.parts:
        raise StepFailure(f"download-artifact: path {dest!r} must be inside the workspace")
    _no_symlink_on_the_way(root, target)
    store = call.artifacts.resolve()
    if _overlaps(target.resolve(), store):
        raise StepFailure(f"download-artifact: path {dest!r} overlaps the artifacts folder")
    _check_store(call)
    repository = call.inputs.get("repository", "").strip()
    if call.inputs.get("run-id", "").strip() or repository not in ("", call.repository):
        raise StepFailure(
            "download-artifact: run-id/repository (another run's artifacts) is not supported "
            "locally: only this run's artifacts can be downloaded"
        )
    if call.inputs.get("name"):
        name = _artifact_name(call)
        source = call.artifacts / name
        if name not in call.uploaded or source.is_symlink() or not source.is_dir():
            raise StepFailure(f"Artifact not found: {name} (not uploaded in this run)")
        count = _copy_tree(source, target, root)
    else:
        pattern = call.inputs.get("pattern", "").strip()
        merge = call.inputs.get("merge-multiple", "false").strip().lower() == "true"
        names = [n for n in sorted(call.uploaded) if not pattern or fnmatch.fnmatchcase(n, pattern)]
        count = 0
        for name in names:
            source = call.artifacts / name
            if source.is_dir() and not source.is_symlink():
                count += _copy_tree(source, target if merge else target / name, root)
    call.log(f"download-artifact: {count} file(s) into {target}")
    return RemoteEffects(outputs={"download-path": str(target)})


def _upload_sarif(call: RemoteCall) -> RemoteEffects:
    given = call.inputs.get("sarif_file", "") or "../results"
    source = Path(given) if Path(given).is_absolute() else call.workspace / given
    if source.is_symlink():
        raise StepFailure(f"upload-sarif: {given} is a symlink")
    files = sorted(source.glob("*.sarif")) if source.is_dir() else [source]
    files = [f for f in files if f.is_file() and not f.is_symlink()]
    if not files:
        raise StepFailure(f"upload-sarif: no SARIF file at {given}")
    category = call.inputs.get("category", "")
    _check_store(call)
    target = call.artifacts / "sarif"
    for f in files:
        prefix = re.sub(r"[^\w.-]+", "_", category).strip("_")
        _copy_file(f, target / (f"{prefix}-{f.name}" if prefix else f.name), call.artifacts)
    call.log(f"upload-sarif: {len(files)} file(s) into {target}")
    return RemoteEffects(outputs={"sarif-id": "local"})


EMULATED: Mapping[str, Handler] = {
    "actions/checkout": _checkout,
    "actions/setup-python": _setup_python,
    "actions/upload-artifact": _upload_artifact,
    "actions/download-artifact": _download_artifact,
    "github/codeql-action/upload-sarif": _upload_sarif,
}


def resolve_remote(uses: str) -> Handler:
    """The handler of ``owner/repo[/path]@<40-hex sha>``; anything else is refused."""
    action, sep, ref = uses.partition("@")
    if not sep or not action:
        raise WorkflowUsageError(f"uses: {uses!r} is not OWNER/REPO@REF or ./PATH")
    handler = EMULATED.get(action.lower())
    if handler is None:
        raise WorkflowUsageError(
            f"uses: {uses!r}: the local runner emulates only {', '.join(sorted(EMULATED))} "
            "and runs local actions (./path)",
            remediation="see docs/local-runner.md for what the local runner can run",
        )
    if not _SHA.match(ref):
        raise WorkflowUsageError(
            f"uses: {uses!r} is not pinned by a full commit SHA",
            remediation=f"pin it: {action}@<40-hex commit> # vX.Y.Z",
        )
    return handler
