"""The emulated remote actions never destroy data: no copy onto itself, no write through links."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chainkit.workflow import _remote
from chainkit.workflow._remote import EMULATED, RemoteCall, StepFailure


def _call(workspace: Path, artifacts: Path, **inputs: str) -> RemoteCall:
    return RemoteCall(
        inputs=inputs,
        workspace=workspace,
        artifacts=artifacts,
        workflow_repository=_remote.WORKFLOW_REPOSITORY,
        workflow_sha="0" * 40,
        repository="acme/widgets",
        log=lambda _text: None,
    )


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for chainkit's own git tree."""
    root = tmp_path / "chainkit"
    (root / "scripts").mkdir(parents=True)
    (root / "README.md").write_text("chainkit readme\n")
    (root / "scripts" / "x.py").write_text("print(1)\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    monkeypatch.setattr(_remote, "chainkit_tree", lambda: root)
    return root


def test_checkout_into_chainkit_own_tree_is_refused_and_nothing_is_truncated(tree: Path) -> None:
    call = _call(tree, tree.parent / "artifacts", repository=_remote.WORKFLOW_REPOSITORY)
    with pytest.raises(StepFailure, match="overwrite"):
        EMULATED["actions/checkout"](call)
    assert (tree / "README.md").read_text() == "chainkit readme\n"
    with pytest.raises(StepFailure, match="tracked"):
        EMULATED["actions/checkout"](
            _call(tree, tree.parent / "a", repository=_remote.WORKFLOW_REPOSITORY, path="scripts")
        )
    assert (tree / "scripts" / "x.py").read_text() == "print(1)\n"


def test_checkout_into_the_user_workspace_root_is_refused(tree: Path, tmp_path: Path) -> None:
    ws = tmp_path / "user"
    ws.mkdir()
    (ws / "README.md").write_text("mine\n")
    call = _call(ws, tmp_path / "artifacts", repository=_remote.WORKFLOW_REPOSITORY)
    with pytest.raises(StepFailure, match="workspace"):
        EMULATED["actions/checkout"](call)
    assert (ws / "README.md").read_text() == "mine\n"
    ok = _call(ws, tmp_path / "artifacts", repository=_remote.WORKFLOW_REPOSITORY, path="ck")
    EMULATED["actions/checkout"](ok)
    assert (ws / "ck" / "README.md").read_text() == "chainkit readme\n"


def test_download_into_the_artifacts_store_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "plan.json").write_text("plan-json\n")
    store = ws / ".chainkit-artifacts"
    up = _call(ws, store, name="plan", path="data")
    EMULATED["actions/upload-artifact"](up)
    down = _call(ws, store, name="plan", path=".chainkit-artifacts/plan")
    down.uploaded.add("plan")
    with pytest.raises(StepFailure, match="artifacts folder"):
        EMULATED["actions/download-artifact"](down)
    assert (store / "plan" / "plan.json").read_text() == "plan-json\n"
    # uploading the workspace never collects (and then deletes) the store itself
    again = _call(ws, store, name="all", path=".")
    EMULATED["actions/upload-artifact"](again)
    assert not (store / "all" / ".chainkit-artifacts").exists()
    assert (store / "plan" / "plan.json").read_text() == "plan-json\n"


