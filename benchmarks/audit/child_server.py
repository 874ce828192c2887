"""The offline database served from a child process: how ``--advisory-db`` worked until
ADR 0005 (docs/adr/0005-offline-osv-service.md), kept here so the measurement that replaced
it can be repeated (``bench_offline_service.py``, mode ``child-server``).

The parent starts ``python child_server.py --serve PATH``; the child loads the index
(through the cache) and serves it with :class:`chainkit.audit.LoopbackOSV` on 127.0.0.1,
prints one JSON line with its URL, and exits when its stdin closes. pip-audit's
``OsvService`` then queries it over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from chainkit.audit import AdvisoryDatabaseError, LoopbackOSV, load_database

__all__ = ["ServedDatabase"]


class ServedDatabase:
    """Load and serve an advisory database from a child process while the context is open.

    The child (this file with ``--serve PATH``) builds or loads the cached index and
    serves it with :class:`LoopbackOSV`; the parent only reads the endpoint's address. Keeping
    the server out of the auditing process means pip-audit's client and the server do not
    share one interpreter lock, and the index loads while pip-audit starts up. The child exits
    when its stdin closes, so it never outlives the parent.
    """

    def __init__(self, path: Path, *, cache_dir: Path | None) -> None:
        self._path = path
        self._cache_dir = cache_dir
        self._proc: subprocess.Popen[str] | None = None
        self._hello: dict[str, Any] = {}

    def start(self) -> None:
        """Start the child (idempotent); :meth:`wait_ready` collects its address."""
        import chainkit

        if self._proc is not None:
            return
        cmd = [sys.executable, __file__, "--serve", str(self._path)]
        if self._cache_dir is not None:
            cmd += ["--cache-dir", str(self._cache_dir)]
        env = dict(os.environ)
        package_root = str(Path(chainkit.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def wait_ready(self) -> None:
        proc = self._proc
        if proc is None:
            self.start()
            proc = self._proc
        assert proc is not None and proc.stdout is not None
        if self._hello:
            return
        line = proc.stdout.readline()
        try:
            hello = json.loads(line) if line else {}
        except ValueError:
            hello = {}
        if "error" in hello:
            self.close()
            raise AdvisoryDatabaseError(str(hello["error"]), remediation=hello.get("remediation"))
        if "url" not in hello:
            self.close()
            raise AdvisoryDatabaseError(
                f"the advisory database server for {self._path} did not start",
                remediation="re-run with -v; check that the database is readable",
            )
        self._hello = hello

    @property
    def base_url(self) -> str:
        self.wait_ready()
        return str(self._hello["url"])

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/v1/query"

    @property
    def record_count(self) -> int:
        self.wait_ready()
        return int(self._hello.get("records", 0))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        # Nothing to flush in the child (its cache is written atomically before it serves).
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ServedDatabase:
        self.start()
        return self

    def __del__(self) -> None:  # never leave a child behind, even on an early error
        with contextlib.suppress(Exception):
            self.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _serve_main(argv: list[str]) -> int:
    """Child entry point: load, serve, print one JSON line, run until stdin closes."""
    import argparse

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    parser = argparse.ArgumentParser(prog="child_server.py --serve")
    parser.add_argument("path", type=Path)
    parser.add_argument("--cache-dir", type=Path)
    args = parser.parse_args(argv)
    try:
        database = load_database(args.path, cache_dir=args.cache_dir)
    except AdvisoryDatabaseError as exc:
        print(json.dumps({"error": exc.message, "remediation": exc.remediation}), flush=True)
        return 2
    with LoopbackOSV(database) as endpoint:
        hello = {"url": endpoint.base_url, "records": len(database), "digest": database.digest}
        print(json.dumps(hello), flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["--serve"]:
        raise SystemExit("usage: child_server.py --serve PATH [--cache-dir DIR]")
    raise SystemExit(_serve_main(sys.argv[2:]))
