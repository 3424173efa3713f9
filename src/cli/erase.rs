//! `mtkbench erase`: the low-level tool that erases a partition (or a range of a region). It
//! refuses the partitions that hold the phone's identity or boot code unless
//! `--force-identity-partition` is given.

use serde::Serialize;

use super::identify::{DeviceArgs, parse_size, run_session, selector};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    device::{
        DeviceError,
        target::{self, Region},
    },
};

/// `mtkbench erase`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["partition", "region"])))]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The partition to erase (any case; see `mtkbench identify`).
    #[arg(long)]
    pub partition: Option<String>,
    /// A storage region instead of a partition.
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Start inside the partition or region (0x hex, decimal, or K/M/G).
    #[arg(long, value_parser = parse_size)]
    pub offset: Option<u64>,
    /// Bytes to erase (default: to the end of the partition or region).
    #[arg(long, value_parser = parse_size)]
    pub length: Option<u64>,
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
    /// The region the offset is relative to.
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
            self.region.as_str(),
            self.offset,
            self.length,
            self.length
        );
        if !self.rebooted {
            s += "The phone was not rebooted: unplug it and hold power for 10 s.\n";
        }
        s
    }
}

/// Runs `mtkbench erase`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let sel = selector(args.partition, args.region);
    let force = args.force_identity_partition;
    target::precheck(&sel, "erase", force)?;
    let (t, rebooted) = run_session(&args.device, ctx, |session, map| {
        let da = session
            .da_info()
            .cloned()
            .ok_or_else(|| DeviceError::Unsupported("no DA running".into()))?;
        let t = target::resolve(&sel, args.offset, args.length, &map.partitions, |r| {
            da.region(r)
        })?;
        target::check_identity(&t, &map.partitions, "erase", force)?;
        session.erase(&t)?;
        Ok(t)
    })?;
    emit(
        ctx,
        &EraseReport {
            name: t.name,
            region: t.region,
            offset: t.addr,
            length: t.len,
            rebooted,
        },
    )
}
