//! The example data set (`testdata/plot/*.jsonl`) loaded into an in-memory lake.

use runlake_format::Table;
use runlake_lake::Lake;
use runlake_plot::rows::batch_from_json_lines;

pub fn testdata() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/plot")
}

/// A lake holding the example data set, committed as one version.
pub async fn lake() -> Lake {
    let lake = Lake::in_memory();
    let mut tx = lake.transaction("fixture", "plot example data set");
    for table in Table::ALL {
        let path = testdata().join(format!("{}.jsonl", table.name()));
        let text = std::fs::read_to_string(&path).expect("fixture file");
        let batch = batch_from_json_lines(table, &text, &path.display().to_string())
            .expect("fixture rows match the schema");
        tx.upsert(table, batch).expect("upsert");
    }
    tx.commit().await.expect("commit");
    lake
}

/// Tokens of a 150M checkpoint: step * 192 sequences * 2048 tokens.
pub fn tokens_150m(step: i64) -> f64 {
    (step * 192 * 2048) as f64
}
