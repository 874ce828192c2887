"""The cache key of actions/setup's private venv: sha256 over the interpreter, the pinned
requirements, the setup scripts and chainkit's source (paths and bytes of every regular
file, symlinks refused). Run by setup.sh as ``python -I key.py ROOT``; standard library
only (it runs before anything is installed)."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

_SETUP = ("bootstrap.txt", "requirements.txt", "setup.sh", "key.py")


def _add(digest: hashlib._Hash, root: Path, path: Path) -> None:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise SystemExit(f"key.py: {path} is not a regular file (a symlink?): refusing")
    name = path.relative_to(root).as_posix().encode()
    data = path.read_bytes()
    digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
    digest.update(data)


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve()
    digest = hashlib.sha256()
    digest.update(b"chainkit-setup-v1\0" + sys.version.encode() + b"\0")
    for name in _SETUP:
        _add(digest, root, root / "actions" / "setup" / name)
    _add(digest, root, root / "pyproject.toml")
    package = root / "scripts" / "chainkit"
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(package, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                raise SystemExit(f"key.py: {Path(dirpath) / d} is a symlink: refusing")
        files.extend(Path(dirpath) / f for f in filenames if not f.endswith(".pyc"))
    for path in sorted(files):
        _add(digest, root, path)
    print(digest.hexdigest())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
