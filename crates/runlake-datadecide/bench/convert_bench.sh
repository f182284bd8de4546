#!/usr/bin/env bash
# Converts the full-scale generated eval-results train split with runlake, polars and pandas,
# and prints for each the median over RUNS interleaved runs of wall time, CPU seconds
# (user + system), peak RSS, and the output's bytes; with runlake, also the format's floor: the
# CPU the parquet crate alone spends decoding the input once and encoding the `evals` rows
# written, with the lake's settings.
#
# Usage (from the repository root): crates/runlake-datadecide/bench/convert_bench.sh [WORK_DIR]
# Environment: PYTHON (default .venv/bin/python, with polars, pandas and pyarrow), RUNS
# (default 1), TOOLS (default "runlake polars pandas"), RUNLAKE_MERGE_RUNS=0 to write the lake's
# files unmerged. An existing WORK_DIR/export is reused.
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/runlake-dd-bench}
PYTHON=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-1}
TOOLS=${TOOLS:-runlake polars pandas}
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release -p runlake-datadecide --example dd_generate --example dd_convert
cargo build --release -p runlake-lake --example parquet_floor
mkdir -p "$WORK"
if [ ! -d "$WORK/export/eval-results/data" ]; then
    "$TARGET/release/examples/dd_generate" "$WORK/export" 1 1.0 >/dev/null
fi
TRAIN=("$WORK"/export/eval-results/data/train-*.parquet)
IN_BYTES=$(cat "${TRAIN[@]}" | wc -c)

out_path() { # tool
    case $1 in
        runlake) echo "$WORK/lake" ;;
        *) echo "$WORK/$1.parquet" ;;
    esac
}

measure() { # tool -> appends "wall cpu rss_kib" to WORK/tool.runs
    local out cmd
    out=$(out_path "$1")
    rm -rf "$out"
    case $1 in
        runlake) cmd=("$TARGET/release/examples/dd_convert" "$out" "${TRAIN[@]}") ;;
        polars) cmd=("$PYTHON" "$HERE/polars_convert.py" "$out" "${TRAIN[@]}") ;;
        pandas) cmd=("$PYTHON" "$HERE/pandas_convert.py" "$out" "${TRAIN[@]}") ;;
        *) echo "unknown tool $1" >&2; exit 2 ;;
    esac
    # The output just deleted, and the run before's, would otherwise still be going to disk
    # during the run, adding the kernel's writeback to its system time (up to 4 s of it).
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/$1.time" "${cmd[@]}" >"$WORK/$1.out"
    awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$WORK/$1.time" >>"$WORK/$1.runs"
}

median() { # file, column
    sort -n -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

for tool in $TOOLS; do rm -f "$WORK/$tool.runs"; done
for _ in $(seq "$RUNS"); do
    for tool in $TOOLS; do measure "$tool"; done
done

echo
echo "input: ${#TRAIN[@]} Parquet files, $IN_BYTES bytes; median of $RUNS run(s) each"
printf '%-8s %9s %8s %14s %14s\n' tool wall_s cpu_s peak_rss_MiB output_bytes
for tool in $TOOLS; do
    out=$(out_path "$tool")
    bytes=$(find "$out" -name '*.parquet' -print0 | xargs -0 cat | wc -c)
    rss=$(median "$WORK/$tool.runs" 3)
    printf '%-8s %9s %8s %14s %14s\n' "$tool" "$(median "$WORK/$tool.runs" 1)" \
        "$(median "$WORK/$tool.runs" 2)" "$((rss / 1024))" "$bytes"
done
if [[ " $TOOLS " == *" runlake "* ]]; then
    grep -E '"rows_read"|"written"|"version"' "$WORK/runlake.out" | head -8
    floor=$TARGET/release/examples/parquet_floor
    mapfile -t evals < <(find "$WORK/lake/evals" -name '*.parquet')
    echo "format floor (runlake):"
    "$floor" decode "${TRAIN[@]}"
    "$floor" encode evals "${evals[@]}"
fi
