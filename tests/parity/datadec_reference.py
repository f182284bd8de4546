"""datadec's answers on the parity fixture, computed the way datadec computes them (pandas).

A small re-implementation from datadec's semantics (drothermel/datadec: `parsing.py` pivots the
HF eval-results to `{task}_{metric}` columns, renames ppl-results to `<set>-valppl`, maps seeds
to `SEED_MAP` ordinals, merges on (params, data, seed, step) and derives tokens and compute per
size from the eval-results maxima; `df_utils.create_mean_std_df` averages over seeds;
`filter_by_max_step_to_use` keeps steps up to `MAX_STEP_TO_USE`; `select_subset` filters
tokens and seeds; the final value is the row of most tokens after dropping NaN), not a copy of
its code.

Usage: datadec_reference.py FIXTURE_DIR OUT_JSON
Writes {"mean": [...], "final": [...], "tokens": [...]}, each row
{"data", "params", "task", "step", "mean", "std", "count"} (std null where pandas gives NaN).
"""

import ast
import json
import math
import sys

import pandas as pd

SEED_MAP = {"default": 0, "small aux 2": 1, "small aux 3": 2, "large aux 2": 3, "large aux 3": 4}
MAX_STEP_TO_USE = {"4M": 5725, "6M": 9182}  # the fixture's sizes
PPL_SETS = {"pile": "ppl_pile", "c4_en": "ppl_c4_en"}
KEY = ["params", "data", "seed", "step"]
MEAN_ID = ["params", "data", "step", "tokens", "compute"]


def load(fixture):
    dwn_raw = pd.read_json(f"{fixture}/eval-results/train.jsonl", lines=True)
    metrics = pd.json_normalize(
        [ast.literal_eval(m.replace("nan", "None")) for m in dwn_raw["metrics"]]
    )
    dwn = pd.concat([dwn_raw.drop(columns=["metrics", "chinchilla", "tokens", "compute"]), metrics], axis=1)
    wide = dwn.pivot_table(index=KEY, columns="task", values=list(metrics.columns), aggfunc="first")
    wide.columns = [f"{task}_{metric}" for metric, task in wide.columns]
    wide = wide.reset_index()
    wide["seed"] = wide["seed"].map(SEED_MAP)

    ppl = pd.read_json(f"{fixture}/ppl-results/ppl.jsonl", lines=True)
    ppl = ppl.rename(columns={f"eval/{s}-validation/Perplexity": f"{s}-valppl" for s in PPL_SETS})
    ppl["seed"] = ppl["seed"].map(SEED_MAP)

    df = pd.merge(ppl, wide, on=KEY, how="outer")
    per_size = dwn_raw[["params", "step", "tokens", "compute"]].groupby("params").max()
    tokens_per_step = (per_size["tokens"] / per_size["step"]).rename("tps")
    compute_per_step = (per_size["compute"] / per_size["step"]).rename("cps")
    df = df.merge(tokens_per_step, left_on="params", right_index=True, how="left")
    df = df.merge(compute_per_step, left_on="params", right_index=True, how="left")
    df["tokens"] = df["step"] * df["tps"]
    df["compute"] = df["step"] * df["cps"]
    return df.drop(columns=["tps", "cps"])


def metric_columns(df):
    cols = [c for c in df.columns if c.endswith("-valppl")]
    cols += [c for c in df.columns if c.endswith("_primary_metric")]
    return cols


def task_of(column):
    if column.endswith("-valppl"):
        return PPL_SETS[column[: -len("-valppl")]]
    return column[: -len("_primary_metric")]


def rows(mean, std, count, column):
    out = []
    for i in mean.index:
        if pd.isna(mean.loc[i, column]):
            continue
        s = std.loc[i, column]
        out.append({
            "data": mean.loc[i, "data"],
            "params": mean.loc[i, "params"],
            "task": task_of(column),
            "step": int(mean.loc[i, "step"]),
            "mean": float(mean.loc[i, column]),
            "std": None if pd.isna(s) else float(s),
            "count": int(count.loc[i, column]),
        })
    return out


def mean_std(df):
    g = df.groupby(MEAN_ID)
    cols = metric_columns(df)
    return g[cols].mean().reset_index(), g[cols].std().reset_index(), g[cols].count().reset_index()


def means(df):
    mean, std, count = mean_std(df)
    return [r for c in metric_columns(df) for r in rows(mean, std, count, c)]


def finals(df):
    df = df[df["step"] <= df["params"].map(MAX_STEP_TO_USE)]
    out = []
    for c in metric_columns(df):
        have = df.dropna(subset=[c])
        mean, std, count = mean_std(have)
        last = mean.loc[mean.groupby(["params", "data"])["tokens"].idxmax()]
        out += rows(last, std.loc[last.index], count.loc[last.index], c)
    return out


def main():
    fixture, out = sys.argv[1], sys.argv[2]
    df = load(fixture)
    # The window reaches the perplexity-only checkpoint at 5735, whose tokens datadec derives.
    lo, hi = 2500 * 32 * 2048, 5735 * 32 * 2048
    subset = df[(df["tokens"] >= lo) & (df["tokens"] <= hi) & df["seed"].isin([1, 2])]
    answer = {"mean": means(df), "final": finals(df), "tokens": means(subset)}
    for v in answer.values():
        assert all(r["std"] is None or math.isfinite(r["std"]) for r in v)
    with open(out, "w") as f:
        json.dump(answer, f, indent=1)


main()
