"""Check that a downloaded backfill plan is the one the plan job sealed.

Usage: plan_digest.py PLAN_FILE, with EXPECTED_DIGEST (the plan job's ``plan-digest`` output)
in the environment. Compares the file's ``plan_digest`` field with it; ``backfill apply
--expect-digest`` then recomputes the digest over the content. Exit 0 equal, 1 different,
2 unreadable.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    expected = os.environ.get("EXPECTED_DIGEST", "")
    if len(argv) != 1 or not expected:
        print("::error::usage: EXPECTED_DIGEST=... plan_digest.py PLAN_FILE", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a regular file")
        with path.open("rb") as handle:
            data = json.loads(handle.read(64 << 20))
        actual = data["plan_digest"] if isinstance(data, dict) else None
    except (OSError, ValueError, KeyError) as exc:
        print(f"::error::cannot read the plan {path}: {type(exc).__name__}", file=sys.stderr)
        return 2
    if actual != expected:
        print(
            f"::error::the downloaded plan's digest {actual!r} is not the one the plan job "
            f"sealed ({expected}): refusing to apply",
            file=sys.stderr,
        )
        return 1
    print(f"plan digest {expected} matches the plan job's output")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
