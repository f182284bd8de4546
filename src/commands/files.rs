use std::process::ExitCode;

use super::{CmdResult, open, table};
use crate::cli::FilesArgs;
use crate::output::print;

pub async fn run(args: FilesArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let table = table(&args.table)?;
    let manifest = match args.version {
        Some(v) => lake.version(v).await?,
        None => lake.latest().await?,
    };
    let mut text = String::new();
    if let Some(state) = manifest.table(table) {
        for f in &state.files {
            text.push_str(&lake.display_path(&f.path));
            text.push('\n');
        }
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
