//! `mtkbench backup --port P [--full [--into-library]]` and `mtkbench restore --port P
//! --backup ID`: the identity backup, the full dump and the restore. The work is
//! [`crate::engine::backup`], [`crate::engine::full`] and [`crate::engine::restore`]; this
//! file parses the flags and lays the results out. No check lives here.

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted};
use crate::{
    Result,
    backup::Store,
    cli::{Ctx, Report, emit},
    engine::{
        self,
        backup::BackupDone,
        full::{FullDone, LibraryPlace},
        restore::RestoreDone,
    },
    firmware::is_nvram_set,
    journal::Journal,
    profile::Registry,
};

/// `mtkbench backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The whole flash (boot regions, every partition) as a package SP Flash Tool and
    /// mtkbench can flash back, instead of the identity set.
    #[arg(long)]
    pub full: bool,
    /// Also add the full dump to the ROM library as a ROM for this board.
    #[arg(long, requires = "full")]
    pub into_library: bool,
    /// The library folder for --into-library [default: $MTKBENCH_LIBRARY, else library/ in
    /// the data folder].
    #[arg(long, value_name = "DIR", requires = "into_library")]
    pub library: Option<std::path::PathBuf>,
}

/// `mtkbench restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The backup to restore (DEVICE-KEY/TIMESTAMP, as `backups list` shows it).
    #[arg(long, value_name = "ID")]
    pub backup: String,
    /// Only these partitions (comma-separated) [default: the NVRAM set].
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub partitions: Vec<String>,
    /// Allow a backup of ANOTHER phone: clones its IMEI, MACs and calibration onto this one.
    #[arg(long)]
    pub other_device: bool,
}

/// The repair journal, or `None` (logged) when it cannot be opened: a journal that fails is
/// never a reason to leave a phone half-repaired.
pub(super) fn journal(ctx: &Ctx) -> Option<Journal> {
    Journal::open_in(&ctx.places.data)
        .inspect_err(|e| tracing::warn!(error = %e, "journal unavailable"))
        .ok()
}

/// What `backup` prints.
#[derive(Debug, Serialize)]
pub struct BackupReport {
    /// The backup.
    #[serde(flatten)]
    pub backup: BackupDone,
    /// Whether the phone was told to reboot.
    pub rebooted: bool,
}

impl Report for BackupReport {
    fn human(&self) -> String {
        let b = &self.backup;
        let mut out = format!(
            "Backup {} stored (every partition read twice, identical):\n  {}\n",
            b.id,
            b.path.display()
        );
        for f in &b.files {
            out += &format!(
                "  {:<12} {:>10} bytes  {}..\n",
                f.partition,
                f.length,
                f.sha256.get(..16).unwrap_or(&f.sha256)
            );
        }
        if !b.skipped.is_empty() {
            out += &format!("  not on this phone: {}\n", b.skipped.join(", "));
        }
        out += &format!("Next: mtkbench backups verify {}\n", b.id);
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}

/// What `backup --full` prints.
#[derive(Debug, Serialize)]
pub struct FullReport {
    /// The dump.
    #[serde(flatten)]
    pub dump: FullDone,
    /// Whether the phone was told to reboot.
    pub rebooted: bool,
}

impl Report for FullReport {
    fn human(&self) -> String {
        let d = &self.dump;
        let mut out = format!(
            "Full dump {} stored ({} MiB, {} images and {}):\n  {}\n",
            d.id,
            d.bytes >> 20,
            d.files.len(),
            d.scatter,
            d.path.display()
        );
        for f in &d.files {
            out += &format!(
                "  {:<12} {:<24} {:>11} bytes  {}..\n",
                f.partition,
                f.file,
                f.length,
                f.sha256.get(..16).unwrap_or(&f.sha256)
            );
        }
        for g in &d.unpartitioned {
            out += &format!(
                "  not read: {} {:#x}, {:#x} bytes that no partition covers\n",
                g.region.as_short(),
                g.offset,
                g.length
            );
        }
        if d.files.iter().any(|f| is_nvram_set(&f.partition)) {
            out += "  The NVRAM set is in the dump but not marked for download: flashing the \
                    dump never writes this phone's IMEI into another; `mtkbench restore \
                    --backup ID` puts it back on this phone.\n";
        }
        match &d.library {
            Some(dir) => {
                out += &format!(
                    "Added to the ROM library as {} (ROM for {}).\nNext: mtkbench library \
                     match --port auto\n",
                    dir.display(),
                    d.profile.as_deref().unwrap_or("this phone's board")
                );
            }
            None => out += &format!("Next: mtkbench backups verify {}\n", d.id),
        }
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}

/// Runs `mtkbench backup`.
pub fn run_backup(args: BackupArgs, ctx: &Ctx) -> Result<()> {
    let (registry, _) = Registry::load(&ctx.places.user_profiles());
    let journal = journal(ctx);
    let job = start(&args.device, ctx)?;
    let store = Store::new(&ctx.places.data);
    if args.full {
        let library = args
            .into_library
            .then(|| LibraryPlace::of(&ctx.places, args.library.as_deref()));
        let done = engine::full::run(job, &store, &registry, journal.as_ref(), library.as_ref())?;
        warn_if_not_rebooted(&done);
        return emit(
            ctx,
            &FullReport {
                rebooted: done.rebooted(),
                dump: done.value,
            },
        );
    }
    let done = engine::backup::run(job, &store, &registry, journal.as_ref())?;
    warn_if_not_rebooted(&done);
    emit(
        ctx,
        &BackupReport {
            rebooted: done.rebooted(),
            backup: done.value,
        },
    )
}

/// What `restore` prints.
#[derive(Debug, Serialize)]
pub struct RestoreReport {
    /// What was checked and written.
    #[serde(flatten)]
    pub restore: RestoreDone,
    /// Whether the phone was told to reboot.
    pub rebooted: bool,
}

impl Report for RestoreReport {
    fn human(&self) -> String {
        let r = &self.restore;
        let mut out = String::new();
        for w in &r.plan.warnings {
            out += &format!("WARNING: {w}\n");
        }
        out += &format!("Restored from backup {}:\n", r.plan.id);
        for p in &r.restored {
            out += &format!(
                "  {:<12} {:>10} bytes  {}\n",
                p.partition,
                p.bytes,
                if p.verified {
                    "written, read back identical"
                } else {
                    "READ BACK DIFFERENT"
                }
            );
        }
        if !self.rebooted {
            out += NOT_REBOOTED;
        }
        out
    }
}

/// Runs `mtkbench restore`.
pub fn run_restore(args: RestoreArgs, ctx: &Ctx) -> Result<()> {
    let journal = journal(ctx);
    let store = Store::new(&ctx.places.data);
    // The backup is checked before the phone is caught.
    store.verify(&args.backup)?.require_ok()?;
    let job = start(&args.device, ctx)?;
    let done = engine::restore::run(
        job,
        &store,
        &args.backup,
        args.other_device,
        &args.partitions,
        journal.as_ref(),
    )?;
    warn_if_not_rebooted(&done);
    emit(
        ctx,
        &RestoreReport {
            rebooted: done.rebooted(),
            restore: done.value,
        },
    )
}
