//! The device flows the commands share, as library functions over a [`Phone`]: readback,
//! write, erase, the EXPDB read and the panel probe of `diagnose lcm --port`. Each announces
//! its plan ([`ProgressEvent::PlanReady`](crate::device::ProgressEvent::PlanReady)), streams
//! through the session (never holding a partition in memory) and returns what it did; the
//! guard is applied inside the flow, so no face can forget it. What must be checked before
//! the phone is caught (a protected name, an unreadable image) is a `prepare` step the caller
//! runs first. Nothing here prints.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Write},
    path::{Path, PathBuf},
    time::SystemTime,
};

use serde::Serialize;

use super::{GuardedWrite, Override, Phone, Place, Target, guard, step};
use crate::{
    device::{Cause, DeviceError, OpKind, Stage, guard::Forced, target::Region},
    diag::lcm::{self, LcmFacts, PanelEvidence, UbootScan},
    error::HostError,
    fsutil::{self, AtomicFile, Stored},
    transport::{Transport, transcript::utc_timestamp},
};

/// Where a finished transfer acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Partition or region name.
    pub name: String,
    /// The region the offset is relative to (`user` in the JSON).
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Offset in the region, bytes.
    pub offset: u64,
    /// Bytes of storage.
    pub length: u64,
}

impl From<&Target> for Span {
    fn from(t: &Target) -> Self {
        Span {
            name: t.name.clone(),
            region: t.region,
            offset: t.addr,
            length: t.len,
        }
    }
}

/// A local file problem during a transfer, as a step failure (the link is fine).
fn local(stage: Stage, e: HostError) -> DeviceError {
    DeviceError::Step {
        stage,
        cause: Cause::Host(e),
    }
}

/// What [`readback`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadDone {
    /// What was read.
    pub span: Span,
    /// Whether NAND spare areas are in the file.
    pub with_spare: bool,
    /// The file: name, bytes, SHA-256.
    pub stored: Stored,
}

/// Reads `place` into `out` (with NAND spare areas if `with_spare`) and gives the file its
/// name once every byte arrived; on any failure or cancel `out` is dropped and nothing is
/// left under its name.
pub fn readback<T: Transport>(
    phone: &mut Phone<'_, T>,
    place: &Place,
    with_spare: bool,
    mut out: AtomicFile,
) -> Result<ReadDone, DeviceError> {
    let t = phone.resolve(place)?;
    phone.plan(vec![step(OpKind::Read, &t)]);
    if with_spare {
        phone.read_with_spare(&t, &mut out)?;
    } else {
        phone.read(&t, &mut out)?;
    }
    let stored = out.commit().map_err(|e| local(Stage::Read, e))?;
    Ok(ReadDone {
        span: Span::from(&t),
        with_spare,
        stored,
    })
}

/// A write checked as far as it can be without the phone: the image is open and its length
/// known, and a protected name was refused.
#[derive(Debug)]
pub struct WriteRequest {
    place: Place,
    image: PathBuf,
    len: u64,
    source: BufReader<File>,
    force: Override,
}

impl WriteRequest {
    /// Refuses a protected partition by name (unless `force`) and opens `image`, before any
    /// port is opened.
    pub fn prepare(place: Place, image: &Path, force: Override) -> crate::Result<WriteRequest> {
        guard::precheck(&place.selector, "write", force)?;
        let file = File::open(image).map_err(|e| HostError::io("open", image, e))?;
        let len = file
            .metadata()
            .map_err(|e| HostError::io("read", image, e))?
            .len();
        Ok(WriteRequest {
            place,
            image: image.to_path_buf(),
            len,
            source: BufReader::with_capacity(1 << 20, file),
            force,
        })
    }

    /// The image's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What [`write()`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The range the image went to (the image's length).
    pub span: Span,
    /// Bytes the phone stored: the image with its last sector (eMMC) or page (NAND) filled.
    pub stored: u64,
    /// The override the guard let through, if any.
    pub forced: Option<Forced>,
}

/// Guards and writes the image of `request`.
pub fn write<T: Transport>(
    phone: &mut Phone<'_, T>,
    request: &mut WriteRequest,
) -> Result<Written, DeviceError> {
    let guarded: GuardedWrite =
        phone.guard_write(&request.place, &request.image, request.len, request.force)?;
    phone.plan(vec![step(OpKind::Write, guarded.target())]);
    let stored = phone.write(&guarded, &mut request.source)?;
    Ok(Written {
        span: Span::from(guarded.target()),
        stored,
        forced: guarded.forced().cloned(),
    })
}

/// An erase checked as far as it can be without the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraseRequest {
    place: Place,
    force: Override,
}

