//! `query`, `curve` and `select`: the reader on the command line.

use std::io::Write;
use std::process::ExitCode;

use futures::StreamExt;
use runlake_reader::arrow::array::RecordBatch;
use runlake_reader::{BatchWriter, DataDecide, LakeReader, OutputFormat, Scan, Selection};

use super::{CliError, CmdResult, open, table};
use crate::cli::{CurveQueryArgs, OutputArgs, QueryArgs, SelectArgs};
use crate::output::print;

fn sink(out: &OutputArgs) -> Result<Box<dyn Write + Send>, CliError> {
    Ok(match &out.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

fn format(out: &OutputArgs) -> Result<OutputFormat, CliError> {
    out.format.parse().map_err(CliError::Usage)
}

async fn write_scan(scan: Scan, out: &OutputArgs) -> CmdResult {
    let schema = scan.schema()?;
    let mut writer = BatchWriter::new(format(out)?, &schema, sink(out)?)?;
    let mut stream = scan.execute().await?;
    while let Some(batch) = stream.next().await {
        writer.write(&batch?)?;
    }
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn write_batch(batch: &RecordBatch, out: &OutputArgs) -> CmdResult {
    let mut writer = BatchWriter::new(format(out)?, &batch.schema(), sink(out)?)?;
    writer.write(batch)?;
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}

pub async fn query(args: QueryArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let reader = LakeReader::open(&lake, args.version).await?;
    let mut scan = reader.scan(table(&args.table)?);
    if let Some(filter) = &args.filter {
        scan = scan.filter_str(filter)?;
    }
    if !args.select.is_empty() {
        scan = scan.select(&args.select);
    }
    if let Some(n) = args.limit {
        scan = scan.limit(n);
    }
    if args.explain {
        print(&format!("{}\n", scan.explain().await?))?;
        return Ok(ExitCode::SUCCESS);
    }
    write_scan(scan, &args.out).await
}

pub async fn curve(args: CurveQueryArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let dd = DataDecide::new(LakeReader::open(&lake, None).await?);
    let batch = dd
        .curve(&args.run, &args.task, args.metric.as_deref())
        .await?;
    write_batch(&batch, &args.out)
}

pub async fn select(args: SelectArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let dd = DataDecide::new(LakeReader::open(&lake, None).await?);
    let steps = (args.min_step.is_some() || args.max_step.is_some())
        .then_some((args.min_step, args.max_step));
    let selection = Selection {
        recipes: args.recipe,
        sizes: args.size,
        seeds: args.seed,
        tasks: args.task,
        metrics: args.metric,
        steps,
        ..Selection::default()
    };
    let scan = if args.mean_over_seeds {
        dd.mean_over_seeds(&selection)?
    } else {
        dd.select(&selection)?
    };
    write_scan(scan, &args.out).await
}
