//! Builds a lake from the plot example data set, for trying `runlake plot`:
//!
//! ```sh
//! cargo run -p runlake-plot --example fixture_lake -- testdata/plot /tmp/plot-lake
//! ```

use runlake_format::Table;
use runlake_lake::Lake;
use runlake_plot::rows::batch_from_json_lines;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: fixture_lake DATA_DIR LAKE".into());
    };
    let lake = Lake::open_or_create(&out).await?;
    let mut tx = lake.transaction("fixture", "plot example data set");
    for table in Table::ALL {
        let path = std::path::Path::new(&data).join(format!("{}.jsonl", table.name()));
        let text = std::fs::read_to_string(&path)?;
        let batch = batch_from_json_lines(table, &text, &path.display().to_string())?;
        tx.upsert(table, batch)?;
    }
    let outcome = tx.commit().await?;
    match outcome.version {
        Some(v) => eprintln!("{out}: version {v}, {} rows added", outcome.rows_added),
        None => eprintln!("{out}: already holds the data set; no new version"),
    }
    Ok(())
}
