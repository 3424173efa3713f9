//! `mtkbench readback`: read a partition or a storage region into a file. Never writes to the
//! phone. On NAND the file holds page data (what an image holds); `--with-spare` adds each
//! page's spare area after it, as a NAND programmer's dump does.
//!
//! The flow is [`crate::job::flows::readback`]: the data streams from the port into
//! [`crate::fsutil::AtomicFile`], hashed on the way, and the file gets its name only when
//! every byte has arrived. A failure or Ctrl-C part-way leaves no file behind, so a half
//! readback can never be mistaken for a backup; an existing file is never replaced. This file
//! only parses the flags and prints.

use std::path::PathBuf;

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, PlaceArgs, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    fsutil::AtomicFile,
    job::{Region, flows},
};

/// `mtkbench readback`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// What to read.
    #[command(flatten)]
    pub place: PlaceArgs,
    /// The file to write; it appears only once the whole readback succeeded, and an existing
    /// file is never replaced.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// NAND only: after each page's data, its spare (OOB) area, as a NAND programmer's dump
    /// holds them. The file is then larger than the range.
    #[arg(long)]
    pub with_spare: bool,
}

/// What `readback` prints.
#[derive(Debug, Serialize)]
pub struct ReadbackReport {
    /// Partition or region name.
    pub name: String,
    /// The region the offset is relative to (`boot1`, `boot2`, `user`, `nand`).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Offset in the region, bytes.
    pub offset: u64,
    /// Bytes of storage read (page data on NAND).
    pub length: u64,
    /// Whether NAND spare areas are in the file (`--with-spare`).
    pub with_spare: bool,
    /// Bytes in the file: `length`, or with spare areas pages × (page + spare size).
    pub bytes: u64,
    /// The file written.
    pub out: PathBuf,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

impl Report for ReadbackReport {
    fn human(&self) -> String {
        let spare = if self.with_spare {
            format!(" with spare areas: {} bytes in the file", self.bytes)
        } else {
            String::new()
        };
        let mut s = format!(
            "Read {} ({} {:#x}+{:#x}, {} bytes{spare}) into {}\nSHA-256 {}\n",
            self.name,
            self.region.as_short(),
            self.offset,
            self.length,
            self.length,
            self.out.display(),
            self.sha256
        );
        if !self.rebooted {
            s += NOT_REBOOTED;
        }
        s
    }
}

/// Runs `mtkbench readback`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let place = args.place.place();
    // Created first: an unwritable folder or a taken name is found before the phone is caught.
    let out = AtomicFile::create(&args.out)?;
    let job = start(&args.device, ctx)?;
    let done = job.run(|phone| flows::readback(phone, &place, args.with_spare, out))?;
    warn_if_not_rebooted(&done);
    let read = &done.value;
    emit(
        ctx,
        &ReadbackReport {
            name: read.span.name.clone(),
            region: read.span.region,
            offset: read.span.offset,
            length: read.span.length,
            with_spare: read.with_spare,
            bytes: read.stored.bytes,
            out: args.out,
            sha256: read.stored.sha256.clone(),
            rebooted: done.rebooted(),
        },
    )
}
