use std::process::ExitCode;

use runlake_lake::verify::{repair, verify};

use super::{CmdResult, open};
use crate::cli::VerifyArgs;
use crate::output::{human_bytes, print, print_json};

pub async fn run(args: VerifyArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let report = if args.repair {
        let (written, report) = repair(&lake, args.deep).await?;
        if !args.json && written.commits_written + written.checkpoints_written > 0 {
            print(&format!(
                "{}: Delta log repaired: {} commits and {} checkpoints written\n",
                lake.location(),
                written.commits_written,
                written.checkpoints_written
            ))?;
        }
        report
    } else {
        verify(&lake, args.deep).await?
    };
    if args.json {
        print_json(&report)?;
    } else {
        let mut text = String::new();
        for p in &report.problems {
            let kind = serde_json::to_value(p.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            text.push_str(&format!(
                "{}: {kind}: {}\n",
                lake.display_path(&p.path),
                p.detail
            ));
        }
        for p in &report.delta_lagging {
            text.push_str(&format!(
                "{}: note: {}\n",
                lake.display_path(&p.path),
                p.detail
            ));
        }
        let hashed = if args.deep {
            format!(", {} re-hashed", human_bytes(report.bytes_hashed))
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{}: {} versions, {} files checked{hashed}: {}\n",
            lake.location(),
            report.versions_checked,
            report.files_checked,
            if report.is_sound() {
                "sound".to_owned()
            } else {
                format!("{} problems", report.problems.len())
            }
        ));
        print(&text)?;
    }
    Ok(if report.is_sound() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
