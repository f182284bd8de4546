use std::process::ExitCode;

use super::{CliError, CmdResult};
use crate::cli::GenerateArgs;
use crate::output::print_json;

pub fn run(args: GenerateArgs) -> CmdResult {
    if args.wandb {
        let opts = runlake_wandb::generate::GenerateOptions {
            seed: args.seed,
            runs: args.runs,
            first_run: args.first_run,
            steps: args.steps,
            ..runlake_wandb::generate::GenerateOptions::default()
        };
        if opts.runs == 0 || opts.steps == 0 {
            return Err(CliError::Usage(
                "--runs and --steps must be at least 1".to_owned(),
            ));
        }
        let summary = runlake_wandb::generate::generate(&args.out, &opts)?;
        print_json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
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
