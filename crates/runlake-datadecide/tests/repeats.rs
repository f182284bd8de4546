//! Rows that repeat their checkpoint's and run's facts, as consecutive rows of one checkpoint
//! do: what they note is the same whether the repeat is skipped or not.

mod common;

use common::{Rows, convert};
use runlake_datadecide::ConvertOptions;
use runlake_format::Table;

fn line(step: u32, task: &str, chinchilla: Option<&str>, tokens: f64) -> String {
    let chinchilla = chinchilla.map_or("null".to_owned(), |c| format!("\"{c}\""));
    format!(
        "{{\"params\": \"150M\", \"data\": \"C4\", \"seed\": \"default\", \"step\": {step}, \
         \"task\": \"{task}\", \"chinchilla\": {chinchilla}, \"tokens\": {tokens}, \
         \"compute\": null, \"metrics\": \"{{'acc_raw': 0.5}}\"}}\n"
    )
}

#[test]
fn every_row_that_clashes_is_reported_and_the_first_facts_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tasks = ["arc_easy", "boolq", "csqa"];
    // Three rows of one checkpoint, then three more of it that give other tokens.
    let first: String = tasks
        .iter()
        .map(|t| line(1250, t, Some("1xC"), 491_520_000.0))
        .collect();
    let second: String = ["hellaswag", "piqa", "socialiqa"]
        .iter()
        .map(|t| line(1250, t, Some("2xC"), 1.0))
        .collect();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, first).expect("write");
    std::fs::write(&b, second).expect("write");

    let (tables, summary) = convert(&[a, b], ConvertOptions::default()).expect("convert");
    let clashes: Vec<_> = summary
        .schedule_disagreements
        .iter()
        .filter(|m| m.contains("rows disagree"))
        .collect();
    assert_eq!(clashes.len(), 3, "{:?}", summary.schedule_disagreements);

    let ckpts = Rows(&tables[&Table::PretrainCkpts]);
    let r = ckpts.find("dd/c4/150M/default", 1250, None);
    assert_eq!(ckpts.i64(r, "tokens"), Some(491_520_000));
    let md = Rows(&tables[&Table::Metadata]);
    let extra = md.str(0, "extra_json").expect("extra_json");
    assert!(extra.contains("\"1xC\""), "{extra}");
}

#[test]
fn runs_whose_rows_carry_no_run_facts_still_get_their_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("train.jsonl");
    let text = [
        line(1250, "arc_easy", None, 491_520_000.0),
        line(1250, "boolq", None, 491_520_000.0),
        line(2500, "arc_easy", None, 983_040_000.0),
    ]
    .concat();
    std::fs::write(&path, text).expect("write");
    let (tables, _) = convert(&[path], ConvertOptions::default()).expect("convert");
    assert_eq!(tables[&Table::Metadata].num_rows(), 1);
    assert_eq!(tables[&Table::PretrainCkpts].num_rows(), 2);
}
