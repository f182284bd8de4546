//! Conversion into a lake: idempotence, atomic replacement, path safety, lineage chains, and
//! the real sample exports when `../shared/real` exists.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use common::*;
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::env::real_data;
use runlake_lake::testkit::local_lake;
use runlake_reader::{DataDecide, LakeReader};
use runlake_wandb::{ConvertOptions, convert_paths};

const C: &str = "wandb/ml-moe/ft-scaling/2025_08_21-15_03_00_test_finetune_DD-dolma1_7-4M_main_100M_toks_--learning_rate=5e-06";
const F: &str =
    "wandb/ml-moe/ft-scaling/2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default";

async fn table(lake: &Lake, t: Table) -> RecordBatch {
    let m = lake.latest().await.expect("manifest");
    let batches = lake.read_table(&m, t).await.expect("read");
    arrow::compute::concat_batches(&t.schema(), &batches).expect("concat")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// None of `words` appears in any file's bytes under `dir`, nor in any decoded value of a
/// table (compressed pages could hide them from the byte search).
async fn assert_nowhere_in_lake(lake: &Lake, dir: &Path, words: &[impl AsRef<str>]) {
    for file in files(dir) {
        let bytes = std::fs::read(&file).expect("read");
        for w in words.iter().map(AsRef::as_ref) {
            assert!(
                !bytes.windows(w.len()).any(|b| b == w.as_bytes()),
                "{w} in {}",
                file.display()
            );
        }
    }
    for t in [
        Table::Metadata,
        Table::PosttrainSteps,
        Table::Evals,
        Table::Lineage,
    ] {
        let text = all_text(&table(lake, t).await);
        for w in words.iter().map(AsRef::as_ref) {
            assert!(!text.contains(w), "{w} in {t}");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
}

#[tokio::test]
async fn unchanged_runs_add_nothing_and_newer_exports_replace_a_run() {
    let (tmp, lake) = local_lake().await;
    let export = tmp.path().join("export");
    copy_dir(&testdata().join("wandb/dr_wandb_v3/ft-scaling"), &export);
    let opts = ConvertOptions::default();

    let first = convert_paths(&lake, std::slice::from_ref(&export), &opts)
        .await
        .expect("convert");
    assert_eq!(first.runs_new.len(), 7);
    assert!(first.commit.version.is_some());
    assert_eq!(first.rows_written["posttrain_steps"], 33);
    assert_eq!(table(&lake, Table::PosttrainSteps).await.num_rows(), 33);

    let again = convert_paths(&lake, std::slice::from_ref(&export), &opts)
        .await
        .expect("convert");
    assert_eq!(again.runs_unchanged.len(), 7);
    assert_eq!(again.commit.version, None);
    assert_eq!(again.commit.rows_added, 0);

    // The crashed run is later marked finished and tagged.
    let runs = std::fs::read_to_string(export.join("runs.jsonl")).expect("runs");
    let changed: String = runs
        .lines()
        .map(|l| {
            if l.contains("\"run_id\":\"2025_08_18-22_30_05") {
                l.replace("\"state\":\"crashed\"", "\"state\":\"finished\"")
                    .replace(
                        "[\"finetune\",\"hidden\"]",
                        "[\"finetune\",\"hidden\",\"late\"]",
                    )
            } else {
                l.to_owned()
            }
        })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(export.join("runs.jsonl"), changed).expect("write");
    let third = convert_paths(&lake, std::slice::from_ref(&export), &opts)
        .await
        .expect("convert");
    assert_eq!(third.runs_replaced, vec![F.to_owned()]);
    assert_eq!(third.runs_unchanged.len(), 6);
    let meta = table(&lake, Table::Metadata).await;
    assert_eq!(meta.num_rows(), 7);
    let f = one(&meta, &[("run_uid", F)]);
    assert_eq!(s(&meta, "state", f).as_deref(), Some("finished"));
    let steps = table(&lake, Table::PosttrainSteps).await;
    assert_eq!(steps.num_rows(), 33);
    assert_eq!(rows_where(&steps, &[("run_uid", F)]).len(), 3);
    let lineage = table(&lake, Table::Lineage).await;
    assert_eq!(rows_where(&lineage, &[("child_run_uid", F)]).len(), 4);

    // No personal value from the export in any file of the lake, nor in any decoded cell.
    assert_nowhere_in_lake(
        &lake,
        &tmp.path().join("lake"),
        &[
            "fixture_person",
            "fixture.person@example.invalid",
            "node042",
            "Fixture Person",
        ],
    )
    .await;

    // The chain of the DPO run goes through its SFT parent to pretraining.
    let dd = DataDecide::new(LakeReader::open(&lake, None).await.expect("reader"));
    let chain = dd.lineage("2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07")
        .await
        .expect("chain")
        .expect("known run");
    assert_eq!(chain.links.len(), 2);
    let parents: Vec<_> = chain
        .links
        .iter()
        .map(|l| l.resolved.as_ref().and_then(|r| r.parent_run_uid.clone()))
        .collect();
    assert_eq!(
        parents,
        vec![
            Some(C.to_owned()),
            Some("dd/dolma1_7/4M/default".to_owned())
        ]
    );
    assert_eq!(chain.links[1].same_name.len(), 1);
    let printed = chain.to_string();
    assert!(
        printed.contains("dpo_of wandb/ml-moe/ft-scaling/2025_08_21-15_03_00"),
        "{printed}"
    );
    assert!(
        printed.contains("finetune_of dd/dolma1_7/4M/default @ step 5725"),
        "{printed}"
    );
    assert!(
        printed.contains("duplicate_of wandb/ml-moe/ft-scaling/g7k2m9qa"),
        "{printed}"
    );
}

#[tokio::test]
async fn oe_eval_rows_survive_a_newer_wandb_export() {
    let (tmp, lake) = local_lake().await;
    let export = tmp.path().join("export");
    copy_dir(&testdata().join("wandb/dr_wandb_v3/ft-scaling"), &export);
    convert_paths(
        &lake,
        std::slice::from_ref(&export),
        &ConvertOptions::default(),
    )
    .await
    .expect("convert");
    let dump = testdata().join("oe_eval/dump-2025-11-03_posttrain");
    let s1 = convert_paths(&lake, &[dump], &ConvertOptions::default())
        .await
        .expect("oe-eval");
    assert_eq!(s1.runs_extended, vec![C.to_owned()]);
    let runs = std::fs::read_to_string(export.join("runs.jsonl")).expect("runs");
    std::fs::write(
        export.join("runs.jsonl"),
        runs.replace("\"train_loss\":2.01", "\"train_loss\":2.02"),
    )
    .expect("write");
    let s2 = convert_paths(&lake, &[export], &ConvertOptions::default())
        .await
        .expect("convert");
    assert_eq!(s2.runs_replaced, vec![C.to_owned()]);
    let evals = table(&lake, Table::Evals).await;
    let r = one(&evals, &[("run_uid", C), ("task", "ifeval")]);
    assert_eq!(f(&evals, "primary_score", r), Some(0.41));
}

#[tokio::test]
async fn hostile_run_ids_stay_inside_their_table_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let export = tmp.path().join("export");
    std::fs::create_dir_all(&export).expect("mkdir");
    let id = "../../escape/x:y=z/..";
    std::fs::write(
        export.join("manifest.json"),
        r#"{"entity":"e","project":"p"}"#,
    )
    .expect("write");
    std::fs::write(
        export.join("runs.jsonl"),
        format!("{{\"run\":{{\"run_id\":\"{id}\",\"state\":\"finished\",\"config\":{{\"dpo_beta\":1}},\"summary_metrics\":{{\"oe_eval_metrics/a:b::c=d/../e\":0.5}}}}}}\n"),
    )
    .expect("write");
    std::fs::write(
        export.join("history.jsonl"),
        format!("{{\"run_id\":\"{id}\",\"step\":1,\"metrics\":{{\"train_loss\":1}}}}\n"),
    )
    .expect("write");
    let lake_dir = tmp.path().join("lake");
    let lake = Lake::open_or_create(lake_dir.to_str().expect("utf8"))
        .await
        .expect("lake");
    let summary = convert_paths(&lake, &[export], &ConvertOptions::default())
        .await
        .expect("convert");
    let uid = runlake_format::run_uid::wandb("e", "p", id);
    assert_eq!(summary.runs_new, vec![uid.clone()]);
    let mut top: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["export", "lake"]);
    let allowed = [
        "_runlake",
        "metadata",
        "posttrain_steps",
        "evals",
        "lineage",
    ];
    for file in files(&lake_dir) {
        let rel = file.strip_prefix(&lake_dir).expect("inside the lake");
        let first = rel
            .components()
            .next()
            .expect("component")
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        // A table without rows holds only its Delta log.
        let delta_only = first == "pretrain_ckpts" && rel.starts_with("pretrain_ckpts/_delta_log");
        assert!(
            allowed.contains(&first.as_str()) || delta_only,
            "{}",
            rel.display()
        );
        assert!(!rel.to_string_lossy().contains(".."), "{}", rel.display());
    }
    let meta = table(&lake, Table::Metadata).await;
    assert_eq!(s(&meta, "run_uid", 0), Some(uid));
}

/// A dr_wandb v3 export of one run `r` with one history row per `(step, loss)`.
fn one_run_export(dir: &Path, entity: &str, project: &str, steps: &[(i64, f64)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let manifest = serde_json::json!({"entity": entity, "project": project});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("write");
    std::fs::write(
        dir.join("runs.jsonl"),
        "{\"run\":{\"run_id\":\"r\",\"state\":\"finished\",\"config\":{}}}\n",
    )
    .expect("write");
    let history: String = steps
        .iter()
        .map(|(step, loss)| {
            format!("{{\"run_id\":\"r\",\"step\":{step},\"metrics\":{{\"train_loss\":{loss}}}}}\n")
        })
        .collect();
    std::fs::write(dir.join("history.jsonl"), history).expect("write");
}

#[tokio::test]
async fn runs_whose_ids_differ_only_in_where_a_slash_falls_stay_distinct() {
    let (tmp, lake) = local_lake().await;
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    one_run_export(&a, "lab", "x/y", &[(1, 1.0), (2, 0.5)]);
    one_run_export(&b, "lab/x", "y", &[(1, 9.0)]);
    let summary = convert_paths(&lake, &[a, b], &ConvertOptions::default())
        .await
        .expect("convert");
    let (ua, ub) = ("wandb/lab/x%2Fy/r", "wandb/lab%2Fx/y/r");
    assert_eq!(summary.runs_new, [ua, ub]);
    assert!(summary.report.superseded_records.is_empty());
    let meta = table(&lake, Table::Metadata).await;
    assert_eq!(meta.num_rows(), 2);
    assert_eq!(
        s(&meta, "project", one(&meta, &[("run_uid", ua)])).as_deref(),
        Some("x/y")
    );
    assert_eq!(
        s(&meta, "entity", one(&meta, &[("run_uid", ub)])).as_deref(),
        Some("lab/x")
    );
    // Each run keeps its own history, though both exports call the run `r`.
    let steps = table(&lake, Table::PosttrainSteps).await;
    assert_eq!(rows_where(&steps, &[("run_uid", ua)]).len(), 2);
    let only_b = one(&steps, &[("run_uid", ub)]);
    assert_eq!(f(&steps, "train_loss", only_b), Some(9.0));
}

/// The six real runs and their 2,549 history rows (skipped, or failed under CI, when `../shared/real` is absent).
#[tokio::test]
async fn real_sample_exports() {
    let Some(real) = real_data("dr_ingest-fixtures") else {
        return;
    };
    let runs_path = real.join("wandb_runs_sample.parquet");
    let history_path = real.join("wandb_history_sample.parquet");
    let (tmp, lake) = local_lake().await;
    let summary = convert_paths(
        &lake,
        &[runs_path.clone(), history_path.clone()],
        &ConvertOptions::default(),
    )
    .await
    .expect("convert");
    assert_eq!(summary.runs_new.len(), 6);
    assert_eq!(summary.report.duplicate_history_rows, 0);
    assert!(summary.report.conflicting_steps.is_empty());

    // Per-run history counts match the source.
    let mut inputs = runlake_wandb::model::Inputs::default();
    runlake_wandb::read::read_path(&history_path, &mut inputs).expect("history");
    assert_eq!(inputs.history.len(), 2549);
    let mut source: BTreeMap<String, usize> = BTreeMap::new();
    for h in &inputs.history {
        *source
            .entry(format!("wandb/ml-moe/ft-scaling/{}", h.run_id))
            .or_default() += 1;
    }
    let steps = table(&lake, Table::PosttrainSteps).await;
    assert_eq!(steps.num_rows(), 2549);
    for (run, n) in &source {
        assert_eq!(rows_where(&steps, &[("run_uid", run)]).len(), *n, "{run}");
    }
    let meta = table(&lake, Table::Metadata).await;
    assert_eq!(meta.num_rows(), 6);

    // No email, user name or real name of the source anywhere in the lake.
    let mut runs = runlake_wandb::model::Inputs::default();
    runlake_wandb::read::read_path(&runs_path, &mut runs).expect("runs");
    let personal = runlake_wandb::redact::Redactor::from_runs(&runs.runs);
    let tokens: Vec<String> = personal.tokens().to_vec();
    assert!(
        tokens.iter().any(|t| t.contains('@')),
        "an email is among {tokens:?}"
    );
    assert_nowhere_in_lake(&lake, &tmp.path().join("lake"), &tokens).await;

    // Classification against dr_ingest's expectations.
    let expected: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(real.join("expected_classification.json")).expect("json"),
    )
    .expect("json");
    // Fields runlake reads from a name that dr_ingest leaves out: it extracts nothing from the
    // oldest name form, whose timestamp, checkpoint and seed runlake keeps (its `_main_` is the
    // final checkpoint), and no seed from DPO names. Any other field dr_ingest omits must be
    // absent from runlake's parse too, so no field goes unchecked.
    const OLD: &str = "2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default";
    const DPO: &str = "2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07";
    let runlake_only: BTreeMap<(&str, &str), &str> = BTreeMap::from([
        ((OLD, "timestamp"), "2025_08_18-22_30_05"),
        ((OLD, "initial_checkpoint_recipe"), "dolma1_7"),
        ((OLD, "initial_checkpoint_size"), "4M"),
        ((OLD, "initial_checkpoint_steps"), "main"),
        ((OLD, "seed"), "default"),
        ((DPO, "seed"), "default"),
    ]);
    let millions = |t: &str| {
        t.strip_suffix('M')
            .and_then(|n| n.parse::<f64>().ok())
            .map(|n| format!("{}", n * 1e6))
    };
    let mut mismatches = Vec::new();
    for e in &expected {
        let id = e["run_id"].as_str().expect("id");
        let name = runlake_wandb::runname::parse(id);
        let field = |k: &str| {
            e.get(k)
                .and_then(|v| v.as_str())
                .or_else(|| runlake_only.get(&(id, k)).copied())
                .map(str::to_owned)
        };
        let pairs = [
            (
                "run_type",
                name.run_type.map(str::to_owned),
                field("run_type"),
            ),
            ("timestamp", name.timestamp.clone(), field("timestamp")),
            ("exp_name", name.exp_name.clone(), field("exp_name")),
            (
                "recipe",
                name.recipe.clone(),
                field("initial_checkpoint_recipe"),
            ),
            ("size", name.size.clone(), field("initial_checkpoint_size")),
            // `_Ft_` names state no step.
            ("step", name.step.clone(), field("initial_checkpoint_steps")),
            ("seed", name.seed.clone(), field("seed")),
            ("lr", name.lr.clone(), field("lr").or(field("lr2"))),
            ("parent_lr", name.parent_lr.clone(), field("lr1")),
            (
                "comparison_size",
                name.comparison_size.clone(),
                field("comparison_model_size"),
            ),
            (
                "comparison_metric",
                name.comparison_metric.clone(),
                field("comparison_metric"),
            ),
            (
                "tokens_per_epoch",
                name.finetune_tokens_per_epoch.map(|t| format!("{t}")),
                field("num_finetune_tokens_per_epoch")
                    .map(|t| millions(&t).expect("tokens in millions")),
            ),
            (
                "epochs",
                name.finetune_epochs.map(|n| n.to_string()),
                field("num_finetune_epochs"),
            ),
            // dr_ingest's processed output reads "100Mt" as 1e14 tokens; it is 1e8.
            (
                "tokens",
                name.finetune_tokens.map(|t| format!("{t}")),
                field("num_finetune_tokens").map(|t| match t.as_str() {
                    "100Mt" => "100000000".to_owned(),
                    other => other.to_owned(),
                }),
            ),
        ];
        for (what, ours, theirs) in pairs {
            if ours != theirs {
                mismatches.push(format!(
                    "{id}: {what}: runlake {ours:?}, expected {theirs:?}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // The old run: dr_ingest stops at "old"; its name still states the checkpoint, which
    // lineage uses (dolma1_7 / 4M / main / default).
    let old = one(
        &meta,
        &[(
            "run_uid",
            "wandb/ml-moe/ft-scaling/2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default",
        )],
    );
    assert_eq!(s(&meta, "recipe", old).as_deref(), Some("dolma1_7"));
    let dpo = one(&meta, &[("training_type", "dpo")]);
    assert_eq!(f(&meta, "dpo_beta", dpo), Some(5.0));
    let lineage = table(&lake, Table::Lineage).await;
    let r = one(
        &lineage,
        &[
            (
                "child_run_uid",
                s(&meta, "run_uid", dpo).expect("uid").as_str(),
            ),
            ("evidence_source", "resolved"),
        ],
    );
    assert_eq!(s(&lineage, "relation", r).as_deref(), Some("dpo_of"));
    // Its SFT parent's output folder is not among the sample's runs: the parent stays unknown
    // rather than a uid made from the folder's name.
    assert_eq!(s(&lineage, "parent_run_uid", r), None);
    assert_eq!(
        s(&lineage, "rule", r).as_deref(),
        Some("unmatched_post_training_output")
    );
}
