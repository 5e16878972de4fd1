#!/usr/bin/env bash
# Runs the example projects under examples/ as a user would, against the package as npm installs it:
# each example is copied to a scratch folder, its own dependencies are installed (pinned in its
# package.json) with the packed tarball standing in for the registry's warren-mq, and `npm test` runs.
# The three installs run in parallel; npm's cache makes repeated runs quick.
#
# Usage: scripts/check-examples.sh [tarball] [example ...]   (default: pack the tree; all examples)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/warren-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tarball="${1:-}"
[ -n "$tarball" ] || tarball="$("$root/scripts/pack.sh" "$work")"
shift || true
examples=("$@")
[ ${#examples[@]} -gt 0 ] || examples=(node-test vitest jest)

install() {
  local ex="$1"
  cp -r "$root/examples/$ex" "$work/$ex"
  rm -rf "$work/$ex/node_modules"
  (cd "$work/$ex" && npm install --no-audit --no-fund --no-save --loglevel=warn "$tarball") \
    >"$work/$ex.install.log" 2>&1
}

pids=()
for ex in "${examples[@]}"; do
  install "$ex" &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "check-examples: npm install failed for ${examples[$i]}:" >&2
    tail -20 "$work/${examples[$i]}.install.log" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
for ex in "${examples[@]}"; do
  if grep -q EBADENGINE "$work/$ex.install.log"; then
    echo "check-examples: a dependency of $ex does not support this Node version:" >&2
    grep EBADENGINE "$work/$ex.install.log" >&2
    exit 1
  fi
done

for ex in "${examples[@]}"; do
  echo "check-examples: $ex"
  if ! (cd "$work/$ex" && npm test --silent) >"$work/$ex.test.log" 2>&1; then
    echo "check-examples: $ex failed:" >&2
    tail -40 "$work/$ex.test.log" >&2
    exit 1
  fi
done
echo "check-examples: ok (${examples[*]})"
