//! `cargo run --release -p runlake-datadecide --example dd_convert -- LAKE INPUT...`
//! Converts like `runlake convert` and prints the JSON summary. A LAKE of `-` converts into a
//! sink that drops every batch, to measure the converter without the lake's writer.
use std::path::PathBuf;

use runlake_datadecide::{ConvertOptions, convert_files};
use runlake_lake::Lake;

// The allocator `runlake` itself uses, so the example measures what the program does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lake = args.next().ok_or("usage: dd_convert LAKE INPUT...")?;
    let inputs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if lake == "-" {
        let mut drop_batches = |_, _| Ok(());
        let summary = runlake_datadecide::convert_to_sink(
            &inputs,
            ConvertOptions::default(),
            &mut drop_batches,
            &|_| {},
        )?;
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let lake = Lake::open_or_create(&lake).await?;
    // `RUNLAKE_MERGE_RUNS=0` writes each file as sorted runs, to measure what merging costs.
    let merge_runs = std::env::var("RUNLAKE_MERGE_RUNS").map_or(true, |v| v != "0");
    let lake = lake.with_config(runlake_lake::LakeConfig {
        merge_runs,
        ..lake.config().clone()
    });
    let summary = convert_files(&lake, &inputs, ConvertOptions::default(), &|_| {}).await?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
