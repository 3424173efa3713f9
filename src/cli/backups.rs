//! `mtkbench backups list|verify|show ID`: the backup store, read only.
//!
//! The store is [`crate::backup`]; this file lays its answers out. `verify` exits 1 when a
//! file fails its check (the report still prints). No check lives here.

use clap::Subcommand;
use serde::Serialize;

use crate::{
    Result,
    backup::{Backup, FileStatus, Store, Verification},
    cli::{Ctx, Report, emit, text::labelled},
    profile::matching::human_size,
};

/// `mtkbench backups ...`
#[derive(Debug, Subcommand)]
pub enum BackupsCommand {
    /// Every backup in the store, oldest first.
    List {
        /// Only this phone's (its device key).
        #[arg(long, value_name = "KEY")]
        device: Option<String>,
    },
    /// Re-hash every file of a backup against its manifest.
    Verify {
        /// The backup (DEVICE-KEY/TIMESTAMP, as `backups list` shows it).
        id: String,
    },
    /// A backup's manifest: phone, board, files with their hashes.
    Show {
        /// The backup.
        id: String,
    },
}

/// What `backups list` prints.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// The store's folder.
    pub root: std::path::PathBuf,
    /// The backups.
    pub backups: Vec<Backup>,
}

impl Report for ListReport {
    fn human(&self) -> String {
        if self.backups.is_empty() {
            return format!(
                "No backup in {} yet. Next: mtkbench backup --port auto\n",
                self.root.display()
            );
        }
        let mut out = String::new();
        for b in &self.backups {
            let m = &b.manifest;
            out.push_str(&format!("{}\n", b.id));
            out.push_str(&format!(
                "    {} backup, {} files, {}, board {}, {}\n",
                match m.kind {
                    crate::backup::BackupKind::Identity => "identity",
                    crate::backup::BackupKind::Full => "full",
                },
                m.files.len(),
                human_size(m.bytes()),
                m.profile.as_deref().unwrap_or("unknown"),
                m.created
            ));
        }
        out
    }
}

impl Report for Verification {
    fn human(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let status = match f.status {
                FileStatus::Ok => "ok",
                FileStatus::Changed => "CHANGED",
                FileStatus::Missing => "MISSING",
                FileStatus::Escapes => "OUTSIDE THE FOLDER",
            };
            out.push_str(&format!("  {:<12} {:<20} {status}\n", f.partition, f.file));
        }
        match self.problems() {
            None => out.push_str(&format!(
                "Backup {} is intact: every file matches its SHA-256.\n",
                self.id
            )),
            Some(p) => out.push_str(&labelled(
                "REFUSED",
                8,
                &format!(
                    "backup {} fails its check: {p}. Do not restore from it; use another \
                     backup of this phone.",
                    self.id
                ),
            )),
        }
        out
    }
}

impl Report for Backup {
    fn human(&self) -> String {
        let m = &self.manifest;
        let mut out = String::new();
        for (label, text) in [
            ("Backup", self.id.clone()),
            ("Folder", self.path.display().to_string()),
            (
                "Created",
                format!("{} by mtkbench {}", m.created, m.tool_version),
            ),
            ("Phone", m.device_key.clone()),
            (
                "Board",
                m.profile.clone().unwrap_or_else(|| "unknown".into()),
            ),
        ] {
            out.push_str(&labelled(label, 10, &text));
        }
        out.push_str("\nPARTITION    REGION     OFFSET      LENGTH  SHA-256\n");
        for f in &m.files {
            out.push_str(&format!(
                "{:<12} {:<6} {:>10x} {:>11x}  {}..\n",
                f.partition,
                f.region.as_short(),
                f.offset,
                f.length,
                f.sha256.get(..16).unwrap_or(&f.sha256)
            ));
        }
        out
    }
}

/// Runs a `backups` subcommand.
pub fn run(command: BackupsCommand, ctx: &Ctx) -> Result<()> {
    let store = Store::new(&ctx.places.data);
    match command {
        BackupsCommand::List { device } => emit(
            ctx,
            &ListReport {
                root: store.root().to_path_buf(),
                backups: store.list(device.as_deref()),
            },
        ),
        BackupsCommand::Verify { id } => {
            let v = store.verify(&id)?;
            emit(ctx, &v)?;
            v.require_ok().map_err(Into::into)
        }
        BackupsCommand::Show { id } => emit(ctx, &store.open(&id)?),
    }
}
