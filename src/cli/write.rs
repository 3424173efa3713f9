//! `mtkbench write`: the low-level tool that writes one file to a partition (or a range of a
//! region). The guarded repair flow (plan, backup, verify) is `flash`; this command only
//! refuses the partitions that hold the phone's identity or boot code unless
//! `--force-identity-partition` is given, and checks the image fits. The image streams from
//! disk; it is never held in memory.
//!
//! The guards and the write itself are the job layer's ([`crate::job::flows::write`]); this
//! file must not talk to the phone or decide what is protected.

use std::path::PathBuf;

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, PlaceArgs, no_length, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    job::{
        Override, Region,
        flows::{self, WriteRequest},
        guard::Forced,
    },
};

/// `mtkbench write`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Where the image goes (`--offset`: where inside the partition or region it starts).
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The image to write.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Allow writing PRO_INFO, NVRAM, PROTECT_F, PROTECT_S, PRELOADER or boot1. Only with a
    /// verified backup of this same phone at hand.
    #[arg(long)]
    pub force_identity_partition: bool,
}

/// What `write` prints.
#[derive(Debug, Serialize)]
pub struct WriteReport {
    /// Partition or region name.
    pub name: String,
    /// The region the offset is relative to (`boot1`, `boot2`, `user`, `nand`).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Offset in the region, bytes.
    pub offset: u64,
    /// Bytes of the image written.
    pub length: u64,
    /// Bytes the phone stored: the image with its last 512-byte sector (eMMC, zeros) or
    /// NAND page (0xFF) filled up.
    pub stored: u64,
    /// The image file.
    pub file: PathBuf,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
    /// The guard override the write went through (`--force-identity-partition`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<Forced>,
}

impl Report for WriteReport {
    fn human(&self) -> String {
        let mut s = format!(
            "Wrote {} ({} bytes) to {} ({} {:#x}+{:#x})\n",
            self.file.display(),
            self.length,
            self.name,
            self.region.as_short(),
            self.offset,
            self.length
        );
        if let Some(f) = &self.forced {
            s += &format!(
                "{} (recorded in the transcript and the log)\n",
                f.describe("write")
            );
        }
        if self.stored > self.length {
            let (unit, fill) = match self.region {
                Region::Nand => ("pages", "0xFF"),
                _ => ("512-byte sectors", "zeros"),
            };
            s += &format!(
                "The phone stores whole {unit}: the {} bytes after the image are {fill}.\n",
                self.stored - self.length
            );
        }
        if !self.rebooted {
            s += NOT_REBOOTED;
        }
        s
    }
}

/// Runs `mtkbench write`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    no_length(&args.place, "a write takes the image's length")?;
    let force = Override::from_flag(args.force_identity_partition);
    let mut request = WriteRequest::prepare(args.place.place(), &args.file, force)?;
    let job = start(&args.device, ctx)?;
    let done = job.run(|phone| flows::write(phone, &mut request))?;
    warn_if_not_rebooted(&done);
    let w = &done.value;
    emit(
        ctx,
        &WriteReport {
            name: w.span.name.clone(),
            region: w.span.region,
            offset: w.span.offset,
            length: w.span.length,
            stored: w.stored,
            file: args.file,
            rebooted: done.rebooted(),
            forced: w.forced.clone(),
        },
    )
}
