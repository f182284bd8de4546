#!/usr/bin/env bash
# Converts the full-scale generated eval-results train split with runlake and with pandas, and
# prints wall time, peak RSS and output vs input bytes for both.
#
# Usage (from the repository root): crates/runlake-datadecide/bench/convert_bench.sh [WORK_DIR]
# Needs a Python with pandas and pyarrow (PYTHON, default .venv/bin/python).
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/runlake-dd-bench}
PYTHON=${PYTHON:-.venv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release -p runlake-datadecide --example dd_generate --example dd_convert
rm -rf "$WORK" && mkdir -p "$WORK"
"$TARGET/release/examples/dd_generate" "$WORK/export" 1 1.0 >/dev/null
TRAIN=("$WORK"/export/eval-results/data/train-*.parquet)
IN_BYTES=$(cat "${TRAIN[@]}" | wc -c)

measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time"
    local wall rss
    wall=$(grep 'Elapsed (wall clock)' "$WORK/$label.time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident set size' "$WORK/$label.time" | awk '{print $NF}')
    echo "$label|$wall|$((rss / 1024))"
}

R=$(measure runlake "$TARGET/release/examples/dd_convert" "$WORK/lake" "${TRAIN[@]}")
P=$(measure pandas "$PYTHON" "$HERE/pandas_convert.py" "$WORK/pandas.parquet" "${TRAIN[@]}")
LAKE_BYTES=$(find "$WORK/lake" -name '*.parquet' -print0 | xargs -0 cat | wc -c)
PANDAS_BYTES=$(wc -c <"$WORK/pandas.parquet")

echo
echo "input: ${#TRAIN[@]} Parquet files, $IN_BYTES bytes"
printf '%-8s %12s %14s %16s\n' tool wall peak_rss_MiB output_bytes
IFS='|' read -r l w m <<<"$R"; printf '%-8s %12s %14s %16s\n' "$l" "$w" "$m" "$LAKE_BYTES"
IFS='|' read -r l w m <<<"$P"; printf '%-8s %12s %14s %16s\n' "$l" "$w" "$m" "$PANDAS_BYTES"
grep -E '"rows_read"|"written"|"version"' "$WORK/runlake.out" | head -8
