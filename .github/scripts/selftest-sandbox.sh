#!/usr/bin/env bash
# selftest.yml: start the sandbox (local GitHub and Sigstore stand-ins) and export its connection
# details to the following steps through $GITHUB_ENV: SANDBOX_API_URL goes to the actions'
# `api-url` input (GitHub does not let $GITHUB_ENV override GITHUB_* variables). Needs CHAINKIT
# (the chainkit executable of actions/setup) and ENVIRONMENT_NAME (the `environment` claim of
# the job's identity token).
set -euo pipefail
dir="$RUNNER_TEMP/chainkit-sandbox"
"$CHAINKIT" sandbox up --dir "$dir" --json > "$RUNNER_TEMP/sandbox.json"
identity_token=$("$CHAINKIT" sandbox token --dir "$dir" --repository acme/widgets \
  --environment "$ENVIRONMENT_NAME")
echo "::add-mask::$identity_token"
{
  jq -r '"SANDBOX_API_URL=\(.github_api_url)",
         "CHAINKIT_TRUST_CONFIG=\(.trust_config)",
         "SANDBOX_TOKEN=\(.token)",
         "SANDBOX_READ_TOKEN=\(.read_token)"' "$RUNNER_TEMP/sandbox.json"
  echo "CHAINKIT_SANDBOX_DIR=$dir"
  echo "CHAINKIT_WRITE_INTERVAL=0"
  echo "CHAINKIT_IDENTITY_TOKEN=$identity_token"
  # a gitleaks already here (a local run: CHAINKIT_GITLEAKS or PATH); on GitHub's runners there
  # is none, and the scan action installs the pinned official archive
  echo "SELFTEST_GITLEAKS=${CHAINKIT_GITLEAKS:-$(command -v gitleaks || true)}"
} >> "$GITHUB_ENV"
