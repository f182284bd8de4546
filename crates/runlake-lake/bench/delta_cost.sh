#!/usr/bin/env bash
# What the Delta log adds to converting the full-scale generated DataDecide eval-results train
# split: bytes of every table's `_delta_log/` against the lake's data bytes, and the time to
# write the log (rebuilt from scratch by the code path every commit uses) against the
# conversion's wall time.
#
# Usage (from the repository root): crates/runlake-lake/bench/delta_cost.sh [WORK_DIR]
set -euo pipefail

WORK=${1:-${TMPDIR:-/tmp}/runlake-delta-bench}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release -p runlake-datadecide --example dd_generate --example dd_convert
cargo build --release -p runlake-lake --example delta_cost
rm -rf "$WORK" && mkdir -p "$WORK"
"$TARGET/release/examples/dd_generate" "$WORK/export" 1 1.0 >/dev/null
TRAIN=("$WORK"/export/eval-results/data/train-*.parquet)
/usr/bin/time -f '%e' -o "$WORK/convert.time" \
    "$TARGET/release/examples/dd_convert" "$WORK/lake" "${TRAIN[@]}" >/dev/null
echo "convert (Delta log included): $(cat "$WORK/convert.time") s wall"
"$TARGET/release/examples/delta_cost" "$WORK/lake"
