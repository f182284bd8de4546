use std::process::ExitCode;

use super::{CliError, CmdResult};
use crate::cli::GenerateArgs;
use crate::output::print_json;

pub fn run(args: GenerateArgs) -> CmdResult {
    if !(args.scale > 0.0 && args.scale <= 1.0) {
        return Err(CliError::Usage(format!(
            "--scale must be in (0, 1], got {}",
            args.scale
        )));
    }
    let summary = runlake_datadecide::generate::generate(&args.out, args.seed, args.scale)?;
    print_json(&summary)?;
    Ok(ExitCode::SUCCESS)
}
