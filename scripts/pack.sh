#!/usr/bin/env bash
# Packs the package as `npm publish` would and prints the tarball's path. Expects dist/ built
# (`npm run build`); scripts are skipped so packing does not build a second time.
#
# Usage: scripts/pack.sh <destination dir>
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:?usage: scripts/pack.sh <destination dir>}"
mkdir -p "$dest"

if [ ! -f "$root/dist/src/index.js" ]; then
  echo "dist/ is not built: run npm run build first" >&2
  exit 1
fi

name="$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$dest" 2>/dev/null | tail -n 1)"
echo "$dest/$name"
