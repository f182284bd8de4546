#!/usr/bin/env bash
# Converts a generated post-training export (RUNS runs x STEPS logged steps, SFT and DPO) into
# a lake that already holds the full generated DataDecide eval-results split, then converts one
# more run into that lake. Prints step rows per CPU-second, wall time and peak RSS of each, and
# the format's floor: the CPU the parquet crate alone spends decoding the export's history once
# and encoding the `posttrain_steps` rows written, with the lake's settings.
#
# Usage (from the repository root): crates/runlake-wandb/bench/convert_bench.sh [WORK_DIR]
# RUNS may list several sizes ("200 2000") to compare peak memory; STEPS defaults to 10000.
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/runlake-wandb-bench}
RUNS=${RUNS:-2000}
STEPS=${STEPS:-10000}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/runlake"

cargo build --release --bin runlake
cargo build --release -p runlake-lake --example parquet_floor
FLOOR="$TARGET/release/examples/parquet_floor"
rm -rf "$WORK" && mkdir -p "$WORK"

# field(label, name): a value from /usr/bin/time -v's report.
field() { grep "$2" "$WORK/$1.time" | awk -F': ' '{print $2}'; }

# floor_cpu(mode, args...): the CPU-seconds parquet_floor reports.
floor_cpu() { "$FLOOR" "$@" | awk '{ print $4 }'; }

measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -v "$@" >"$WORK/$label.out" 2>"$WORK/$label.time"
}

"$BIN" generate "$WORK/dd" --seed 1 >/dev/null
measure pretraining "$BIN" convert --lake "$WORK/lake-pretraining" --quiet \
    "$WORK"/dd/eval-results/data/train-*.parquet
echo "pretraining lake: $(du -sh "$WORK/lake-pretraining" | cut -f1), conversion $(field pretraining 'Elapsed (wall clock)') wall"

printf '%-7s %-7s %12s %10s %10s %12s %14s %12s\n' \
    runs steps step_rows wall cpu_s rows/cpu_s peak_rss_MiB one_more_s
for runs in $RUNS; do
    "$BIN" generate --wandb --runs "$runs" --steps "$STEPS" --seed 1 "$WORK/wandb-$runs" >/dev/null
    "$BIN" generate --wandb --runs 1 --first-run "$runs" --steps "$STEPS" --seed 1 \
        "$WORK/wandb-$runs-more" >/dev/null
    # The export just written would otherwise still be flushing to disk during the conversion,
    # adding the kernel's writeback to the measured system time.
    sync
    rm -rf "$WORK/lake" && cp -r "$WORK/lake-pretraining" "$WORK/lake"
    measure "convert-$runs" "$BIN" convert --lake "$WORK/lake" --json "$WORK/wandb-$runs"
    decode=$(floor_cpu decode "$WORK/wandb-$runs"/history/*.parquet)
    # Before the one more run: `posttrain_steps` holds only this conversion's rows (the
    # pretraining lake has none).
    mapfile -t steps < <(find "$WORK/lake/posttrain_steps" -name '*.parquet')
    encode=$(floor_cpu encode posttrain_steps "${steps[@]}")
    measure "more-$runs" "$BIN" convert --lake "$WORK/lake" --json "$WORK/wandb-$runs-more"
    rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["post_training"]["rows_written"]["posttrain_steps"])' "$WORK/convert-$runs.out")
    user=$(field "convert-$runs" 'User time')
    sys=$(field "convert-$runs" 'System time')
    cpu=$(python3 -c "print(round($user + $sys, 2))")
    rss=$(field "convert-$runs" 'Maximum resident set size')
    more_wall=$(field "more-$runs" 'Elapsed (wall clock)')
    printf '%-7s %-7s %12s %10s %10s %12s %14s %12s\n' "$runs" "$STEPS" "$rows" \
        "$(field "convert-$runs" 'Elapsed (wall clock)')" "$cpu" \
        "$(python3 -c "print(int($rows / $cpu))")" "$((rss / 1024))" "$more_wall"
    echo "  format floor: history decoded once $decode CPU-s + rows encoded $encode CPU-s;" \
        "at most $(python3 -c "print(int($rows / ($decode + $encode)))") step rows per CPU-second"
    rm -rf "$WORK/wandb-$runs" "$WORK/wandb-$runs-more"
done
