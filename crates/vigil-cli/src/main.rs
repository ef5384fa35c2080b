//! `vigil`: Vigil from the command line. Every subcommand is one call into the engine's
//! facade; `--json` prints machine-readable output, errors exit non-zero with one line.

mod agents;
mod local;
mod output;
mod progress;
mod text;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vigil_engine::domain::{AutomationLevel, InvestigationStatus};
use vigil_engine::{bench, ActionFilter, ApiError, Error, InvestigationFilter, OpenOptions, Vigil};
use vigil_local::{LocalConfig, LocalConnector};

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
    /// Load the demo environment (a small office with an attack in progress) into an empty store.
    Demo {
        /// A group at another automation level than the office's own, as GROUP=LEVEL
        /// (e.g. Workstations=full); may be repeated.
        #[arg(long = "level", value_name = "GROUP=LEVEL")]
        levels: Vec<String>,
    },
    /// Counts of machines, alerts, investigations, events and pending actions.
    Status,
    /// Machines with their group, automation level and risk, most at risk first.
    Machines,
    /// Alerts, newest first.
    Alerts {
        /// Only this machine's alerts.
        #[arg(long)]
        machine: Option<String>,
    },
    /// Start an automated investigation on a machine or from an alert, and run it.
    Investigate {
        /// The machine's name.
        #[arg(long, conflicts_with = "alert", required_unless_present = "alert")]
        machine: Option<String>,
        /// The alert's id.
        #[arg(long)]
        alert: Option<u32>,
    },
    /// Investigations, newest first.
    Investigations {
        /// Only this status (e.g. pending_action, remediated).
        #[arg(long)]
        status: Option<String>,
        /// Only investigations with this machine in scope.
        #[arg(long)]
        machine: Option<String>,
    },
    /// Everything about one investigation.
    Investigation { id: u32 },
    /// Cancel an investigation (its pending actions are rejected).
    Cancel { id: u32 },
    /// Remediation actions: pending, history, or all.
    Actions {
        /// Only the actions waiting for a decision.
        #[arg(long, conflicts_with = "history")]
        pending: bool,
        /// Only the decided ones (automatic and manual), whatever their result.
        #[arg(long)]
        history: bool,
    },
    /// Approve pending actions (one, or several of the same type) and run them.
    Approve {
        #[arg(required = true)]
        ids: Vec<u32>,
        /// A note kept with the decision.
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject pending actions (one, or several of the same type).
    Reject {
        #[arg(required = true)]
        ids: Vec<u32>,
        /// Why, kept with the decision.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Mark approved actions that wait for a machine (no connector) as done by hand.
    Done {
        #[arg(required = true)]
        ids: Vec<u32>,
        /// What was done, kept with the action.
        #[arg(long)]
        note: String,
    },
    /// Undo succeeded actions that can be reversed.
    Undo {
        #[arg(required = true)]
        ids: Vec<u32>,
    },
    /// Machine groups with their rules, automation level and machines.
    Groups,
    /// Change a machine group.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Export data.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Import telemetry: EVTX and JSON-lines files or folders (zipped or not).
    Import {
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
    },
    /// Sigma rules: Vigil's own, SigmaHQ's Windows rules, and rule folders you add.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Threat intelligence (IOC lists).
    Intel {
        #[command(subcommand)]
        command: IntelCommand,
    },
    /// Benchmarks that print numbers (run a release build on a new --db file).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Finish work a crash or kill interrupted (also done before every command that works).
    Recover,
    /// This computer as a protected machine: scans, watcher, inventory.
    Local {
        #[command(subcommand)]
        command: local::LocalCommand,
    },
    /// Listen for the agents on the office's machines until Ctrl-C (the console's side).
    Serve {
        /// host:port to listen on.
        #[arg(long, default_value_t = format!("0.0.0.0:{}", vigil_engine::domain::AGENT_PORT))]
        listen: String,
    },
    /// The agents on the office's machines: enrolment tokens, the list, revocation.
    Agents {
        #[command(subcommand)]
        command: agents::AgentsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BenchWhat {
    /// Investigation latency on a large store, and an alert storm. With --real, on one
    /// machine holding --events events replicated from real telemetry (e.g. the attack
    /// samples), investigations started from real rule hits.
    Investigations {
        #[arg(long, default_value_t = 1000)]
        machines: u32,
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        #[arg(long, default_value_t = 200)]
        samples: u32,
        #[arg(long, default_value_t = 10_000)]
        storm: u32,
        /// EVTX or JSON-lines files or folders to replicate (real shape).
        #[arg(long, num_args = 1..)]
        real: Vec<PathBuf>,
    },
    /// How long the dashboard takes on a store of many settled investigations.
    Dashboard {
        #[arg(long, default_value_t = 100_000)]
        investigations: u32,
        #[arg(long, default_value_t = 20)]
        runs: u32,
    },
    /// Import throughput end to end beside the raw EVTX parse rate (add rule folders first
    /// with `vigil rules add`).
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Add a folder of your own Sigma rules; used by every later import (a rule with the
    /// id of a shipped one replaces it).
    Add { dir: PathBuf },
    /// The rules imports run: Vigil's own, SigmaHQ's (and where they came from), your
    /// folders.
    List,
    /// Take SigmaHQ's Windows rules from a newer release, offline: one of their release
    /// zips (sigma_all_rules.zip, sigma_core.zip…) or an unpacked folder or checkout. Used
    /// instead of the shipped ones from then on; a bad release changes nothing.
    Update {
        #[arg(value_name = "FILE|DIR")]
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum IntelCommand {
    /// Import an IOC list: CSV (type,value[,description], or columns a header names), one
    /// indicator per line, or a STIX 2.1 bundle. Its new indicators are also looked up in
    /// the telemetry already imported.
    Import { file: PathBuf },
    /// The IOC lists held, newest first.
    List,
    /// Forget the indicators of one list (by the name `list` shows); its alerts stay.
    Remove { source: String },
}

#[derive(Debug, Subcommand)]
enum GroupCommand {
    /// Set the automation level: not_protected, semi_any, semi_non_temp, semi_core, full.
    SetLevel { name: String, level: String },
}

#[derive(Debug, Subcommand)]
enum ExportWhat {
    /// The investigations list.
    Investigations {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
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
    match runtime.block_on(run(cli, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out.error(&error);
            ExitCode::FAILURE
        }
    }
}

fn who() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("{u} (cli)"))
        .unwrap_or_else(|_| "cli".into())
}

/// An automation level by its name (`full`, `semi_any`, …), or an error that lists them.
fn automation_level(level: &str) -> Result<AutomationLevel, ApiError> {
    AutomationLevel::parse(level).ok_or_else(|| {
        let known: Vec<_> = AutomationLevel::ALL.iter().map(|l| l.as_str()).collect();
        ApiError::from(Error::InvalidInput(format!(
            "unknown automation level {level:?}; use one of: {}",
            known.join(", ")
        )))
    })
}

fn status_arg(status: Option<String>) -> Result<Option<InvestigationStatus>, ApiError> {
    status
        .map(|s| {
            InvestigationStatus::parse(&s).ok_or_else(|| {
                let known: Vec<_> = InvestigationStatus::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                ApiError::from(Error::InvalidInput(format!(
                    "unknown status {s:?}; use one of: {}",
                    known.join(", ")
                )))
            })
        })
        .transpose()
}

async fn run(cli: Cli, out: &Output) -> Result<(), ApiError> {
    let db = vigil_engine::paths::resolve_db_path(cli.db.as_deref())?;
    // Diagnostics on stderr (and in the store's log folder) only when asked for, so that
    // the output stays what scripts read.
    let _log = std::env::var_os("RUST_LOG")
        .and_then(|_| vigil_engine::logging::init(&vigil_engine::paths::data_dir_of(&db), "warn"));
    let connector = LocalConnector::new(LocalConfig::for_store(&db));
    let vigil = Vigil::open(OpenOptions {
        db: Some(db.clone()),
        connectors: vec![connector.clone()],
    })
    .await?;
    match cli.command {
        Command::Demo { levels } => {
            let levels = levels
                .iter()
                .map(|pair| {
                    let (group, level) = pair.split_once('=').ok_or_else(|| {
                        ApiError::from(Error::InvalidInput(format!(
                            "--level {pair:?}: write it as GROUP=LEVEL, e.g. Workstations=full"
                        )))
                    })?;
                    Ok((group.trim().to_string(), automation_level(level.trim())?))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let summary = vigil.load_demo_with_levels(&levels).await?;
            out.print(&summary, || text::demo(&summary));
        }
        Command::Status => {
            let overview = vigil.overview().await?;
            out.print(&overview, || text::overview(&overview));
        }
        Command::Machines => {
            let machines = vigil.machines().await?;
            out.print(&machines, || text::machines(&machines));
        }
        Command::Alerts { machine } => {
            let alerts = vigil.alerts(machine.as_deref()).await?;
            out.print(&alerts, || text::alerts(&alerts));
        }
        Command::Investigate { machine, alert } => {
            let details = match (machine, alert) {
                (Some(machine), _) => vigil.investigate_machine(&machine, &who()).await?,
                (None, Some(alert)) => vigil.investigate_alert(alert, &who()).await?,
                (None, None) => {
                    return Err(
                        Error::InvalidInput("name --machine NAME or --alert ID".into()).into(),
                    )
                }
            };
            out.print(&details, || text::investigation(&details));
        }
        Command::Investigations { status, machine } => {
            let filter = InvestigationFilter {
                status: status_arg(status)?,
                machine,
            };
            let rows = vigil.investigations(&filter).await?;
            out.print(&rows, || text::investigations(&rows));
        }
        Command::Investigation { id } => {
            let details = vigil.investigation(id).await?;
            out.print(&details, || text::investigation(&details));
        }
        Command::Cancel { id } => {
            let details = vigil.cancel_investigation(id, &who()).await?;
            out.print(&details, || text::investigation(&details));
        }
        Command::Actions { pending, history } => {
            let filter = if pending {
                ActionFilter::Pending
            } else if history {
                ActionFilter::History
            } else {
                ActionFilter::All
            };
            let actions = vigil.actions(filter).await?;
            out.print(&actions, || text::actions(&actions));
        }
        Command::Approve { ids, note } => {
            let actions = vigil.approve(&ids, &who(), note.as_deref()).await?;
            out.print(&actions, || text::actions(&actions));
        }
        Command::Reject { ids, reason } => {
            let actions = vigil.reject(&ids, &who(), reason.as_deref()).await?;
            out.print(&actions, || text::actions(&actions));
        }
        Command::Done { ids, note } => {
            let actions = vigil.mark_done(&ids, &who(), &note).await?;
            out.print(&actions, || text::actions(&actions));
        }
        Command::Undo { ids } => {
            let actions = vigil.undo(&ids, &who()).await?;
            out.print(&actions, || text::actions(&actions));
        }
        Command::Groups => {
            let groups = vigil.groups().await?;
            out.print(&groups, || text::groups(&groups));
        }
        Command::Group {
            command: GroupCommand::SetLevel { name, level },
        } => {
            let level = automation_level(&level)?;
            let group = vigil.set_group_level(&name, level).await?;
            out.print(&group, || text::groups(std::slice::from_ref(&group)));
        }
        Command::Export {
            what: ExportWhat::Investigations { format, status },
        } => {
            let filter = InvestigationFilter {
                status: status_arg(status)?,
                machine: None,
            };
            match format {
                Format::Csv => {
                    let csv = vigil.export_investigations_csv(&filter).await?;
                    output::say(csv.strip_suffix('\n').unwrap_or(&csv));
                }
                Format::Json => {
                    let rows = vigil.investigations(&filter).await?;
                    Output { json: true }.print(&rows, String::new);
                }
            }
        }
        Command::Import { paths } => {
            let progress = progress::Progress::new();
            let summary = vigil.import(&paths, |p| progress.show(p)).await?;
            progress.done();
            out.print(&summary, || text::import(&summary));
        }
        Command::Rules {
            command: RulesCommand::Add { dir },
        } => {
            let (loaded, skipped) = vigil.add_rule_dir(&dir).await?;
            let result = serde_json::json!({ "loaded": loaded, "skipped": skipped });
            out.print(&result, || text::rules_added(&dir, loaded, &skipped));
        }
        Command::Rules {
            command: RulesCommand::List,
        } => {
            let sets = vigil.rule_sets().await?;
            out.print(&sets, || text::rule_sets(&sets));
        }
        Command::Rules {
            command: RulesCommand::Update { path },
        } => {
            let update = vigil.update_sigmahq(&path).await?;
            out.print(&update, || text::sigmahq_updated(&update));
        }
        Command::Intel {
            command: IntelCommand::Import { file },
        } => {
            let summary = vigil.import_intel(&file).await?;
            out.print(&summary, || text::intel(&summary, &file));
        }
        Command::Intel {
            command: IntelCommand::List,
        } => {
            let lists = vigil.intel_lists().await?;
            out.print(&lists, || text::intel_lists(&lists));
        }
        Command::Intel {
            command: IntelCommand::Remove { source },
        } => {
            let gone = vigil.remove_intel_list(&source).await?;
            out.print(
                &serde_json::json!({ "source": source, "removed": gone }),
                || format!("{source}: {gone} indicators removed"),
            );
        }
        Command::Bench {
            what:
                BenchWhat::Investigations {
                    machines,
                    events,
                    samples,
                    storm,
                    real,
                },
        } => {
            if real.is_empty() {
                let result =
                    bench::investigations(&vigil, machines, events, samples, storm).await?;
                Output { json: true }.print(&result, String::new);
            } else {
                let result = bench::real_investigations(&vigil, &real, events, samples).await?;
                Output { json: true }.print(&result, String::new);
            }
        }
        Command::Bench {
            what:
                BenchWhat::Dashboard {
                    investigations,
                    runs,
                },
        } => {
            let result = bench::dashboard(&vigil, investigations, runs).await?;
            Output { json: true }.print(&result, String::new);
        }
        Command::Bench {
            what: BenchWhat::Import { paths },
        } => {
            let result = bench::import(&vigil, &paths).await?;
            Output { json: true }.print(&result, String::new);
        }
        Command::Local { command } => local::run(&vigil, connector, command, out).await?,
        Command::Serve { listen } => agents::serve(&vigil, &listen).await?,
        Command::Agents { command } => agents::run(&vigil, command, out)?,
        Command::Recover => {
            vigil.recover().await?;
            let overview = vigil.overview().await?;
            out.print(&overview, || {
                "recovered; nothing was left unfinished".to_string()
            });
        }
    }
    Ok(())
}
