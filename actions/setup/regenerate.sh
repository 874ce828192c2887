#!/usr/bin/env bash
# Regenerate the hash-pinned requirements of actions/setup (docs/actions.md, "How setup
# pins everything"). Run from anywhere, with Python 3.11 and pip-tools (a developer tool,
# never installed by the action):
#   python3.11 -m pip install pip-tools && bash actions/setup/regenerate.sh
# requirements.txt: pyproject.toml's runtime dependencies, resolved for Python 3.11, with
# the hash of every file PyPI publishes for each pinned version (every platform's wheels
# and the sdist), so Linux and macOS on x86_64 and arm64 all resolve from the same file.
# bootstrap.txt: the pinned pip and the build backend (hatchling and its dependencies).
# PyPI only: the machine's pip configuration (extra indexes, find-links) is ignored.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3.11}"
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$version" != "3.11" ]; then
  echo "regenerate.sh: needs Python 3.11 (got $version from $python); set PYTHON=" >&2
  exit 2
fi
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT
common=(--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url
        --no-emit-find-links --index-url https://pypi.org/simple --resolver backtracking
        --quiet --newline lf)
cd "$root"
CUSTOM_COMPILE_COMMAND="bash actions/setup/regenerate.sh" \
  "$python" -m piptools compile "${common[@]}" \
  --output-file actions/setup/requirements.txt pyproject.toml
CUSTOM_COMPILE_COMMAND="bash actions/setup/regenerate.sh" \
  "$python" -m piptools compile "${common[@]}" \
  --output-file actions/setup/bootstrap.txt actions/setup/bootstrap.in