def test_a_file_is_never_copied_onto_itself(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("data\n")
    with pytest.raises(StepFailure, match="onto itself"):
        _remote._copy_file(f, tmp_path / "." / "f")
    assert f.read_text() == "data\n"


def test_no_write_or_delete_through_a_symlinked_component(tree: Path, tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "f.txt").write_text("x\n")
    (outside / "victim").mkdir(parents=True)
    (outside / "victim" / "keep").write_text("keep\n")
    store = tmp_path / "store"
    up = _call(ws, store, name="a", path="data")
    EMULATED["actions/upload-artifact"](up)
    (ws / "dl").symlink_to(outside)
    down = _call(ws, store, name="a", path="dl/sub")
    down.uploaded.add("a")
    with pytest.raises(StepFailure, match="symlink"):
        EMULATED["actions/download-artifact"](down)
    assert not (outside / "sub").exists()
    (ws / "sub").symlink_to(outside)
    ck = _call(ws, store, repository=_remote.WORKFLOW_REPOSITORY, path="sub/victim")
    with pytest.raises(StepFailure, match="symlink"):
        EMULATED["actions/checkout"](ck)
    assert (outside / "victim" / "keep").read_text() == "keep\n"
    # the artifacts store replaced by a link to a victim folder
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id").write_text("key\n")
    link_store = ws / ".store"
    link_store.symlink_to(home)
    with pytest.raises(StepFailure, match="symlink"):
        EMULATED["actions/upload-artifact"](_call(ws, link_store, name=".ssh", path="data"))
    assert (home / ".ssh" / "id").read_text() == "key\n"
    with pytest.raises(StepFailure, match="inside the workspace"):
        EMULATED["actions/download-artifact"](_call(ws, store, name="a", path=str(outside)))


def test_artifact_inputs_as_v4(tmp_path: Path) -> None:
    ws, store = tmp_path / "ws", tmp_path / "store"
    (ws / "d" / ".git").mkdir(parents=True)
    (ws / "d" / "f.txt").write_text("f\n")
    (ws / "d" / ".env").write_text("hidden\n")
    (ws / "d" / ".git" / "config").write_text("hidden\n")
    up = _call(ws, store, name="a-one", path="d")
    EMULATED["actions/upload-artifact"](up)
    assert sorted(p.name for p in (store / "a-one").rglob("*")) == ["f.txt"]
    globbed = _call(ws, store, name="g", path="**/*")
    EMULATED["actions/upload-artifact"](globbed)
    assert sorted(p.name for p in (store / "g").rglob("*") if p.is_file()) == ["f.txt"]
    with_hidden = _call(ws, store, name="b-two", path="d", **{"include-hidden-files": "true"})
    with_hidden.uploaded.update(up.uploaded)
    EMULATED["actions/upload-artifact"](with_hidden)
    assert (store / "b-two" / ".env").is_file()
    down = _call(ws, store, path="got", pattern="a-*")
    down.uploaded.update(with_hidden.uploaded)
    EMULATED["actions/download-artifact"](down)
    assert sorted(p.name for p in (ws / "got").iterdir()) == ["a-one"]
    merged = _call(ws, store, path="merged", pattern="nothing-*")
    merged.uploaded.update(with_hidden.uploaded)
    EMULATED["actions/download-artifact"](merged)
    assert not (ws / "merged").exists() or not any((ws / "merged").iterdir())
    flat = _call(ws, store, path="flat", **{"merge-multiple": "true"})
    flat.uploaded.update(with_hidden.uploaded)
    EMULATED["actions/download-artifact"](flat)
    assert (ws / "flat" / "f.txt").is_file() and (ws / "flat" / ".env").is_file()
    with pytest.raises(StepFailure, match="run-id"):
        EMULATED["actions/download-artifact"](_call(ws, store, path="x", **{"run-id": "123"}))


def test_an_artifacts_folder_reached_through_a_link_is_refused(tmp_path: Path) -> None:
    ws, home = tmp_path / "ws", tmp_path / "home"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "k").write_text("attacker\n")
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "keep").write_text("keep\n")
    (ws / "out").symlink_to(home)
    with pytest.raises(StepFailure, match="symlink"):
        EMULATED["actions/upload-artifact"](_call(ws, ws / "out" / "arts", name="x", path="data"))
    with pytest.raises(StepFailure, match="symlink"):
        EMULATED["actions/upload-artifact"](_call(ws, ws / "out", name=".ssh", path="data"))
    assert (home / ".ssh" / "keep").read_text() == "keep\n"


def test_checkout_never_deletes_an_existing_folder_it_did_not_make(
    tree: Path, tmp_path: Path
) -> None:
    """The user's .git and .venv survive a checkout of chainkit into them (was: deleted)."""
    ws = tmp_path / "user"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (ws / ".venv").mkdir()
    (ws / ".venv" / "important").write_text("keep\n")
    (ws / "notes.txt").write_text("mine\n")
    store = tmp_path / "artifacts"
    for path, why in (
        (".git", r"\.git"),
        (".git/hooks", r"\.git"),
        (".GIT", r"\.git"),
        (".venv", "not empty"),
        ("notes.txt", "not a folder"),
    ):
        call = _call(ws, store, repository=_remote.WORKFLOW_REPOSITORY, path=path)
        with pytest.raises(StepFailure, match=why):
            EMULATED["actions/checkout"](call)
    assert (ws / ".venv" / "important").read_text() == "keep\n"
    assert (ws / "notes.txt").read_text() == "mine\n"
    head = subprocess.run(
        ["git", "-C", str(ws), "rev-parse", "--git-dir"], capture_output=True, text=True
    )
    assert head.returncode == 0 and head.stdout.strip() == ".git"
    # chainkit's own .git is refused too (the workspace is chainkit's tree)
    own = _call(tree, store, repository=_remote.WORKFLOW_REPOSITORY, path=".git")
    with pytest.raises(StepFailure, match=r"\.git"):
        EMULATED["actions/checkout"](own)
    assert (tree / ".git" / "HEAD").is_file()


def test_a_leftover_checkout_of_an_earlier_run_is_refreshed(tree: Path, tmp_path: Path) -> None:
    ws, store = tmp_path / "user", tmp_path / "artifacts"
    (ws / "empty").mkdir(parents=True)
    call = _call(ws, store, repository=_remote.WORKFLOW_REPOSITORY, path=".chainkit")
    EMULATED["actions/checkout"](call)
    assert (ws / ".chainkit" / "README.md").read_text() == "chainkit readme\n"
    assert (ws / ".chainkit" / _remote.CHECKOUT_MARKER).is_file()
    (ws / ".chainkit" / "stale.txt").write_text("from a step of the earlier run\n")
    EMULATED["actions/checkout"](call)  # a new run: the runner's own folder is refilled
    assert not (ws / ".chainkit" / "stale.txt").exists()
    assert (ws / ".chainkit" / "scripts" / "x.py").read_text() == "print(1)\n"
    # an existing empty folder is used as it is
    EMULATED["actions/checkout"](
        _call(ws, store, repository=_remote.WORKFLOW_REPOSITORY, path="empty")
    )
    assert (ws / "empty" / "README.md").is_file()
    # a marker that is a link, or holds other text, does not make a folder the runner's
    (ws / "other").mkdir()
    (ws / "other" / "data").write_text("keep\n")
    (ws / "other" / _remote.CHECKOUT_MARKER).write_text("not the runner's\n")
    with pytest.raises(StepFailure, match="not empty"):
        EMULATED["actions/checkout"](
            _call(ws, store, repository=_remote.WORKFLOW_REPOSITORY, path="other")
        )
    assert (ws / "other" / "data").read_text() == "keep\n"
