//! `mtkbench erase`: the low-level tool that erases a partition (or a range of a region). It
//! refuses the partitions that hold the phone's identity or boot code unless
//! `--force-identity-partition` is given.
//!
//! The guards and the erase itself are the job layer's ([`crate::job::flows::erase`]); this
//! file must not talk to the phone or decide what is protected.

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, PlaceArgs, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    job::{
        Override, Region,
        flows::{self, EraseRequest},
    },
};

/// `mtkbench erase`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// What to erase.
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Allow erasing PRO_INFO, NVRAM, PROTECT_F, PROTECT_S, PRELOADER or boot1. Only with a
    /// verified backup of this same phone at hand.
    #[arg(long)]
    pub force_identity_partition: bool,
}

/// What `erase` prints.
#[derive(Debug, Serialize)]
pub struct EraseReport {
    /// Partition or region name.
    pub name: String,
    /// The region the offset is relative to (`boot1`, `boot2`, `user`, `nand`).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Offset in the region, bytes.
    pub offset: u64,
    /// Bytes erased.
    pub length: u64,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

impl Report for EraseReport {
    fn human(&self) -> String {
        let mut s = format!(
            "Erased {} ({} {:#x}+{:#x}, {} bytes)\n",
            self.name,
            self.region.as_short(),
            self.offset,
            self.length,
            self.length
        );
        if !self.rebooted {
            s += NOT_REBOOTED;
        }
        s
    }
}

/// Runs `mtkbench erase`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let force = Override::from_flag(args.force_identity_partition);
    let request = EraseRequest::prepare(args.place.place(), force)?;
    let job = start(&args.device, ctx)?;
    let done = job.run(|phone| flows::erase(phone, &request))?;
    warn_if_not_rebooted(&done);
    let e = &done.value;
    emit(
        ctx,
        &EraseReport {
            name: e.span.name.clone(),
            region: e.span.region,
            offset: e.span.offset,
            length: e.span.length,
            rebooted: done.rebooted(),
        },
    )
}
