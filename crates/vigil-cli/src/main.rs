//! `vigil`: Vigil from the command line. Every subcommand is one call into the engine's
//! facade; `--json` prints machine-readable output, errors exit non-zero with one line.

mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vigil_engine::{ApiError, OpenOptions, Vigil};

use crate::output::Output;

/// Automated investigation and remediation for a small business, on one laptop.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about)]
struct Cli {
    /// The store file (default: VIGIL_DB, else the OS app-data folder).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Counts of machines, alerts, investigations, events and pending actions.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let out = Output { json: cli.json };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out.error(&error);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), ApiError> {
    let out = Output { json: cli.json };
    let vigil = Vigil::open(OpenOptions { db: cli.db }).await?;
    match cli.command {
        Command::Status => {
            let overview = vigil.overview().await?;
            out.print(&overview, || {
                format!(
                    "machines         {}\nalerts           {} ({} active)\ninvestigations   {}\nevents           {}\npending actions  {}",
                    overview.machines,
                    overview.alerts,
                    overview.active_alerts,
                    overview.investigations,
                    overview.events,
                    overview.pending_actions
                )
            })
        }
    }
    Ok(())
}
