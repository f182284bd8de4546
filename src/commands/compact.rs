use std::process::ExitCode;

use runlake_lake::Table;
use runlake_lake::compact::compact;

use super::{CmdResult, open, table};
use crate::cli::CompactArgs;
use crate::output::print;

pub async fn run(args: CompactArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let tables = match &args.table {
        Some(name) => vec![table(name)?],
        None => Table::ALL.to_vec(),
    };
    let mut text = String::new();
    for t in tables {
        let outcome = compact(&lake, t).await?;
        text.push_str(&match outcome.version {
            Some(v) => format!(
                "{t}: {} files replaced by {} in version {v}\n",
                outcome.files_removed, outcome.files_added
            ),
            None => format!("{t}: already compact\n"),
        });
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
