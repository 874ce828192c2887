#!/usr/bin/env bash
# chainkit's offline demo: everything runs on this machine, against the sandbox's local
# stand-ins for GitHub and Sigstore (no network, no accounts).
#
#   1. start the sandbox (a demo repository acme/widgets with three old releases)
#   2. sign a file through the local Sigstore and verify it
#   3. plan a backfill of the old releases with a READ-ONLY token
#   4. apply exactly that plan (signing keylessly, uploading bundles, editing notes)
#   5. verify every published bundle and backfill attestation
#   6. stop the sandbox
set -euo pipefail

work=$(mktemp -d "${TMPDIR:-/tmp}/chainkit-demo.XXXXXX")
export CHAINKIT_SANDBOX_DIR="$work/sandbox"
trap 'chainkit sandbox down >/dev/null 2>&1 || true' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. chainkit sandbox up  (state in $CHAINKIT_SANDBOX_DIR)"
eval "$(chainkit sandbox up --env)"   # exports GITHUB_API_URL, GITHUB_TOKEN, CHAINKIT_TRUST_CONFIG
echo "GitHub API: $GITHUB_API_URL"

identity="https://github.com/acme/widgets/.github/workflows/release.yml@refs/heads/main"
issuer="https://token.actions.githubusercontent.com"

say "2. sign a file with sigstore-python through the local Sigstore, verify it with chainkit"
echo "hello from chainkit" > "$work/hello.txt"
sigstore --trust-config "$CHAINKIT_TRUST_CONFIG" sign \
  --identity-token "$(chainkit sandbox token)" "$work/hello.txt"
chainkit verify "$work/hello.txt" --cert-identity "$identity" --cert-oidc-issuer "$issuer" \
  --source-repository acme/widgets

say "3. chainkit backfill plan  (read-only token: no writes, no signing)"
GITHUB_TOKEN=sandbox-read chainkit backfill plan --repo acme/widgets -o "$work/plan.json" \
  --no-fail-on-blocked
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_digest"])' "$work/plan.json")

say "4. chainkit backfill apply  (exactly the approved plan: --expect-digest $digest)"
chainkit backfill apply --plan "$work/plan.json" --expect-digest "$digest" \
  --identity-token "$(chainkit sandbox token)" --state-dir "$work/state" --yes

say "5. chainkit verify --repo acme/widgets  (every signed asset verifies; unsigned ones are listed)"
# v1.1.0's sdist has no independent evidence of its bytes (no GitHub digest, checksum file or
# PyPI hash), so the plan left it unsigned: verify lists it as unsigned and would exit 1
# without --allow-unsigned.
chainkit verify --repo acme/widgets --cert-identity "$identity" --cert-oidc-issuer "$issuer" \
  --allow-unsigned

say "6. done: the release notes now carry a verification section"
python3 - "$GITHUB_API_URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/repos/acme/widgets/releases/tags/v1.2.0") as r:
    print(json.load(r)["body"])
PY
