"""Entry point of the background sandbox process started by ``chainkit sandbox up``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from chainkit._internal.output import PrintableFormatter
from chainkit.sandbox._runtime import serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainkit.sandbox._serve")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--seed", type=Path, default=None)
    parser.add_argument("--faults", type=Path, default=None)
    parser.add_argument("--github-port", type=int, default=0)
    parser.add_argument("--sigstore-port", type=int, default=0)
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)  # the sandbox log file; people `cat` it
    handler.setFormatter(PrintableFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    return serve_forever(
        args.dir,
        seed_path=args.seed,
        github_port=args.github_port,
        sigstore_port=args.sigstore_port,
        faults_path=args.faults,
    )


if __name__ == "__main__":
    sys.exit(main())
