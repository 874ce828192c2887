#!/usr/bin/env bash
# selftest.yml: list the asset names of release TAG in the sandbox (through its API, read-only
# token), sorted, space-separated, as the step output assets=NAMES; fails on any name outside
# [A-Za-z0-9._+-] (so the list cannot be misread) or on a release without assets.
set -euo pipefail
tag="$1"
names=$(curl -fsS -H "Authorization: Bearer ${SANDBOX_READ_TOKEN:?}" \
  "${SANDBOX_API_URL:?}/repos/${SANDBOX_REPOSITORY:?}/releases/tags/$tag" |
  jq -r '.assets[].name' | LC_ALL=C sort)
[ -n "$names" ]
while IFS= read -r name; do
  [[ "$name" =~ ^[A-Za-z0-9._+-]+$ ]] || { echo "::error::unexpected asset name"; exit 1; }
done <<< "$names"
assets=$(tr '\n' ' ' <<< "$names")
echo "assets of $tag: ${assets% }"
echo "assets=${assets% }" >> "$GITHUB_OUTPUT"
