//! `cargo run --release -p runlake-datadecide --example dd_convert -- LAKE INPUT...`
//! Converts like `runlake convert` and prints the JSON summary.
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