impl EraseRequest {
    /// Refuses a protected partition by name (unless `force`), before any port is opened.
    pub fn prepare(place: Place, force: Override) -> crate::Result<EraseRequest> {
        guard::precheck(&place.selector, "erase", force)?;
        Ok(EraseRequest { place, force })
    }
}

/// What [`erase()`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The range erased.
    pub span: Span,
    /// The override the guard let through, if any.
    pub forced: Option<Forced>,
}

/// Guards and erases the range of `request`.
pub fn erase<T: Transport>(
    phone: &mut Phone<'_, T>,
    request: &EraseRequest,
) -> Result<Erased, DeviceError> {
    let t = phone.resolve(&request.place)?;
    let guarded = phone.guard_erase(&t, request.force)?;
    phone.plan(vec![step(OpKind::Erase, guarded.target())]);
    phone.erase(&guarded)?;
    Ok(Erased {
        span: Span::from(guarded.target()),
        forced: guarded.forced().cloned(),
    })
}

/// The partition the phone keeps its last panic and exception records in.
pub const EXPDB: &str = "EXPDB";

/// Where an EXPDB readback is kept: `dir/expdb-<UTC time>.bin` (`:` written `-`, as UART
/// captures are named), or `...-2.bin` and on when the name is taken.
pub fn expdb_capture_path(dir: &Path, now: SystemTime) -> PathBuf {
    let stamp = utc_timestamp(now).replace(':', "-");
    fsutil::free_name(dir, &format!("expdb-{stamp}"), "bin", Path::exists)
}

/// Reads the whole EXPDB partition into `sink` (a capture file and an analyzer at once);
/// returns the bytes read.
pub fn expdb<T: Transport>(
    phone: &mut Phone<'_, T>,
    sink: &mut dyn Write,
) -> Result<u64, DeviceError> {
    let t = phone.resolve(&Place::partition(EXPDB))?;
    phone.plan(vec![step(OpKind::Read, &t)]);
    phone.read(&t, sink)
}

/// What became of the phone's BOOTIMG in [`lcm_probe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneBoot {
    /// Not needed: the ROM lights the panel, or cannot be judged, without the phone's kernel.
    NotNeeded,
    /// Copied into the caller's file.
    Copied,
    /// The phone's partition table has no BOOTIMG.
    Absent,
}

/// Reads the phone's own UBOOT, scanning it for panel drivers as it streams in; when the
/// verdict for the ROM described by `facts` would have it flashed without UBOOT and BOOTIMG,
/// also copies BOOTIMG into `boot_copy`, so that the phone's own kernel can tell whether that
/// is proven. Returns the UBOOT evidence and what became of BOOTIMG.
pub fn lcm_probe<T: Transport>(
    phone: &mut Phone<'_, T>,
    facts: &LcmFacts,
    boot_copy: &mut File,
) -> Result<(PanelEvidence, PhoneBoot), DeviceError> {
    let port = phone.port().to_string();
    let uboot = phone.resolve(&Place::partition("UBOOT"))?;
    let bootimg = phone.resolve(&Place::partition("BOOTIMG")).ok();
    let mut plan = vec![step(OpKind::Read, &uboot)];
    plan.extend(bootimg.iter().map(|b| step(OpKind::Read, b)));
    phone.plan(plan);
    let mut scan = UbootScan::default();
    phone.read(&uboot, &mut scan)?;
    let evidence = scan.evidence(&format!("phone's own UBOOT read over {port}"));
    if lcm::check(&evidence, facts).fix.is_empty() {
        if let Some(bootimg) = &bootimg {
            phone.skip(
                OpKind::Read,
                &bootimg.name,
                "the verdict does not depend on the phone's own kernel",
            );
        }
        return Ok((evidence, PhoneBoot::NotNeeded));
    }
    let Some(bootimg) = bootimg else {
        return Ok((evidence, PhoneBoot::Absent));
    };
    let mut sink = BufWriter::with_capacity(1 << 20, boot_copy);
    phone.read(&bootimg, &mut sink)?;
    sink.flush().map_err(|e| DeviceError::Step {
        stage: Stage::Read,
        cause: Cause::Output(e),
    })?;
    Ok((evidence, PhoneBoot::Copied))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn expdb_capture_names_carry_the_time_and_never_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        let first = expdb_capture_path(dir.path(), at);
        assert_eq!(
            first.file_name().unwrap(),
            "expdb-2024-02-29T23-59-59Z.bin",
            "{first:?}"
        );
        std::fs::write(&first, b"x").unwrap();
        let second = expdb_capture_path(dir.path(), at);
        assert_eq!(
            second.file_name().unwrap(),
            "expdb-2024-02-29T23-59-59Z-2.bin"
        );
    }
}
