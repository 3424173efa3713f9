//! Logging to a file in the log folder, never to stdout or stderr.
//!
//! stdout belongs to reports (and `--json`), stderr to errors and progress; a TUI owns the
//! screen. So `tracing` output goes to `<logs>/mtkbench.log` only. The level comes from
//! `MTKBENCH_LOG` (an `EnvFilter` string), `info` by default.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Starts logging into `dir/mtkbench.log`. Failing to log is never fatal: when the folder or
/// file cannot be opened, logging is simply off and the reason is returned for the caller to
/// mention.
pub fn init(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("mtkbench.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let filter = EnvFilter::try_from_env("MTKBENCH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .map_err(|e| e.to_string())
}
