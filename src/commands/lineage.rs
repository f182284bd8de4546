use std::process::ExitCode;

use runlake_reader::{DataDecide, LakeReader};

use super::{CliError, CmdResult, open};
use crate::cli::LineageArgs;
use crate::output::{print, print_json};

pub async fn run(args: LineageArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let dd = DataDecide::new(LakeReader::open(&lake, None).await?);
    let Some(chain) = dd.lineage(&args.run).await? else {
        return Err(CliError::Usage(format!(
            "{}: run `{}` has no lineage (is it a converted post-training run? \
             `runlake query LAKE --table metadata --select run_uid,run_name` lists them all)",
            args.lake.lake, args.run,
        )));
    };
    if args.json {
        print_json(&chain)?;
    } else {
        print(&format!("{chain}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
