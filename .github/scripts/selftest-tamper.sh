#!/usr/bin/env bash
# selftest.yml: replace the bytes of the first asset of release TAG in the sandbox (its admin
# endpoint; the stated digest is kept), so that its published bundle no longer matches.
# Sets the step output reached=true once the asset is tampered with.
set -euo pipefail
tag="$1"
repo="${SANDBOX_REPOSITORY:?}"
asset_id=$(curl -fsS -H "Authorization: Bearer ${SANDBOX_READ_TOKEN:?}" \
  "${GITHUB_API_URL:?}/repos/$repo/releases/tags/$tag" |
  jq -r '[.assets[] | select(.name | endswith(".sigstore.json") | not)][0].id')
test -n "$asset_id" && test "$asset_id" != null
printf 'tampered by chainkit selftest\n' |
  curl -fsS -X PUT --data-binary @- \
    "$GITHUB_API_URL/_sandbox/repos/$repo/releases/assets/$asset_id/content?digest=keep" > /dev/null
echo "tampered with asset $asset_id of $tag"
echo "reached=true" >> "$GITHUB_OUTPUT"
