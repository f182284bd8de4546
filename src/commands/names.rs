use std::process::ExitCode;

use runlake_format::Table;

use super::{CliError, CmdResult};
use crate::cli::NamesArgs;
use crate::output::print;

/// The vocabularies as typed on the command line (`recipe-group` for `recipe group`).
const TYPED: [&str; 7] = [
    "recipe",
    "size",
    "seed",
    "task",
    "metric",
    "recipe-group",
    "table",
];

pub fn run(args: &NamesArgs) -> CmdResult {
    let typed = args.vocabulary.trim();
    let names: Vec<&str> = if typed == "table" {
        Table::ALL.iter().map(|t| t.name()).collect()
    } else {
        runlake_vocab::names(&typed.replace('-', " ")).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown vocabulary `{typed}`{} (the vocabularies: {})",
                runlake_format::suggest::did_you_mean(typed, TYPED),
                TYPED.join(", ")
            ))
        })?
    };
    let mut text = names.join("\n");
    text.push('\n');
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
