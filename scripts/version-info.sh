#!/usr/bin/env bash
# Writes the build's version and git commit for `lgsr -V` (Maven runs this in generate-resources).
# usage: scripts/version-info.sh VERSION OUTPUT_FILE
set -euo pipefail
version="$1" out="$2"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="unknown (not a git checkout)"
if command -v git >/dev/null 2>&1 && git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  commit="$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  [[ -n "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ]] && commit="$commit (with uncommitted changes)"
fi
mkdir -p "$(dirname "$out")"
text="version=$version"$'\n'"commit=$commit"$'\n'
# unchanged content: leave the file (and the jar) alone
if [[ ! -f $out || "$(cat "$out")"$'\n' != "$text" ]]; then printf '%s' "$text" > "$out"; fi
