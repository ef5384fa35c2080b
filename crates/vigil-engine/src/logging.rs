//! tracing to stderr and to a daily log file in the data folder.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Installs the global subscriber. Keep the guard alive for the life of the process so the
/// file writer flushes. `default_filter` applies when `RUST_LOG` is unset.
pub fn init(data_dir: &Path, default_filter: &str) -> Option<WorkerGuard> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let logs = data_dir.join("logs");
    let file = std::fs::create_dir_all(&logs)
        .ok()
        .map(|()| tracing_appender::rolling::daily(&logs, "vigil.log"))
        .map(tracing_appender::non_blocking);
    match file {
        Some((writer, guard)) => {
            let file_layer = fmt::layer().with_writer(writer).with_ansi(false);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .try_init();
            None
        }
    }
}
