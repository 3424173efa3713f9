//! `mtkbench write`: the low-level tool that writes one file to a partition (or a range of a
//! region). The guarded repair flow (plan, backup, verify) is `flash`; this command only
//! refuses the partitions that hold the phone's identity or boot code unless
//! `--force-identity-partition` is given, and checks the image fits. The image streams from
//! disk; it is never held in memory.
//!
//! The guards and the write itself are [`crate::device`]'s (through the session runner of
//! [`super::identify`]); this file must not talk to the phone or decide what is protected.

use std::{fs::File, io::BufReader, path::PathBuf};

use serde::Serialize;

use super::identify::{DeviceArgs, NOT_REBOOTED, parse_size, resolve, run_session, selector};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    device::{
        DeviceError,
        target::{self, Region},
    },
    error::HostError,
};

/// `mtkbench write`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["partition", "region"])))]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The partition to write (any case; see `mtkbench identify`).
    #[arg(long)]
    pub partition: Option<String>,
    /// A storage region instead of a partition (with --offset).
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Where inside the partition or region the image starts (0x hex, decimal, or K/M/G).
    #[arg(long, value_parser = parse_size)]
    pub offset: Option<u64>,
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
    /// The region the offset is relative to.
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
}

impl Report for WriteReport {
    fn human(&self) -> String {
        let mut s = format!(
            "Wrote {} ({} bytes) to {} ({} {:#x}+{:#x})\n",
            self.file.display(),
            self.length,
            self.name,
            self.region.as_str(),
            self.offset,
            self.length
        );
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
    let sel = selector(args.partition, args.region);
    let force = args.force_identity_partition;
    target::precheck(&sel, "write", force)?;
    let file = File::open(&args.file).map_err(|e| HostError::io("open", &args.file, e))?;
    let len = file
        .metadata()
        .map_err(|e| HostError::io("read", &args.file, e))?
        .len();
    let mut source = BufReader::with_capacity(1 << 20, file);
    let image = args.file.clone();
    let ((name, region, offset, stored), rebooted) =
        run_session(&args.device, ctx, |session, map| {
            let whole = resolve(session, map, &sel, args.offset, None)?;
            if len > whole.len {
                return Err(DeviceError::ImageTooLarge {
                    file: image.clone(),
                    len,
                    target: whole.name,
                    size: whole.len,
                });
            }
            let t = target::Target { len, ..whole };
            target::check_identity(&t, &map.partitions, "write", force)?;
            let stored = session.write(&t, &mut source)?;
            Ok((t.name, t.region, t.addr, stored))
        })?;
    emit(
        ctx,
        &WriteReport {
            name,
            region,
            offset,
            length: len,
            stored,
            file: args.file,
            rebooted,
        },
    )
}
