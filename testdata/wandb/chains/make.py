"""Writes a legacy WandB export of a post-training chain written to be hard.

- An SFT run whose name (and so its output folder) holds `/`, `..`, spaces and `%`; it failed
  and was restarted under the same name, from the same DataDecide checkpoint (4M, step 5725),
  into the same output folder: the restart is a duplicate attempt, not a resumption.
- A DPO run trained from that folder, spelled with `//` and a trailing `/`; its summary holds
  tasks both as nested `oe_eval_metrics/<task>` objects and flat `.../<task>/<metric>` keys,
  once agreeing (arc_challenge: the nested dict lacks the primary score, the flat keys give it)
  and once disagreeing (piqa: the flat acc_raw differs, the flat acc_per_char fills a gap).
- A DPO run trained from a run folder that no converted run wrote: its parent stays unknown.

Rerun with `python3 testdata/wandb/chains/make.py` from the repository root after changing it.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SFT_NAME = "2025_09_01-10_00_00_sft dolma1_7/4M 100%..v2 lr=5e-06"
SFT_DIR = "/weka/models/" + SFT_NAME
HF = "/weka/hf/hub/models--allenai--DataDecide-dolma1_7-4M/snapshots/618a196fffb8d362e0c549f1ef098ec0b4614ff6"


def run(run_id, name, created, state, config, summary):
    return {
        "run_id": run_id,
        "run_name": name,
        "state": state,
        "project": "chains",
        "entity": "ml-moe",
        "created_at": created,
        "config": config,
        "summary": summary,
    }


def history(run_id, steps, tokens_per_step, loss0):
    return [
        {
            "run_id": run_id,
            "step": s,
            "timestamp": f"2025-09-01 10:{s:02d}:00",
            "runtime": 60.0 * s,
            "metrics": {
                "train_loss": round(loss0 - 0.01 * s, 4),
                "total_tokens": s * tokens_per_step,
            },
        }
        for s in steps
    ]


sft_config = {
    "model_name_or_path": HF,
    "model_revision": "step5725-seed-default",
    "output_dir": SFT_DIR,
    "learning_rate": 5e-06,
}
runs = [
    run("sftfail1", SFT_NAME, "2025-09-01T10:00:00Z", "failed", sft_config, {"_step": 3}),
    run(
        "sftok002",
        SFT_NAME,
        "2025-09-01T12:00:00Z",
        "finished",
        sft_config,
        {"_step": 5, "oe_eval_metrics/arc_challenge": {"acc_uncond": 0.31, "primary_score": 0.31}},
    ),
    run(
        "dpo00003",
        "2025_09_02-09_00_00_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default",
        "2025-09-02T09:00:00Z",
        "finished",
        {
            "model_name_or_path": "/weka/models//" + SFT_NAME + "/",
            "output_dir": "/weka/models/2025_09_02-09_00_00_dpo",
            "learning_rate": 2e-07,
            # Disagrees with the checkpoint the name states (main: the final step 5725).
            "pretrain_steps": 5000,
        },
        {
            "_step": 4,
            "oe_eval_metrics/arc_challenge": {"acc_raw": 0.3, "acc_per_char": 0.32, "num_instances": 1172},
            "oe_eval_metrics/arc_challenge/acc_raw": 0.3,
            "oe_eval_metrics/arc_challenge/acc_uncond": 0.33,
            "oe_eval_metrics/arc_challenge/primary_score": 0.33,
            "oe_eval_metrics/piqa": {"acc_raw": 0.6, "primary_score": 0.6},
            "oe_eval_metrics/piqa/acc_raw": 0.65,
            "oe_eval_metrics/piqa/acc_per_char": 0.61,
        },
    ),
    run(
        "dpo00004",
        "2025_09_03-09_00_00_dpo on an sft run nobody exported",
        "2025-09-03T09:00:00Z",
        "finished",
        {"model_name_or_path": "/weka/models/2025_08_30-08_00_00_sft not exported/final"},
        {"_step": 2},
    ),
]
hist = [
    history("sftfail1", [1, 2, 3], 1000, 3.0),
    history("sftok002", [1, 2, 3, 4, 5], 1000, 3.0),
    history("dpo00003", [1, 2, 3, 4], 500, 2.0),
    history("dpo00004", [1, 2], 500, 2.0),
]
with open(os.path.join(HERE, "wandb_runs.jsonl"), "w") as f:
    for r in runs:
        f.write(json.dumps(r) + "\n")
with open(os.path.join(HERE, "wandb_history.jsonl"), "w") as f:
    for h in hist:
        f.write(json.dumps(h) + "\n")
