"""Writes the plot example data set: one JSON-lines file per lake table.

Small and deterministic, modelled on DataDecide checkpoints (tokens = step * batch * 2048,
compute = 6 * params * tokens) and open-instruct post-training logs. Rerun with
`python3 testdata/plot/make.py` from the repository root after changing it.
"""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

SIZES = {  # size: (params, batch, checkpoint steps)
    "60M": (60e6, 96, [1250, 5000, 10000, 20000, 29042]),
    "150M": (150e6, 192, [1250, 5000, 10000, 20000, 30000, 38157]),
}
RECIPES = {"dolma17": 0.0, "c4": -0.02}
SEEDS = {"default": (6198, 0.0), "small-aux-2": (14, 0.01)}

metadata, ckpts, steps, evals, lineage = [], [], [], [], []


def r(v, d=6):
    return round(v, d)


def pretrain_eval(recipe, size, seed, tokens):
    base = 0.2 + 0.05 * math.log10(tokens / 1e8) + RECIPES[recipe] + SEEDS[seed][1]
    return r(base, 4)


for recipe in RECIPES:
    for size, (params, batch, grid) in SIZES.items():
        for seed, (seed_value, jitter) in SEEDS.items():
            uid = f"dd/{recipe}/{size}/{seed}"
            metadata.append({
                "run_uid": uid, "phase": "pretrain", "training_type": "pretrain",
                "source": "dd_hf_train", "recipe": recipe, "size": size, "seed": seed,
                "seed_value": seed_value, "params_nominal": int(params), "batch_size": batch,
                "final_step": grid[-1], "tokens_per_step": batch * 2048,
            })
            for step in grid:
                tokens = step * batch * 2048
                ckpts.append({
                    "run_uid": uid, "step": step, "recipe": recipe, "size": size, "seed": seed,
                    "tokens": tokens, "tokens_expected": tokens, "compute": 6 * params * tokens,
                    "train_loss": r(2.6 + 6.0 / math.sqrt(step / 250) + jitter - RECIPES[recipe], 4),
                    "source": "dd_hf_train",
                })
                score = pretrain_eval(recipe, size, seed, tokens)
                evals.append({
                    "run_uid": uid, "phase": "pretrain", "step": step, "task": "arc_challenge",
                    "task_alias": "arc_challenge:rc::olmes", "source": "dd_hf_train",
                    "suite": "olmes", "recipe": recipe, "size": size, "seed": seed,
                    "primary_metric_name": "acc_per_char", "primary_score": score,
                    "acc_per_char": score, "derived": False, "num_instances": 1172,
                })

# Post-training: (run id, name, type, parent, parent step, lr, steps, tokens per step)
POST = [
    ("sft-a", "sft-d17-150M-step20000-lr5e-6", "sft", "dd/dolma17/150M/default", 20000, 5e-6, 100, 1_000_000),
    ("sft-b", "sft-d17-150M-main-lr2e-5", "sft", "dd/dolma17/150M/default", 38157, 2e-5, 100, 1_000_000),
    ("sft-c", "sft-c4-150M-main-lr5e-6", "sft", "dd/c4/150M/default", 38157, 5e-6, 100, 1_000_000),
    ("dpo-a", "dpo-of-sft-a-lr2e-7", "dpo", "wandb/ml-moe/ft-scaling/sft-a", None, 2e-7, 50, 400_000),
]
for run_id, name, ttype, parent, parent_step, lr, last, tps in POST:
    uid = f"wandb/ml-moe/ft-scaling/{run_id}"
    metadata.append({
        "run_uid": uid, "phase": "posttrain", "training_type": ttype,
        "training_type_reason": "config key", "source": "wandb_v3", "run_name": name,
        "entity": "ml-moe", "project": "ft-scaling", "state": "finished", "final_step": last,
        "learning_rate": lr,
        "hparams": {"learning_rate": json.dumps(lr), "lr_scheduler_type": '"linear"',
                    "num_train_epochs": "1"},
    })
    for step in range(10, last + 1, 10):
        steps.append({
            "run_uid": uid, "training_type": ttype, "step": step, "variant": 0,
            "conflict": False, "learning_rate": lr, "total_tokens": float(step * tps),
            "train_loss": r(1.2 + 1.0 / math.sqrt(step / 10) + (0.1 if lr > 1e-5 else 0.0), 4),
            "epoch": r(step / last, 4),
        })
    for step in (last // 20 * 10, last):
        evals.append({
            "run_uid": uid, "phase": "posttrain", "step": step, "task": "arc_challenge",
            "task_alias": "arc_challenge:rc::olmes:full", "source": "oe_eval_metrics_all",
            "suite": "core_9mcqa", "primary_metric_name": "acc_per_char",
            "primary_score": None, "derived": False, "num_instances": 1172,
        })
    rel = "dpo_of" if ttype == "dpo" else "finetune_of"
    lineage.append({
        "child_run_uid": uid, "parent_run_uid": parent, "parent_step": parent_step,
        "relation": rel, "evidence_source": "resolved", "evidence_value": parent,
        "conflict": False, "resolved": True, "rule": "model_name_or_path",
    })
    lineage.append({
        "child_run_uid": uid, "parent_run_uid": parent, "parent_step": parent_step,
        "relation": rel, "evidence_source": "run_name", "evidence_value": name,
        "conflict": False, "resolved": False,
    })

# Post-training eval scores continue from the parent's score at the boundary.
parent_score = {}
for e in evals:
    if e["phase"] == "pretrain":
        parent_score[(e["run_uid"], e["step"])] = e["primary_score"]
post_score = {}
for run_id, name, ttype, parent, parent_step, lr, last, tps in POST:
    uid = f"wandb/ml-moe/ft-scaling/{run_id}"
    start = post_score[parent] if parent_step is None else parent_score[(parent, parent_step)]
    gain = {"sft": 0.03, "dpo": 0.01}[ttype] * (1.0 if lr < 1e-5 else 0.5)
    for e in evals:
        if e["run_uid"] == uid:
            frac = e["step"] / last
            e["primary_score"] = r(start + gain * frac, 4)
            e["acc_per_char"] = e["primary_score"]
    post_score[uid] = r(start + gain, 4)

for table, rows in [("metadata", metadata), ("pretrain_ckpts", ckpts),
                    ("posttrain_steps", steps), ("evals", evals), ("lineage", lineage)]:
    with open(os.path.join(HERE, f"{table}.jsonl"), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
