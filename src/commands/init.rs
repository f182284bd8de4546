use std::process::ExitCode;

use runlake_lake::Lake;

use super::{CmdResult, store_options};
use crate::cli::LakeArg;
use crate::output::print;

pub async fn run(args: LakeArg) -> CmdResult {
    Lake::create_with(&args.lake, &store_options(&args)).await?;
    print(&format!(
        "created an empty lake at {} (version 0)\n",
        args.lake
    ))?;
    Ok(ExitCode::SUCCESS)
}
