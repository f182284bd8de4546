//! One module per subcommand; each returns an exit code or an error for `main` to print.

mod compact;
mod convert;
mod convert_summary;
mod delta;
mod files;
mod gc;
mod generate;
mod init;
mod inspect;
mod lineage;
mod log;
mod names;
mod plot;
mod query;
mod sync;
mod verify;

use std::process::ExitCode;

use runlake_lake::{Lake, LakeError, StoreOptions};

use crate::cli::{Cli, Command, LakeArg};

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Sync(#[from] runlake_sync::SyncError),
    #[error("{0}")]
    Usage(String),
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Wandb(#[from] runlake_wandb::WandbError),
    #[error(transparent)]
    DataDecide(#[from] runlake_datadecide::ConvertError),
    #[error(transparent)]
    Ingest(#[from] runlake_ingest::IngestError),
    #[error("{0}")]
    Reader(#[from] runlake_reader::ReaderError),
    #[error(transparent)]
    Output(#[from] runlake_reader::OutputError),
}

impl CliError {
    /// A reader closed the pipe (`runlake log | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Io(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            CliError::Output(e) => e.is_closed_pipe(),
            _ => false,
        }
    }
}

pub type CmdResult = Result<ExitCode, CliError>;

pub async fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Init(args) => init::run(args).await,
        Command::Log(args) => log::run(args).await,
        Command::Inspect(args) => inspect::run(args).await,
        Command::Verify(args) => verify::run(args).await,
        Command::Gc(args) => gc::run(args).await,
        Command::Delta(args) => delta::run(args).await,
        Command::Files(args) => files::run(args).await,
        Command::Compact(args) => compact::run(args).await,
        Command::Convert(args) => convert::run(args).await,
        Command::Lineage(args) => lineage::run(args).await,
        Command::Generate(args) => generate::run(args),
        Command::Query(args) => query::query(args).await,
        Command::Curve(args) => query::curve(args).await,
        Command::Select(args) => query::select(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Plot(args) => plot::run(args).await,
        Command::Names(args) => names::run(&args),
    }
}

fn store_options(arg: &LakeArg) -> StoreOptions {
    StoreOptions {
        endpoint: arg.endpoint.clone(),
    }
}

/// Opens an existing lake named on the command line.
pub async fn open(arg: &LakeArg) -> Result<Lake, CliError> {
    Ok(Lake::open_with(&arg.lake, &store_options(arg)).await?)
}

/// Parses a table name given on the command line.
pub fn table(name: &str) -> Result<runlake_lake::Table, CliError> {
    name.parse()
        .map_err(|e: runlake_format::tables::UnknownTable| CliError::Usage(e.to_string()))
}
