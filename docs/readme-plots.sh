#!/usr/bin/env bash
# Redraws the README's plots (docs/img/*.png) with the installed runlake (or $RUNLAKE): converts
# the quick start's lake in a scratch folder and runs the README's own `runlake plot` lines
# there, so the images always come from the commands the README shows.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runlake="${RUNLAKE:-runlake}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
ln -s "$repo/testdata" testdata
mkdir -p docs/img
failed=0
while IFS= read -r line; do
    echo "+ $line"
    # The lines are the README's own commands; eval keeps their quoting.
    eval "\"\$runlake\" ${line#runlake }" || failed=1
done < <(grep -E '^runlake (convert .*--lake demo-lake$|plot demo-lake )' "$repo/README.md")
cp docs/img/*.png "$repo/docs/img/" 2>/dev/null || true
exit "$failed"
