//! Vigil's desktop shell: opens the engine, registers the typed commands and events, and
//! nothing else. Every command body is one call into the engine's facade.

mod agents;
mod background;
mod commands;
mod events;

use std::path::PathBuf;

use tauri::Manager;
use vigil_engine::{OpenOptions, Vigil};

pub use commands::builder;

/// Reads `--db PATH` (or `--db=PATH`) from the command line.
fn db_arg(args: impl IntoIterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--db" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.strip_prefix("--db=") {
            return Some(PathBuf::from(value));
        }
    }
    None
}

/// Who decides in this window: the OS user, named in every decision and log entry.
pub struct Operator(pub String);

pub use agents::AgentListener;

impl Operator {
    fn from_env() -> Self {
        let name = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "admin".to_string());
        Operator(name)
    }
}

/// WebKitGTK composites pages with GL by default; where that GL is Mesa's software renderer
/// (no GPU, virtual displays, many VMs) it keeps LLVM and its buffers in the web process:
/// about 85 MB of the app's idle memory. Vigil draws nothing that needs it (a 2D canvas and
/// plain pages), so it renders without, unless the user set the variable.
#[cfg(target_os = "linux")]
fn prefer_lean_rendering() {
    const COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(COMPOSITING).is_none() {
        // Before any thread starts: nothing else reads the environment yet.
        std::env::set_var(COMPOSITING, "1");
    }
}

/// Starts the desktop app.
pub fn run() {
    #[cfg(target_os = "linux")]
    prefer_lean_rendering();
    let options = OpenOptions {
        db: db_arg(std::env::args().skip(1)),
        ..OpenOptions::default()
    };
    let db_path = match vigil_engine::paths::resolve_db_path(options.db.as_deref()) {
        Ok(path) => path,
        Err(error) => {
            eprintln!("Vigil cannot start: {error}");
            std::process::exit(2);
        }
    };
    let _log_guard =
        vigil_engine::logging::init(&vigil_engine::paths::data_dir_of(&db_path), "info");

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            std::process::exit(2);
        }
    };
    let vigil = match runtime.block_on(Vigil::open(OpenOptions {
        // This computer is a machine too: its actions run through the `local` connector.
        connectors: vec![vigil_local::LocalConnector::new(
            vigil_local::LocalConfig::for_store(&db_path),
        )],
        db: Some(db_path),
    })) {
        Ok(vigil) => vigil,
        Err(error) => {
            tracing::error!(%error, "cannot open the store");
            eprintln!("Vigil cannot open its store: {error}");
            std::process::exit(2);
        }
    };
    tauri::async_runtime::set(runtime.handle().clone());

    let builder = builder();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            // Finish whatever a crash or kill left unfinished, without holding up the window.
            let recovering = vigil.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(error) = recovering.recover().await {
                    tracing::warn!(%error, "recovery after restart failed");
                }
            });
            // Machines enrolled earlier report in again: listen for them from the start.
            app.manage(AgentListener::default());
            let (starting, handle) = (vigil.clone(), app.handle().clone());
            tauri::async_runtime::spawn(async move {
                if starting.agents().is_ok_and(|a| !a.is_empty()) {
                    if let Err(error) = handle.state::<AgentListener>().ensure(&starting).await {
                        tracing::warn!(%error, "cannot listen for agents");
                    }
                }
            });
            app.manage(vigil);
            app.manage(Operator::from_env());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the app stopped with an error");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::db_arg;
    use std::path::PathBuf;

    #[test]
    fn db_arg_reads_both_forms() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            db_arg(args(&["--db", "/tmp/a.db"])),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(
            db_arg(args(&["x", "--db=/tmp/b.db"])),
            Some(PathBuf::from("/tmp/b.db"))
        );
        assert_eq!(db_arg(args(&["x"])), None);
    }
}
