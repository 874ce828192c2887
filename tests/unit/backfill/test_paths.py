from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._paths import local_name, within

NASTY = [
    "../../etc/passwd",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "..",
    ".",
    "x\x00y",
    "line\nbreak",
    "\x1b[31mred",
    "é" * 200,
    "a" * 300,
    "C:\\Windows\\system32",
    "\u202egnp.exe",
]


@pytest.mark.parametrize("name", NASTY)
def test_local_name_never_escapes(tmp_path: Path, name: str) -> None:
    local = local_name(42, name)
    path = within(tmp_path, local)
    assert path.parent == tmp_path.resolve()
    assert local.startswith("42-")
    assert len(local) == len("42-") + 16


def test_local_names_differ_for_different_names() -> None:
    assert local_name(1, "a") != local_name(1, "b")
    assert local_name(1, "a") != local_name(2, "a")
    assert local_name(1, "a") == local_name(1, "a")


@pytest.mark.parametrize("name", NASTY)
def test_within_refuses_raw_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(BackfillUsageError):
        within(tmp_path, name)


def test_within_refuses_symlinks_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(BackfillUsageError, match="outside"):
        within(root, "link")


def test_local_name_rejects_bad_ids() -> None:
    with pytest.raises(ValueError, match="asset id"):
        local_name(-1, "x")


@given(asset_id=st.integers(min_value=0, max_value=2**53), name=st.text())
def test_any_name_stays_inside(
    tmp_path_factory: pytest.TempPathFactory, asset_id: int, name: str
) -> None:
    root = tmp_path_factory.getbasetemp()
    path = within(root, local_name(asset_id, name))
    assert path.parent == root.resolve()
