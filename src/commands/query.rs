//! `query`, `curve` and `select`: the reader on the command line.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use futures::StreamExt;
use runlake_reader::arrow::array::RecordBatch;
use runlake_reader::display::{display_schema, with_display_names};
use runlake_reader::{
    BatchWriter, CurveValue, DataDecide, FinalRule, LakeReader, MetricType, OutputFormat, Scan,
    Selection,
};

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
    if args.select.is_empty() && args.out.format == "table" {
        return write_overview(scan, &args.out).await;
    }
    write_scan(scan, &args.out).await
}

/// A table on a terminal with no columns chosen: the columns with values, without the JSON
/// blobs, and a note on standard error saying what was left out and how to see it.
async fn write_overview(scan: Scan, out: &OutputArgs) -> CmdResult {
    let schema = scan.schema()?;
    let mut batches = Vec::new();
    let mut stream = scan.execute().await?;
    while let Some(batch) = stream.next().await {
        batches.push(batch?);
    }
    let shown = runlake_reader::overview::overview_columns(&batches, &schema);
    let projected = Arc::new(schema.project(&shown).map_err(arrow_usage)?);
    let mut writer = BatchWriter::new(format(out)?, &projected, sink(out)?)?;
    for batch in &batches {
        writer.write(&batch.project(&shown).map_err(arrow_usage)?)?;
    }
    writer.finish()?;
    let hidden = schema.fields().len() - shown.len();
    if hidden > 0 {
        eprintln!(
            "{hidden} of {} columns not shown (empty in every row, or JSON documents); \
             --select a,b picks columns, --format csv or json prints them all",
            schema.fields().len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn arrow_usage(e: runlake_reader::arrow::error::ArrowError) -> CliError {
    CliError::Usage(format!("selecting the columns to show: {e}"))
}

pub async fn curve(args: CurveQueryArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let dd = DataDecide::new(LakeReader::open(&lake, None).await?);
    let metric = args.metric.as_deref().unwrap_or("primary_score");
    if !runlake_reader::is_metric(metric) {
        return Err(runlake_reader::ReaderError::UnknownName {
            kind: "metric",
            value: metric.to_owned(),
        }
        .into());
    }
    let value = CurveValue::Eval {
        task: args.task,
        metric: metric.to_owned(),
    };
    let curve = dd.chain_curve(&args.run, &value).await?;
    // What could not be placed on the axis is told, never dropped silently.
    for note in &curve.curve.notes {
        eprintln!("note: {note}");
    }
    write_batch(&curve.to_batch()?, &args.out)
}

pub async fn select(args: SelectArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let dd = DataDecide::new(LakeReader::open(&lake, None).await?);
    let bounds =
        |lo: Option<i64>, hi: Option<i64>| (lo.is_some() || hi.is_some()).then_some((lo, hi));
    let mut tasks = args.task;
    if let Some(family) = &args.metric_type {
        let family = MetricType::parse(family).map_err(|e| CliError::Usage(e.to_string()))?;
        tasks.extend(family.tasks().into_iter().map(str::to_owned));
    }
    let selection = Selection {
        recipes: args.recipe,
        sizes: args.size,
        seeds: args.seed,
        tasks,
        metrics: args.metric,
        recipe_groups: args.recipe_group,
        exclude_recipes: args.exclude_recipe,
        exclude_sizes: args.exclude_size,
        params: (args.min_params, args.max_params),
        steps: bounds(args.min_step, args.max_step),
        tokens: bounds(args.token_min, args.token_max),
    };
    let rule = final_rule(&args.final_rule)?;
    let scan = match (args.final_only, args.mean_over_seeds) {
        (true, true) => dd.final_checkpoints_by(&selection, rule)?,
        (true, false) => dd.final_rows(&selection, rule)?,
        (false, true) => dd.mean_over_seeds(&selection)?,
        (false, false) => dd.select(&selection)?,
    };
    if args.explain {
        print(&format!("{}\n", scan.explain().await?))?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.verbose {
        for u in dd.source_use(&selection).await? {
            eprintln!(
                "source {}: {} rows, {} used, {} shadowed by a preferred source",
                u.source,
                u.rows,
                u.used,
                u.rows - u.used
            );
        }
        if args.final_only {
            eprintln!("final checkpoints: {}", rule.name());
            for note in dd.final_notes(&selection, rule).await? {
                eprintln!("note: {note}");
            }
        }
    }
    if args.wide {
        let schema = scan.schema()?;
        let batches = scan.collect().await?;
        let wide = runlake_reader::widen(&schema, &batches)?;
        let wide = if args.names == "display" {
            with_display_names(&wide)?
        } else {
            wide
        };
        write_batch(&wide, &args.out)
    } else if args.names == "display" {
        write_display_names(scan, &args.out).await
    } else {
        write_scan(scan, &args.out).await
    }
}

/// Parses a `--final-rule` value.
pub fn final_rule(name: &str) -> Result<FinalRule, CliError> {
    [FinalRule::MaxStepToUse, FinalRule::PerSeedLast]
        .into_iter()
        .find(|r| r.name() == name)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "unknown final rule `{name}` (use max-step-to-use or per-seed-last)"
            ))
        })
}

async fn write_display_names(scan: Scan, out: &OutputArgs) -> CmdResult {
    let schema = Arc::new(display_schema(scan.schema()?.as_ref()));
    let mut writer = BatchWriter::new(format(out)?, &schema, sink(out)?)?;
    let mut stream = scan.execute().await?;
    while let Some(batch) = stream.next().await {
        writer.write(&with_display_names(&batch?)?)?;
    }
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}
