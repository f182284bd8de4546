"""Writes the parity fixture: small DataDecide exports in the formats the converter reads.

Run `python3 testdata/parity/make.py` from the repository root after changing it. Every case
the parity test needs is here on purpose:

* a recipe whose display name has a comma (`Dolma1.7 (no math, code)`);
* the HF eval-results rows and datadec's `full_eval` rows of the same checkpoints (same
  values, as datadec builds `full_eval` from the HF data), converted into one lake;
* a perplexity-only checkpoint (C4 4M small aux 2 at step 5735, past MAX_STEP_TO_USE);
* a seed that lacks the final step (C4 4M default stops at 3750; 4M's MAX_STEP_TO_USE is 5725);
* a checkpoint past MAX_STEP_TO_USE with values (Dolma1.7 (no math, code) 4M at 5735).
"""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

SIZES = {"4M": (3_744_832, 32), "6M": (6_010_464, 32)}  # params, batch (datadec constants)
SEEDS = {"default": 0, "small aux 2": 1, "small aux 3": 2}  # datadec SEED_MAP ordinals
TASKS = {"arc_challenge": "acc_uncond", "piqa": "acc_per_char"}  # primary metric policy
COMMA = "Dolma1.7 (no math, code)"

# (recipe, size, seed) -> downstream steps
RUNS = {}
for seed in SEEDS:
    RUNS[(COMMA, "4M", seed)] = [1250, 2500, 3750, 5000, 5725, 5735]
    RUNS[(COMMA, "6M", seed)] = [2500, 5000, 7500, 9182]
    RUNS[("C4", "4M", seed)] = [1250, 2500, 3750] if seed == "default" else [1250, 2500, 3750, 5000, 5725]
# Perplexity-only checkpoint: no downstream row at this step.
PPL_ONLY = [("C4", "4M", "small aux 2", 5735)]


def score(recipe, size, seed, step, task, metric):
    """A deterministic, distinct value per cell."""
    base = {"acc_raw": 0.20, "acc_uncond": 0.25, "acc_per_char": 0.55}[metric]
    rshift = 0.013 if recipe == "C4" else 0.0
    zshift = 0.021 if size == "6M" else 0.0
    seed_jit = [0.0, 0.0071, -0.0043][SEEDS[seed]]
    task_shift = 0.0 if task == "arc_challenge" else 0.031
    return round(base + rshift + zshift + seed_jit + task_shift + 0.01 * math.log1p(step / 1250), 10)


def ppl(recipe, size, seed, step, which):
    base = 90.0 if which == "pile" else 120.0
    return round(base / (1 + step / 2000) + SEEDS[seed] * 0.37 + (5 if recipe == "C4" else 0), 8)


train, full, ppl_rows = [], [], []
for (recipe, size, seed), steps in RUNS.items():
    params, batch = SIZES[size]
    for step in steps:
        tokens = step * batch * 2048
        compute = 6.0 * params * tokens
        wide = {"params": size, "data": recipe, "seed": SEEDS[seed], "step": float(step),
                "tokens": float(tokens), "compute": compute}
        for task, primary in TASKS.items():
            m = {k: score(recipe, size, seed, step, task, k)
                 for k in ("acc_raw", "acc_uncond", "acc_per_char")}
            m = {"primary_metric": m[primary], **m}
            rep = "{" + ", ".join(f"'{k}': {v!r}" for k, v in m.items()) + "}"
            train.append({"params": size, "data": recipe, "seed": seed, "step": float(step),
                          "task": task, "chinchilla": "5xC", "tokens": float(tokens),
                          "compute": compute, "metrics": rep})
            for k, v in m.items():
                wide[f"{task}_{k}"] = v
        pile, c4 = ppl(recipe, size, seed, step, "pile"), ppl(recipe, size, seed, step, "c4_en")
        ppl_rows.append({"params": size, "data": recipe, "seed": seed, "step": float(step),
                         "eval/pile-validation/Perplexity": pile,
                         "eval/c4_en-validation/Perplexity": c4})
        wide["pile-valppl"] = pile
        wide["c4_en-valppl"] = c4
        # datadec's full_eval holds the same checkpoints; the C4 rows are left to HF alone.
        if recipe == COMMA:
            full.append(wide)
for recipe, size, seed, step in PPL_ONLY:
    ppl_rows.append({"params": size, "data": recipe, "seed": seed, "step": float(step),
                     "eval/pile-validation/Perplexity": ppl(recipe, size, seed, step, "pile"),
                     "eval/c4_en-validation/Perplexity": ppl(recipe, size, seed, step, "c4_en")})


def write(rel, rows):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


write("eval-results/train.jsonl", train)
write("ppl-results/ppl.jsonl", ppl_rows)
write("full_eval/full_eval.jsonl", full)
