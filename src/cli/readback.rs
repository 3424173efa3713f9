//! `mtkbench readback`: read a partition or a storage region into a file. Never writes to the
//! phone.
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
    /// Bytes read.
    pub length: u64,
    /// The file written.
    pub out: PathBuf,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

impl Report for ReadbackReport {
    fn human(&self) -> String {
        let mut s = format!(
            "Read {} ({} {:#x}+{:#x}, {} bytes) into {}\nSHA-256 {}\n",
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
    let ((name, region, offset, length), rebooted) =
        run_session(&args.device, ctx, |session, map| {
            let t = resolve(session, map, &sel, args.offset, args.length)?;
            session.read(&t, &mut out)?;
            Ok((t.name, t.region, t.addr, t.len))
        })?;
    let sha256 = out.commit(&args.out)?;
    emit(
        ctx,
        &ReadbackReport {
            name,
            region,
            offset,
            length,
            out: args.out,
            sha256,
            rebooted,
        },
    )
}
