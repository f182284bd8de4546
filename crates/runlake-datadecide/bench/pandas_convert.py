"""The straightforward pandas/pyarrow conversion of the eval-results train split, as datadec
does it: parse each `metrics` string with ast.literal_eval, expand to columns, write Parquet.

Usage: pandas_convert.py OUT.parquet TRAIN.parquet...
"""

import ast
import sys

import pandas as pd


def main() -> None:
    out, inputs = sys.argv[1], sys.argv[2:]
    df = pd.concat([pd.read_parquet(p) for p in inputs], ignore_index=True)
    metrics = pd.DataFrame([ast.literal_eval(m) for m in df["metrics"]])
    df = pd.concat([df.drop(columns=["metrics"]), metrics], axis=1)
    df["step"] = df["step"].astype("int64")
    df.to_parquet(out, compression="zstd", index=False)
    print(f"{len(df)} rows, {len(df.columns)} columns")


if __name__ == "__main__":
    main()
