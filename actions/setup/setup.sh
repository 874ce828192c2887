#!/usr/bin/env bash
# actions/setup: install chainkit from this action's own checkout into a private venv
# under $RUNNER_TEMP, every dependency pinned by hash (docs/actions.md).
#
#   CHAINKIT_SETUP_PYTHON  the interpreter that creates the venv (actions/setup-python's
#                          python-path output, update-environment: false)
#   RUNNER_OS, RUNNER_TEMP, GITHUB_OUTPUT  set by the runner
#
# Outputs: python (the venv's interpreter), chainkit (the venv's chainkit executable).
# Within one job the venv is reused when the key file inside it holds the same key
# (sha256 of interpreter, requirements, setup scripts and chainkit's source, and the
# job's identity); a directory that is a symlink, or whose key file is missing, a
# symlink or different, is never used.
set -euo pipefail

fail() {
  # ::error:: with GitHub's workflow-command escaping (%, CR, LF)
  local text="$1"
  text="${text//'%'/'%25'}"
  text="${text//$'\r'/'%0D'}"
  text="${text//$'\n'/'%0A'}"
  printf '::error title=chainkit setup::%s\n' "$text" >&2
  exit "${2:-2}"
}

case "${RUNNER_OS:-}" in
  Linux | macOS) ;;
  *) fail "chainkit's actions run on Linux and macOS runners only (RUNNER_OS=${RUNNER_OS:-unset}); use a Linux or macOS runner" ;;
esac
case "${RUNNER_ARCH:-X64}" in
  X64 | ARM64) ;;
  *) fail "chainkit's actions need an X64 or ARM64 runner (RUNNER_ARCH=${RUNNER_ARCH})" ;;
esac

python="${CHAINKIT_SETUP_PYTHON:-}"
[ -n "$python" ] || fail "CHAINKIT_SETUP_PYTHON is not set (actions/setup-python's python-path output)"
[ -x "$python" ] || fail "CHAINKIT_SETUP_PYTHON is not an executable: $python"
temp="${RUNNER_TEMP:-}"
[ -n "$temp" ] || fail "RUNNER_TEMP is not set"
[ -d "$temp" ] && [ ! -L "$temp" ] || fail "RUNNER_TEMP is not a directory (or is a symlink): $temp"
[ -n "${GITHUB_OUTPUT:-}" ] || fail "GITHUB_OUTPUT is not set"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"
[ -f "$root/pyproject.toml" ] && [ -d "$root/scripts/chainkit" ] \
  || fail "no chainkit checkout at $root (actions/setup runs from chainkit's own repository)"

version="$("$python" -I -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$version" in
  3.11) ;;
  3.12 | 3.13)
    # the actions always ask setup-python for 3.11; a local runner may hand over another
    # interpreter: the hashes cover every wheel of each pin, and pip check catches a gap
    echo "::warning title=chainkit setup::the pins are resolved for Python 3.11; installing them for $version" >&2 ;;
  *) fail "actions/setup needs Python 3.11 (the pins are resolved for 3.11), got $version" ;;
esac

source_key="$("$python" -I "$here/key.py" "$root")" || fail "could not hash chainkit's source" 3
job="${GITHUB_RUN_ID:-local}.${GITHUB_RUN_ATTEMPT:-1}.${GITHUB_JOB:-job}"
key="$source_key $job"
venv="$temp/chainkit-venv-${source_key:0:16}"
keyfile="$venv/.chainkit-setup-key"

reuse=false
if [ -L "$venv" ]; then
  fail "$venv is a symlink: refusing to use it" 3
elif [ -e "$venv" ]; then
  if [ -d "$venv" ] && [ -f "$keyfile" ] && [ ! -L "$keyfile" ] \
    && [ "$(cat -- "$keyfile")" = "$key" ] && [ -x "$venv/bin/python" ] && [ ! -L "$venv/bin" ]; then
    reuse=true
  else
    echo "chainkit setup: $venv was not made by this job's setup; replacing it" >&2
    rm -rf -- "$venv"
  fi
fi

pip_install() {
  "$venv/bin/python" -I -m pip --isolated install --disable-pip-version-check --no-input --quiet --no-compile "$@"
}

if [ "$reuse" = true ]; then
  echo "chainkit setup: reusing $venv (key ${source_key:0:16})" >&2
else
  started="$(date +%s)"
  "$python" -I -m venv -- "$venv" || fail "could not create the venv $venv" 3
  echo "::group::chainkit setup: pinned bootstrap (pip, hatchling)" >&2
  pip_install --require-hashes --no-deps --only-binary :all: -r "$here/bootstrap.txt" \
    || fail "installing the pinned bootstrap failed (actions/setup/bootstrap.txt)" 3
  # ensurepip of Python 3.11 also puts an unpinned setuptools into every venv: not ours
  if "$venv/bin/python" -I -m pip show --quiet setuptools >/dev/null 2>&1; then
    "$venv/bin/python" -I -m pip uninstall --yes --quiet setuptools >&2 \
      || fail "could not remove the unpinned setuptools from the venv" 3
  fi
  echo "::endgroup::" >&2
  echo "::group::chainkit setup: hash-pinned dependencies" >&2
  pip_install --require-hashes --no-deps --only-binary :all: -r "$here/requirements.txt" \
    || fail "installing the hash-pinned dependencies failed (actions/setup/requirements.txt)" 3
  echo "::endgroup::" >&2
  echo "::group::chainkit setup: chainkit from $root" >&2
  pip_install --no-deps --no-build-isolation --no-index -- "$root" \
    || fail "installing chainkit from $root failed" 3
  echo "::endgroup::" >&2
  "$venv/bin/python" -I -m pip check >&2 || fail "the installed dependencies are inconsistent (pip check)" 3
  tmpkey="$(mktemp "$venv/.key.XXXXXX")"
  printf '%s\n' "$key" > "$tmpkey"
  mv -f -- "$tmpkey" "$keyfile"
  echo "chainkit setup: installed in $(($(date +%s) - started))s into $venv" >&2
fi

"$venv/bin/python" -I -m chainkit --version >&2 || fail "the installed chainkit does not run" 3
for name in python chainkit; do
  path="$venv/bin/$name"
  case "$path" in *$'\n'* | *$'\r'*) fail "unusable path: $path" ;; esac
  printf '%s=%s\n' "$name" "$path" >> "$GITHUB_OUTPUT"
done
