//! `mtkbench readback`: read a partition or a storage region into a file. Never writes to the
//! phone. On NAND the file holds page data (what an image holds); `--with-spare` adds each
//! page's spare area after it, as a NAND programmer's dump does.
//!
//! The data streams from the port into a temporary file beside `--out`, hashed on the way;
//! only when every byte has arrived is the file flushed to disk and renamed into place. A
//! failure part-way leaves no file behind (the temporary one is removed), so a half readback
//! can never be mistaken for a backup.

use std::{
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::identify::{DeviceArgs, NOT_REBOOTED, parse_size, resolve, run_session, selector};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    device::target::Region,
    error::HostError,
};

/// `mtkbench readback`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["partition", "region"])))]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The partition to read (any case; see `mtkbench identify`).
    #[arg(long)]
    pub partition: Option<String>,
    /// A whole storage region instead of a partition.
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Start inside the partition or region (0x hex, decimal, or K/M/G).
    #[arg(long, value_parser = parse_size)]
    pub offset: Option<u64>,
    /// Bytes to read (default: to the end of the partition or region).
    #[arg(long, value_parser = parse_size)]
    pub length: Option<u64>,
    /// The file to write; replaced only once the whole readback succeeded.
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
    /// The region the offset is relative to.
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
            self.region.as_str(),
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

/// A file being filled: temporary until [`Output::commit`], hashed as it is written.
pub(crate) struct Output {
    tmp: BufWriter<tempfile::NamedTempFile>,
    sha: Sha256,
}

impl Output {
    pub(crate) fn create(path: &Path) -> Result<Output, HostError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".mtkbench-readback-")
            .tempfile_in(dir)
            .map_err(|e| HostError::io("create a temporary file in", dir, e))?;
        Ok(Output {
            tmp: BufWriter::with_capacity(1 << 20, tmp),
            sha: Sha256::new(),
        })
    }

    /// Flushes, syncs and renames into place; returns the SHA-256.
    pub(crate) fn commit(self, path: &Path) -> Result<String, HostError> {
        let tmp = self
            .tmp
            .into_inner()
            .map_err(|e| HostError::io("write", path, e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| HostError::io("write", tmp.path().to_path_buf(), e))?;
        tmp.persist(path)
            .map_err(|e| HostError::io("save", path, e.error))?;
        Ok(hex::encode(self.sha.finalize()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.tmp.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// Runs `mtkbench readback`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let sel = selector(args.partition, args.region);
    // Create the temporary file first: an unwritable folder is found before the phone is
    // caught, not after.
    let mut out = Output::create(&args.out)?;
    let ((name, region, offset, length, bytes), rebooted) =
        run_session(&args.device, ctx, |session, map| {
            let t = resolve(session, map, &sel, args.offset, args.length)?;
            let bytes = if args.with_spare {
                session.read_with_spare(&t, &mut out)?
            } else {
                session.read(&t, &mut out)?
            };
            Ok((t.name, t.region, t.addr, t.len, bytes))
        })?;
    let sha256 = out.commit(&args.out)?;
    emit(
        ctx,
        &ReadbackReport {
            name,
            region,
            offset,
            length,
            with_spare: args.with_spare,
            bytes,
            out: args.out,
            sha256,
            rebooted,
        },
    )
}
