"""Child process of :class:`chainkit.audit._osv.child.ServedDatabase`: load, serve, report the URL.

Not imported by the package, so ``python -m chainkit.audit._serve`` runs it cleanly.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from chainkit.audit._errors import AdvisoryDatabaseError
from chainkit.audit._osv.database import load_database
from chainkit.audit._osv.server import LoopbackOSV

__all__: list[str] = []


def _serve_main(argv: list[str]) -> int:
    """Child entry point: load, serve, print one JSON line, run until stdin closes."""
    import argparse

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m chainkit.audit._serve")
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
    raise SystemExit(_serve_main(sys.argv[1:]))
