//! `vigil local …`: this computer as a protected machine (thin calls into `vigil-local`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use vigil_engine::{ApiError, Error, Vigil};
use vigil_local::{LocalConnector, Sensor, Watch};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Scan this computer once (Downloads, temp and autostart folders, or the DIRs given);
    /// every hit is an alert on this machine, routed like any other.
    Scan {
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Extra YARA rule files.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Check what runs on this computer now: the executables of running processes, what
    /// persistence entries start, and connections to IP indicators; every detection is an
    /// alert on this machine.
    Sweep {
        /// Extra YARA rule files.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Keep watching (Downloads, temp and autostart folders, or the DIRs given) and scan
    /// files as they land, until Ctrl-C.
    Watch {
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Extra YARA rule files.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// This computer's inventory: OS, users, processes, persistence and network connections.
    Inventory,
}

fn read_rules(files: &[PathBuf]) -> Result<Vec<String>, ApiError> {
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map_err(|e| Error::io(format!("cannot read {}", f.display()), e).into())
        })
        .collect()
}

/// Runs one `vigil local` command.
pub async fn run(
    vigil: &Vigil,
    connector: Arc<LocalConnector>,
    command: LocalCommand,
    out: &Output,
) -> Result<(), ApiError> {
    match command {
        LocalCommand::Scan { dirs, rules } => {
            let sensor = Sensor::start(vigil, connector, read_rules(&rules)?).await?;
            let summary = sensor.scan(&dirs).await?;
            out.print(&summary, || crate::text::local_scan(&summary));
        }
        LocalCommand::Sweep { rules } => {
            let sensor = Sensor::start(vigil, connector, read_rules(&rules)?).await?;
            let summary = sensor.sweep().await?;
            out.print(&summary, || crate::text::local_sweep(&summary));
        }
        LocalCommand::Watch { dirs, rules } => {
            let sensor = Arc::new(Sensor::start(vigil, connector, read_rules(&rules)?).await?);
            let json = out.json;
            let watch = Watch::start(sensor.clone(), &dirs, move |hit| {
                Output { json }.print(hit, || crate::text::local_hit(hit));
            })?;
            eprintln!(
                "watching {} on {} (Ctrl-C to stop)",
                watch
                    .folders
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                sensor.machine()
            );
            tokio::signal::ctrl_c()
                .await
                .map_err(|e| Error::io("cannot wait for Ctrl-C", e))?;
            watch.stop();
        }
        LocalCommand::Inventory => {
            let inventory = connector.inventory();
            let value = serde_json::json!({
                "host": inventory.host(),
                "users": inventory.users(),
                "processes": inventory.processes(),
                "persistence": inventory.persistence(),
                "network": inventory.network(),
            });
            Output { json: true }.print(&value, String::new);
        }
    }
    Ok(())
}
