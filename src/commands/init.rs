use std::process::ExitCode;

use runlake_lake::Lake;

use super::{CmdResult, store_options};
use crate::cli::InitArgs;
use crate::output::print;

pub async fn run(args: InitArgs) -> CmdResult {
    let lake = &args.lake;
    Lake::create_with_delta(&lake.lake, &store_options(lake), !args.no_delta).await?;
    let delta = if args.no_delta {
        "without a Delta log"
    } else {
        "with a Delta log beside each table"
    };
    print(&format!(
        "created an empty lake at {} (version 0, {delta})\n",
        lake.lake
    ))?;
    Ok(ExitCode::SUCCESS)
}
