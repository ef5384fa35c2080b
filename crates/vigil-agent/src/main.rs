//! `vigil-agent`: the Vigil agent on an office machine. `enrol` reads the token "Add a
//! machine" showed (from a file or stdin, never the command line), makes this machine's key
//! and gets its certificate; `run` senses this machine and keeps a session with the
//! console (its telemetry and alerts out, the console's commands in).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use vigil_agent::run::Agent;
use vigil_channel::agent::AgentDir;

#[derive(Debug, Parser)]
#[command(
    name = "vigil-agent",
    version,
    about = "The Vigil agent on an office machine"
)]
struct Cli {
    /// Where the agent keeps its key, certificate and the console's address (default: the
    /// OS's data folder for vigil-agent).
    #[arg(long, global = true, env = "VIGIL_AGENT_DATA")]
    data: Option<PathBuf>,
    /// The name this machine goes by on the console (default: its hostname).
    #[arg(long, global = true)]
    hostname: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrol this machine with a console: the token comes from --token-file, else stdin.
    Enrol {
        #[arg(long)]
        token_file: Option<PathBuf>,
    },
    /// Sense this machine and keep a session with the console: what the sensor finds goes
    /// to the console (kept on disk until it is taken), the console's actions run here.
    Run {
        /// Seconds between two hellos in a session.
        #[arg(long, default_value_t = 30)]
        every: u64,
        /// One hello, then exit (status 1 if the console refused or could not be reached).
        #[arg(long)]
        once: bool,
    },
    /// Benchmark: simulated agents against a console in this process (real TLS, a real
    /// store in a fresh folder); prints what was lost, delays, reconnect and action times.
    Bench {
        #[arg(long, default_value_t = 50)]
        agents: usize,
        /// Events a second per agent.
        #[arg(long, default_value_t = 200)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Quarantines to approve, one after another.
        #[arg(long, default_value_t = 50)]
        actions: usize,
        /// Also watch a real agent process idle for this many seconds (0: not).
        #[arg(long, default_value_t = 60)]
        idle: u64,
        /// Where the bench makes its folder (default: the temp folder); removed after.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Bench { dir, .. } = &cli.command {
        // The simulated agents' temp folder is the bench's own, not this machine's.
        let root = bench_root(dir.as_deref());
        if let Err(e) = std::fs::create_dir_all(&root) {
            eprintln!("error: {}: {e}", root.display());
            return ExitCode::FAILURE;
        }
        std::env::set_var("TMPDIR", &root);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let data = match cli.data {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("", "", "vigil-agent")
            .map(|d| d.data_dir().to_path_buf())
            .ok_or("no data folder for vigil-agent: give --data")?,
    };
    let dir = AgentDir::new(&data);
    let hostname = cli.hostname.unwrap_or_else(this_hostname);
    match cli.command {
        Command::Enrol { token_file } => {
            let token = match token_file {
                Some(file) => std::fs::read_to_string(&file)
                    .map_err(|e| format!("{}: {e}", file.display()))?,
                None => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|e| format!("stdin: {e}"))?;
                    text
                }
            };
            let id = dir
                .enrol(&token, &hostname)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "enrolled {hostname} as agent {id}; its key and certificate are in {}",
                data.display()
            );
            Ok(())
        }
        Command::Run { once: true, .. } => {
            let id = dir
                .hello(&hostname, None)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(agent = id, "the console knows this machine");
            Ok(())
        }
        Command::Bench {
            agents,
            rate,
            seconds,
            actions,
            idle,
            dir,
        } => {
            let root = bench_root(dir.as_deref());
            let plan = vigil_agent::bench::Plan {
                agents: agents.max(1),
                rate,
                seconds,
                actions,
                idle,
            };
            let done = vigil_agent::bench::bench(&plan, &root).await;
            let _ = std::fs::remove_dir_all(&root);
            done
        }
        Command::Run { every, once: false } => {
            let agent = Agent::open(&data, &hostname, Duration::from_secs(every.max(1))).await?;
            agent.run().await
        }
    }
}

/// The bench's folder (under the temp folder unless given), for this process.
fn bench_root(dir: Option<&std::path::Path>) -> PathBuf {
    dir.map_or_else(std::env::temp_dir, std::path::Path::to_path_buf)
        .join(format!("vigil-agent-bench-{}", std::process::id()))
}

fn this_hostname() -> String {
    vigil_local::inventory::hostname()
}
