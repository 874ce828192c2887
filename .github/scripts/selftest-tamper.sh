#!/usr/bin/env bash
# selftest.yml: replace the bytes of the first asset of release TAG in the sandbox (its admin
# endpoint; the stated digest is kept), so that its published bundle no longer matches.
# Sets the step output asset=NAME (the tampered asset) once it is tampered with.
set -euo pipefail
tag="$1"
repo="${SANDBOX_REPOSITORY:?}"
api="${SANDBOX_API_URL:?}"
asset=$(curl -fsS -H "Authorization: Bearer ${SANDBOX_READ_TOKEN:?}" \
  "$api/repos/$repo/releases/tags/$tag" |
  jq -c '[.assets[] | select(.name | endswith(".sigstore.json") | not)][0] | {id, name}')
asset_id=$(jq -r .id <<< "$asset")
asset_name=$(jq -r .name <<< "$asset")
[[ "$asset_id" =~ ^[0-9]+$ ]] && [[ "$asset_name" =~ ^[A-Za-z0-9._+-]+$ ]]
printf 'tampered by chainkit selftest\n' |
  curl -fsS -X PUT --data-binary @- \
    "$api/_sandbox/repos/$repo/releases/assets/$asset_id/content?digest=keep" > /dev/null
echo "tampered with asset $asset_id ($asset_name) of $tag"
echo "asset=$asset_name" >> "$GITHUB_OUTPUT"
