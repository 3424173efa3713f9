//! The guard between "a range on the phone" and "a write or an erase of it": the only place
//! that builds a [`GuardedWrite`] or a [`GuardedErase`], the only kinds of target
//! [`Session::write`] and [`Session::erase`] accept (and so the job layer's `Phone::write`
//! and `Phone::erase` on top of them; the faces reach the phone only through that layer).
//! The guard checks a range against the partition map the session itself read from the phone
//! ([`write()`] and [`erase()`] take the session, not a map a caller could make up), and the
//! session writes a guarded target only if it was checked against its own latest reading of
//! that table (not another phone's). The guarded types have private fields, no public
//! constructor and no `Default`, `From` or `Deserialize`, so a caller that skips these
//! checks does not compile:
//!
//! ```compile_fail
//! use mtkbench::device::{guard::GuardedErase, target::{Region, Target}};
//! let nvram = Target {
//!     name: "NVRAM".into(),
//!     is_partition: true,
//!     region: Region::EmmcUser,
//!     addr: 0x40_0000,
//!     len: 0x50_0000,
//! };
//! // Private fields: a target cannot be marked as guarded by hand.
//! let unguarded = GuardedErase { target: nvram, forced: None };
//! ```
//!
//! A session writes only a guarded target: a plain [`Target`] is refused by the compiler.
//!
//! ```compile_fail
//! use mtkbench::{device::{Session, target::{Region, Target}}, transport::ScriptedTransport};
//! let mut session = Session::new(ScriptedTransport::new());
//! let nvram = Target {
//!     name: "NVRAM".into(),
//!     is_partition: true,
//!     region: Region::EmmcUser,
//!     addr: 0x40_0000,
//!     len: 0x50_0000,
//! };
//! session.write(&nvram, &mut std::io::empty());
//! ```
//!
//! Nor an erase:
//!
//! ```compile_fail
//! use mtkbench::{device::{Session, target::{Region, Target}}, transport::ScriptedTransport};
//! let mut session = Session::new(ScriptedTransport::new());
//! let preloader = Target {
//!     name: "PRELOADER".into(),
//!     is_partition: true,
//!     region: Region::EmmcBoot1,
//!     addr: 0,
//!     len: 0x4_0000,
//! };
//! session.erase(&preloader);
//! ```
//!
//! A guarded target, once built, cannot be moved: its range is not reachable for change.
//!
//! ```compile_fail
//! use mtkbench::device::guard::GuardedWrite;
//! fn widen(guarded: &GuardedWrite) -> GuardedWrite {
//!     let mut g = guarded.clone();
//!     g.target.addr = 0x40_0000; // private field
//!     g
//! }
//! ```
//!
//! A layout rewrite passes by a proof, not an override: [`rewrite_layout()`] takes a
//! [`RestoreProof`], which only [`crate::backup::Store::prove`] makes from a verified backup.
//! A backup's id, or anything else, does not compile:
//!
//! ```compile_fail
//! use mtkbench::{device::{Session, guard, target::{Region, Target}}, transport::ScriptedTransport};
//! let session = Session::new(ScriptedTransport::new());
//! let mbr = Target {
//!     name: "MBR".into(),
//!     is_partition: false,
//!     region: Region::EmmcUser,
//!     addr: 0,
//!     len: 0x200,
//! };
//! let id = "emmc-aa/20261203T100000Z";
//! guard::rewrite_layout(&session, &mbr, std::path::Path::new("MBR"), 0x200, &id);
//! ```
//!
//! And a write left to be judged by its bytes cannot be marked as judged:
//!
//! ```compile_fail
//! use mtkbench::device::guard::GuardedWrite;
//! fn unjudged(guarded: &GuardedWrite) -> GuardedWrite {
//!     let mut g = guarded.clone();
//!     g.by_bytes = None; // private field
//!     g
//! }
//! ```
//!
//! The checks: the NVRAM set (PRO_INFO, NVRAM, PROTECT_F, PROTECT_S: the phone's identity),
//! PRELOADER and anything in boot1 (its boot code), the partition table (below), the bounds
//! of the partition and of the region the phone reported, and the size of the image. An
//! override ([`Override::ForceIdentityPartition`], `--force-identity-partition`) lets the
//! first three through and is recorded in the guarded target ([`GuardedWrite::forced`]), so
//! the session writes it into the transcript. A restore passes by proof instead
//! ([`restore()`]): a [`ProvenFile`] of a verified backup of the connected phone (or of
//! another phone with `--other-device`, recorded as identity cloning), written back only
//! where it was read.
//!
//! # The partition table
//!
//! A table that no longer shows the NVRAM set where it lies hides the identity from the
//! phone, from every tool and from our own restore: in practice an identity loss. A range
//! reaches the table when it names a partition MBR or EBR*, overlaps one, or overlaps the
//! sectors the session's latest reading of the table was made from (on eMMC: the first
//! [`super::table::PROBE_LEN`] bytes of the user area and the EBR the MBR points to; see
//! [`TableReading`]). Such a range passes only
//!
//! * (a) when the table it leaves keeps every NVRAM-set partition of the phone's map at the
//!   same region, offset and size: the next reading is worked out from the bytes the last
//!   one was made of with the bytes written laid over them ([`TableReading::after`], the same
//!   parser and the same naming as the reading). An erase is judged here (it leaves zeros);
//!   a write is judged by its bytes: the guarded target says so
//!   ([`GuardedWrite::judged_by_bytes`]) and the session reads the image (at most
//!   [`TABLE_IMAGE_MAX`], larger ones are refused) from the source it was given, judges it
//!   (`judge_bytes`) and writes exactly the bytes judged, before sending anything. So
//!   the guard reads no file; the bytes come from the edge that streams the image.
//! * (b) in a layout rewrite (Firmware Upgrade, Format All + Download), by
//!   [`rewrite_layout()`]'s proof: a verified identity backup of this phone holding its
//!   whole NVRAM set, which the plan writes back into the new table at the end. (Their
//!   format steps erase the old table, like the NVRAM set, with that backup in hand, under
//!   the recorded override.)
//! * (c) with the override, recorded as reaching "the phone's partition table".
//!
//! A phone whose map shows no NVRAM set (a blank phone: no table yet) has nothing to hide,
//! and its table may be written. A NAND phone's table is the DA's PMT (0xA5), kept by the DA
//! near the BMT pool where no range mtkbench knows reaches it (MT6572.md §7.4): there only a
//! partition named MBR or EBR* would count, and none is. The EBRs past the first are not
//! read by mtkbench (their entries are named from the board's layout): written by name they
//! are judged like the rest, and pass when the reading would not change.
//!
//! Pure apart from reading the session's facts and, when the session asks it to judge a
//! write, the image stream the session was given: no port, no file.

use std::{
    io::{Cursor, Read},
    path::{Path, PathBuf},
};

use serde::Serialize;

use super::{
    error::{Cause, DeviceError, Stage},
    session::{DaInfo, Reading, Session},
    table::{Content, PartitionMap, TableReading},
    target::{Partition, Region, Selector, Target},
};
use crate::{
    backup::{ProvenFile, RestoreProof},
    firmware::{is_layout, is_nvram_set},
    transport::Transport,
};

/// The largest write over the partition table judged by its bytes: the largest MBR or EBR
/// image a scatter gives (512 KiB). A larger one that reaches the table is refused without
/// the override (on MT6572 it covers PRO_INFO anyway).
pub const TABLE_IMAGE_MAX: u64 = 0x8_0000;

/// What the guard judges a range by: the session's latest reading of the partition table
/// (which reading, the map, and on eMMC where the table lives) and the DA's report.
#[derive(Debug, Clone, Copy)]
pub(super) struct Facts<'a> {
    /// Which reading of the table.
    pub reading: Reading,
    /// The map it gave.
    pub map: &'a PartitionMap,
    /// What it was read from (eMMC only).
    pub table: Option<&'a TableReading>,
    /// The DA's report.
    pub da: &'a DaInfo,
}

/// Whether the technician overrode the identity and boot-code refusals. A restore does not use
/// an override: it passes by a proof only a verified backup of this phone gives
/// ([`restore()`], [`crate::backup::RestoreProof`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// No override: the NVRAM set, PRELOADER and boot1 are refused, and a partition table
    /// that would not show the NVRAM set where it is.
    #[default]
    None,
    /// `--force-identity-partition`: they are let through, and the guarded target says so.
    ForceIdentityPartition,
}

impl Override {
    /// The override a `--force-identity-partition` flag asks for.
    pub fn from_flag(force: bool) -> Self {
        if force {
            Override::ForceIdentityPartition
        } else {
            Override::None
        }
    }
}

/// What an override let through, as the guard recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forced {
    /// The flag that allowed it.
    pub flag: &'static str,
    /// What would have been refused ("NVRAM", "user (it covers NVRAM)").
    pub target: String,
    /// What it holds: "identity" (NVRAM set), "boot code" (preloader, boot1) or "partition
    /// table" (MBR, EBR: where the identity is found).
    pub holds: &'static str,
}

impl Forced {
    /// One line for the transcript and the log.
    pub fn describe(&self, action: &str) -> String {
        format!(
            "guard override: {} lets this {action} reach {} (the phone's {})",
            self.flag, self.target, self.holds
        )
    }
}

/// A range that passed the guard for a write of an image of exactly its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedWrite {
    target: Target,
    image: PathBuf,
    forced: Option<Forced>,
    reading: Reading,
    /// It reaches the partition table (what it covers, as the refusal would name it): the
    /// session judges the table its bytes leave ([`judge_bytes`]) before sending any.
    by_bytes: Option<String>,
}

impl GuardedWrite {
    /// The range written: the image's length from the requested offset.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The image file the length was taken from.
    pub fn image(&self) -> &Path {
        &self.image
    }

    /// The override the guard let through, if any.
    pub fn forced(&self) -> Option<&Forced> {
        self.forced.as_ref()
    }

    /// The reading of the partition table the range was checked against.
    pub(super) fn reading(&self) -> Reading {
        self.reading
    }

    /// True when it reaches the partition table and is let through only if its bytes keep
    /// the NVRAM set where the table has it: the session reads and judges them before it
    /// sends any (see the module documentation).
    pub fn judged_by_bytes(&self) -> bool {
        self.by_bytes.is_some()
    }
}

/// A range that passed the guard for an erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedErase {
    target: Target,
    forced: Option<Forced>,
    reading: Reading,
}

impl GuardedErase {
    /// The range erased.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The override the guard let through, if any.
    pub fn forced(&self) -> Option<&Forced> {
        self.forced.as_ref()
    }

    /// The reading of the partition table the range was checked against.
    pub(super) fn reading(&self) -> Reading {
        self.reading
    }
}

/// Why a partition may not be written or erased without an override, least grave first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Protected {
    /// The partition table (MBR, EBR): where every tool finds the identity.
    Table,
    /// PRELOADER or anything in boot1: the phone's boot code.
    BootCode,
    /// The NVRAM set ([`crate::firmware::NVRAM_SET`]): the phone's identity.
    Identity,
}

impl Protected {
    fn holds(self) -> &'static str {
        match self {
            Protected::Identity => "identity",
            Protected::BootCode => "boot code",
            Protected::Table => "partition table",
        }
    }
}

fn protected(name: &str) -> Option<Protected> {
    if is_nvram_set(name) {
        Some(Protected::Identity)
    } else if crate::firmware::is_boot_code(name) {
        Some(Protected::BootCode)
    } else if is_layout(name) {
        Some(Protected::Table)
    } else {
        None
    }
}

fn refusal(kind: Protected, action: &'static str, target: String) -> DeviceError {
    match kind {
        Protected::Table => DeviceError::TableRefused {
            action,
            target,
            why: "mtkbench cannot tell what table the phone would hold afterwards".into(),
        },
        Protected::Identity => DeviceError::Refused {
            action,
            target,
            loses: "the NVRAM set holds this phone's identity and calibration (IMEI, \
                    Wi-Fi/Bluetooth MAC, radio calibration); without a backup of this same phone \
                    they are lost for good and the phone stays without network",
            instead: "back up the NVRAM set first (readback of PRO_INFO, NVRAM, PROTECT_F and \
                      PROTECT_S) and restore it only from a verified backup of this phone",
        },
        Protected::BootCode => DeviceError::Refused {
            action,
            target,
            loses: "it holds the preloader, which sets up RAM and storage at power-on; a \
                    missing or foreign preloader is a hard brick that only a test-point repair \
                    can undo",
            instead: "read it first (`mtkbench readback --partition PRELOADER --out \
                      preloader.bin`, on eMMC and NAND phones alike) and flash a preloader \
                      only through the flash flow, which checks the ROM's preloader against \
                      this phone",
        },
    }
}

/// What lifts the refusals for one check: the technician's flag or a restore's proof (every
/// refusal), or the identity backup of a layout rewrite (the partition table's only), each
/// recorded under its name. Private: a proof reaches the guard only through [`restore()`] and
/// [`rewrite_layout()`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// Nothing: protected ranges are refused.
    None,
    /// An override the technician gave, or a restore's proof, recorded under its name.
    Flag(&'static str),
    /// A verified identity backup of this phone in a layout rewrite: the partition table only.
    Layout(&'static str),
}

impl From<Override> for Grant {
    fn from(force: Override) -> Grant {
        match force {
            Override::None => Grant::None,
            Override::ForceIdentityPartition => Grant::Flag("--force-identity-partition"),
        }
    }
}

/// Applies a grant to a finding: refused without one, recorded with it.
fn decide(
    found: Option<(Protected, String)>,
    action: &'static str,
    grant: Grant,
) -> Result<Option<Forced>, DeviceError> {
    match (found, grant) {
        (None, _) => Ok(None),
        (Some((kind, name)), Grant::Flag(flag))
        | (Some((kind @ Protected::Table, name)), Grant::Layout(flag)) => Ok(Some(Forced {
            flag,
            target: name,
            holds: kind.holds(),
        })),
        (Some((kind, name)), _) => Err(refusal(kind, action, name)),
    }
}

/// The check that needs no phone: refuses a protected partition by name, or the boot1
/// region, before any port is opened (so the technician does not catch the phone for
/// nothing). [`write()`] and [`erase()`] repeat it against the phone's real map; a
/// partition table (MBR, EBR*) is judged there only, by the table it leaves.
pub fn precheck(
    selector: &Selector,
    action: &'static str,
    force: Override,
) -> Result<(), DeviceError> {
    let found = match selector {
        // A partition table is judged by what it leaves, which needs the phone's own.
        Selector::Partition(name) => protected(name)
            .filter(|k| *k != Protected::Table)
            .map(|k| (k, name.clone())),
        Selector::Region(Region::EmmcBoot1) => Some((Protected::BootCode, "boot1".to_string())),
        Selector::Region(_) => None,
    };
    decide(found, action, force.into()).map(drop)
}

/// What `target` touches that the guard protects: any part of the NVRAM set, of PRELOADER or
/// of the partition table (names any case; every partition the range overlaps counts,
/// whatever the target is called), anything in boot1, and the sectors the phone's table was
/// read from (`table`). The identity outranks the boot code, which outranks the table; a
/// finding that names what it covers replaces one of the same rank that does not.
fn touches(
    target: &Target,
    partitions: &[Partition],
    table: Option<&TableReading>,
) -> Option<(Protected, String)> {
    let end = target.addr.saturating_add(target.len);
    let overlaps = |region: Region, offset: u64, size: u64| {
        region == target.region && offset < end && target.addr < offset.saturating_add(size)
    };
    let mut found: Option<(Protected, Option<String>)> = None;
    let mut note = |kind: Protected, covered: Option<String>| {
        let replaces = match &found {
            None => true,
            Some((k, c)) => kind > *k || (kind == *k && c.is_none()),
        };
        if replaces {
            found = Some((kind, covered));
        }
    };
    if target.region == Region::EmmcBoot1 {
        note(Protected::BootCode, None);
    }
    if let Some(kind) = protected(&target.name).filter(|_| target.is_partition) {
        note(kind, None);
    }
    for p in partitions {
        if let Some(kind) = protected(&p.name).filter(|_| overlaps(p.region, p.offset, p.size)) {
            note(kind, Some(p.name.clone()));
        }
    }
    let mut sectors = table.into_iter().flat_map(TableReading::sectors);
    if sectors.any(|(at, len)| overlaps(Region::EmmcUser, at, len)) {
        note(Protected::Table, Some("the partition table".into()));
    }
    found.map(|(kind, covered)| {
        let name = match covered {
            Some(p) if !p.eq_ignore_ascii_case(&target.name) => {
                format!("{} (it covers {p})", target.name)
            }
            _ => target.name.clone(),
        };
        (kind, name)
    })
}

/// True when the map shows any part of the NVRAM set: a table that could hide it.
fn shows_identity(map: &PartitionMap) -> bool {
    map.partitions.iter().any(|p| is_nvram_set(&p.name))
}

/// Whether the table the phone holds after `content` is written at `target` keeps every
/// NVRAM-set partition of `map` exactly where it is (region, offset, size); the reason when
/// not, in words for the technician. Pure: the next reading is worked out from the bytes the
/// last one was made of ([`TableReading::after`]).
pub(super) fn keeps_identity(
    map: &PartitionMap,
    table: Option<&TableReading>,
    target: &Target,
    content: Content<'_>,
) -> Result<(), String> {
    let next = table
        .filter(|_| target.region == Region::EmmcUser)
        .and_then(|t| t.after(target.addr, content))
        .ok_or("mtkbench cannot tell what table the phone would hold afterwards")?;
    let mut moved = Vec::new();
    let mut gone = Vec::new();
    for p in map.partitions.iter().filter(|p| is_nvram_set(&p.name)) {
        let now = next
            .partitions
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(&p.name));
        match now {
            Some(n) if (n.region, n.offset, n.size) == (p.region, p.offset, p.size) => {}
            Some(n) => moved.push(format!(
                "puts {} at {:#x} ({:#x} bytes) where this phone has it at {:#x} ({:#x} bytes)",
                p.name, n.offset, n.size, p.offset, p.size
            )),
            None => gone.push(p.name.as_str()),
        }
    }
    if !gone.is_empty() {
        moved.push(format!(
            "no longer shows {} where this phone has {}",
            gone.join(", "),
            if gone.len() == 1 { "it" } else { "them" }
        ));
    }
    if moved.is_empty() {
        Ok(())
    } else {
        Err(format!("the table it leaves {}", moved.join(" and ")))
    }
}

/// Before a write the guard left to its bytes ([`GuardedWrite::judged_by_bytes`]): reads the
/// image (at most [`TABLE_IMAGE_MAX`] bytes) from `source`, refuses it when the table it
/// leaves does not keep the NVRAM set ([`keeps_identity`]), and gives back exactly the bytes
/// judged, for the session to write. Nothing is sent to the phone here.
pub(super) fn judge_bytes(
    facts: Facts<'_>,
    guarded: &GuardedWrite,
    source: &mut dyn Read,
) -> Result<Cursor<Vec<u8>>, DeviceError> {
    let target = &guarded.target;
    let name = guarded.by_bytes.as_ref().unwrap_or(&target.name);
    let mut bytes = Vec::new();
    source
        .take(target.len.min(TABLE_IMAGE_MAX))
        .read_to_end(&mut bytes)
        .map_err(|e| DeviceError::Step {
            stage: Stage::Write,
            cause: Cause::Image(e),
        })?;
    keeps_identity(facts.map, facts.table, target, Content::Bytes(&bytes)).map_err(|why| {
        DeviceError::TableRefused {
            action: "write",
            target: name.clone(),
            why,
        }
    })?;
    Ok(Cursor::new(bytes))
}

/// The rule for a range that reaches the partition table with nothing to lift the refusal:
/// let through when the map shows no NVRAM set (a blank phone: nothing to hide yet), else
/// judged by what it leaves: an erase here (eMMC reads back zeros), a write by its bytes at
/// the session (`Ok(Some(name))`), refused when too large to be a table image.
fn table_rule(
    facts: Facts<'_>,
    target: &Target,
    name: String,
    action: &'static str,
) -> Result<Option<String>, DeviceError> {
    if !shows_identity(facts.map) {
        return Ok(None);
    }
    let refused = |why: String| DeviceError::TableRefused {
        action,
        target: name.clone(),
        why,
    };
    if action == "erase" {
        let erased = Content::Fill {
            len: target.len,
            byte: 0,
        };
        keeps_identity(facts.map, facts.table, target, erased).map_err(refused)?;
        return Ok(None);
    }
    if target.len > TABLE_IMAGE_MAX {
        return Err(refused(format!(
            "it is {:#x} bytes, larger than any partition table image ({TABLE_IMAGE_MAX:#x}), \
             so mtkbench cannot tell what table the phone would hold afterwards",
            target.len
        )));
    }
    Ok(Some(name))
}

/// Applies `grant` to what `target` touches: the override or proof recorded, and whether the
/// session judges the bytes ([`table_rule`]).
fn judge(
    facts: Facts<'_>,
    target: &Target,
    action: &'static str,
    grant: Grant,
) -> Result<(Option<Forced>, Option<String>), DeviceError> {
    match (touches(target, &facts.map.partitions, facts.table), grant) {
        (Some((Protected::Table, name)), Grant::None) => {
            Ok((None, table_rule(facts, target, name, action)?))
        }
        (found, grant) => Ok((decide(found, action, grant)?, None)),
    }
}

/// Checks that `target` lies inside its partition (when it names one) and inside its region
/// as the phone reported it.
fn check_bounds(target: &Target, map: &PartitionMap, da: &DaInfo) -> Result<(), DeviceError> {
    let out_of = |size: u64, base: u64| DeviceError::OutOfRange {
        target: target.name.clone(),
        offset: target.addr.saturating_sub(base),
        len: target.len,
        size,
    };
    let end = target.addr.checked_add(target.len);
    if target.is_partition {
        let p = super::target::find(&map.partitions, &target.name)?;
        if p.region != target.region
            || target.addr < p.offset
            || end.is_none_or(|e| e > p.offset.saturating_add(p.size))
        {
            return Err(out_of(p.size, p.offset));
        }
    }
    let size = da.region(target.region)?;
    if end.is_none_or(|e| e > size) {
        return Err(out_of(size, 0));
    }
    Ok(())
}

/// Guards a write of the image at `image` (`image_len` bytes) starting where `whole` starts,
/// on the phone `session` talks to: `whole` is the room from the requested offset to the end
/// of the partition or region. The image must fit that room; the written range must stay
/// clear of the identity and boot code (unless `force`) and inside the partition and the
/// phone's region, as the partition map the session read says (it must have been read).
pub fn write<T: Transport>(
    session: &Session<T>,
    whole: &Target,
    image: &Path,
    image_len: u64,
    force: Override,
) -> Result<GuardedWrite, DeviceError> {
    check_write(
        session.guard_facts()?,
        whole,
        image,
        image_len,
        force.into(),
    )
}

/// Guards the write of a ROM's partition table (MBR, EBR: `image`, `image_len` bytes, over
/// `whole`) in a mode that rewrites the layout and then writes the identity back into it
/// (Firmware Upgrade, Format All + Download): `proof`, a verified identity backup of the
/// phone `session` talks to, made for it ([`crate::backup::Store::prove`]) and holding every
/// NVRAM-set partition this phone's table shows, lifts the partition-table refusal for this
/// one range, and the guarded target records it. It lifts nothing else: a range that also
/// reaches the NVRAM set or the boot code is refused as by [`write()`].
pub fn rewrite_layout<T: Transport>(
    session: &Session<T>,
    whole: &Target,
    image: &Path,
    image_len: u64,
    proof: &RestoreProof,
) -> Result<GuardedWrite, DeviceError> {
    let facts = session.guard_facts()?;
    let refused = |why: String| DeviceError::TableRefused {
        action: "write",
        target: whole.name.clone(),
        why,
    };
    let id = &proof.backup().id;
    if proof.phone_key() != live_key(session, facts)? {
        return Err(refused(format!(
            "the identity backup {id} was checked for another phone than the one connected now"
        )));
    }
    if proof.cloning() {
        return Err(refused(format!(
            "the identity backup {id} is another phone's, so this phone's own identity could \
             not be written back"
        )));
    }
    let held = proof.nvram_set();
    let missing = facts.map.partitions.iter().find(|p| {
        is_nvram_set(&p.name)
            && !held
                .iter()
                .any(|f| f.partition.eq_ignore_ascii_case(&p.name))
    });
    if let Some(p) = missing {
        return Err(refused(format!(
            "the identity backup {id} does not hold {}, so it could not be written back",
            p.name
        )));
    }
    let grant =
        Grant::Layout("verified identity backup of this phone, written back into the new table");
    check_write(facts, whole, image, image_len, grant)
}

/// The device key of the phone `session` talks to, from what it read.
fn live_key<T: Transport>(session: &Session<T>, facts: Facts<'_>) -> Result<String, DeviceError> {
    let brom = session.brom_info().ok_or_else(|| {
        super::session::sequence(
            "a restore or a layout rewrite is checked against the phone's identity, so the \
             phone must be identified first",
        )
    })?;
    Ok(super::Fingerprint::new(brom, facts.da, facts.map).device_key())
}

/// Guards the write of a restore: `file`, proven by [`crate::backup::Store::prove`], goes back
/// to the place it was read from (`whole`: its partition as this phone's table has it), on
/// the phone `session` talks to. The proof must have been made for this phone (its device
/// key, computed here from what the session read) and be of this phone's backup, or carry the
/// technician's `--other-device` consent; `whole` must be the whole partition of the file's
/// name in this phone's table, in the region it was read from, where the backup found it (or
/// moved by a new layout that kept its size exactly), and the file must fit. The proof then lifts the identity and boot-code refusals for this
/// one range, and the guarded target records it ([`GuardedWrite::forced`]).
pub fn restore<T: Transport>(
    session: &Session<T>,
    whole: &Target,
    file: &ProvenFile,
) -> Result<GuardedWrite, DeviceError> {
    let facts = session.guard_facts()?;
    let live = live_key(session, facts)?;
    let map = facts.map;
    let entry = file.entry();
    let refused = |loses: &'static str, instead: &'static str| DeviceError::Refused {
        action: "restore",
        target: entry.partition.clone(),
        loses,
        instead,
    };
    if file.phone_key() != live {
        return Err(refused(
            "the backup was checked for another phone than the one connected now",
            "run the restore again on this phone: it is checked anew",
        ));
    }
    if file.backup_key() != live && !file.cloning() {
        return Err(refused(
            "the backup is of another phone: writing it would clone that phone's IMEI, MACs \
             and calibration",
            "restore a backup of this phone, or add --other-device knowing it clones the \
             other phone",
        ));
    }
    // The range is the whole partition of that name as this phone's table has it, in the
    // region the backup read it from; there, or moved by a new layout that kept its size
    // (what a Firmware Upgrade does to the NVRAM set).
    let found = super::target::find(&map.partitions, &entry.partition).ok();
    let fits = found.is_some_and(|p| {
        whole.is_partition
            && whole.name.eq_ignore_ascii_case(&p.name)
            && whole.region == p.region
            && whole.addr == p.offset
            && p.region == entry.region
            && (p.offset == entry.offset || p.size == entry.length)
    });
    if !fits {
        return Err(refused(
            "this phone does not have the partition where the backup found it, nor of its size",
            "flash the phone's stock layout first (Firmware Upgrade), then restore",
        ));
    }
    let grant = Grant::Flag(if file.cloning() {
        "--other-device (identity cloning)"
    } else {
        "verified backup of this phone"
    });
    check_write(facts, whole, file.path(), file.entry().length, grant)
}

/// Guards an erase of `target` on the phone `session` talks to: clear of the identity and
/// boot code (unless `force`), inside its partition and the phone's region, as the partition
/// map the session read says (it must have been read).
pub fn erase<T: Transport>(
    session: &Session<T>,
    target: &Target,
    force: Override,
) -> Result<GuardedErase, DeviceError> {
    check_erase(session.guard_facts()?, target, force.into())
}

/// [`write()`] against `facts`.
fn check_write(
    facts: Facts<'_>,
    whole: &Target,
    image: &Path,
    image_len: u64,
    force: Grant,
) -> Result<GuardedWrite, DeviceError> {
    if image_len > whole.len {
        return Err(DeviceError::ImageTooLarge {
            file: image.to_path_buf(),
            len: image_len,
            target: whole.name.clone(),
            size: whole.len,
        });
    }
    let target = Target {
        len: image_len,
        ..whole.clone()
    };
    check_bounds(&target, facts.map, facts.da)?;
    let (forced, by_bytes) = judge(facts, &target, "write", force)?;
    Ok(GuardedWrite {
        target,
        image: image.to_path_buf(),
        forced,
        reading: facts.reading,
        by_bytes,
    })
}

/// [`erase()`] against `facts`.
fn check_erase(
    facts: Facts<'_>,
    target: &Target,
    force: Grant,
) -> Result<GuardedErase, DeviceError> {
    check_bounds(target, facts.map, facts.da)?;
    let (forced, _) = judge(facts, target, "erase", force)?;
    Ok(GuardedErase {
        target: target.clone(),
        forced,
        reading: facts.reading,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        device::table::{self, TableSource},
        protocol::da::{Da1Report, Da2Report, EmmcInfo, StorageKind},
    };

    fn map() -> PartitionMap {
        let p = |name: &str, region, offset, size| Partition {
            name: name.into(),
            region,
            offset,
            size,
        };
        PartitionMap {
            source: TableSource::Pmt,
            partitions: vec![
                p("PRELOADER", Region::EmmcBoot1, 0, 0x40000),
                p("NVRAM", Region::EmmcUser, 0x400000, 0x500000),
                p("UBOOT", Region::EmmcUser, 0x1D20000, 0x60000),
            ],
        }
    }

    fn da() -> DaInfo {
        DaInfo {
            storage: StorageKind::Emmc,
            user_size: 0x1000_0000,
            da1: Da1Report::emmc([1; 16]),
            da_version: [0; 3],
            report: Da2Report {
                emmc: EmmcInfo {
                    boot1_size: 0x40_0000,
                    boot2_size: 0x40_0000,
                    ..EmmcInfo::default()
                },
                ..Da2Report::default()
            },
            usb_speed: 1,
            dram: None,
        }
    }

    /// The facts of a phone whose table is `map`, read from sectors the tests do not reach.
    fn facts<'a>(map: &'a PartitionMap, da: &'a DaInfo) -> Facts<'a> {
        Facts {
            reading: Reading::next(),
            map,
            table: None,
            da,
        }
    }

    fn resolve(sel: &Selector, offset: Option<u64>, len: Option<u64>) -> Target {
        let da = da();
        super::super::target::resolve(sel, offset, len, &map().partitions, |r| da.region(r))
            .unwrap()
    }

    fn part(name: &str) -> Selector {
        Selector::Partition(name.into())
    }

    fn refused(e: DeviceError) -> String {
        assert!(matches!(e, DeviceError::Refused { .. }), "{e}");
        format!("{e} {}", crate::Advice::help(&e))
    }

    #[test]
    fn identity_and_boot_code_are_refused_without_force_and_recorded_with_it() {
        for sel in [
            part("nvram"),
            part("Preloader"),
            Selector::Region(Region::EmmcBoot1),
        ] {
            let t = resolve(&sel, None, None);
            let e = check_erase(facts(&map(), &da()), &t, Override::None.into()).unwrap_err();
            let text = refused(e);
            assert!(text.contains("--force-identity-partition"), "{text}");
            assert!(
                text.contains("IMEI") || text.contains("hard brick"),
                "{text}"
            );
            let g = check_erase(
                facts(&map(), &da()),
                &t,
                Override::ForceIdentityPartition.into(),
            )
            .unwrap();
            let forced = g.forced().unwrap();
            assert_eq!(forced.flag, "--force-identity-partition");
            assert!(forced.describe("erase").contains(&t.name), "{forced:?}");
            let w = check_write(
                facts(&map(), &da()),
                &t,
                Path::new("x.img"),
                0x200,
                Override::None.into(),
            );
            refused(w.unwrap_err());
        }
        let uboot = resolve(&part("UBOOT"), None, None);
        let g = check_erase(facts(&map(), &da()), &uboot, Override::None.into()).unwrap();
        assert_eq!(g.forced(), None);
        assert_eq!(g.target(), &uboot);
    }

    #[test]
    fn a_raw_range_is_judged_by_what_it_overlaps() {
        let user = Selector::Region(Region::EmmcUser);
        let clear = resolve(&user, Some(0x1D20000), Some(0x1000));
        check_erase(facts(&map(), &da()), &clear, Override::None.into()).unwrap();
        let over = resolve(&user, Some(0x3FF000), Some(0x2000));
        let text =
            refused(check_erase(facts(&map(), &da()), &over, Override::None.into()).unwrap_err());
        assert!(text.contains("it covers NVRAM"), "{text}");
        // A write is judged on the image's length, not on the room behind the offset.
        let room = resolve(&user, Some(0x300000), None);
        check_write(
            facts(&map(), &da()),
            &room,
            Path::new("a.img"),
            0x1000,
            Override::None.into(),
        )
        .unwrap();
        let e = check_write(
            facts(&map(), &da()),
            &room,
            Path::new("a.img"),
            0x10_0001,
            Override::None.into(),
        );
        assert!(refused(e.unwrap_err()).contains("it covers NVRAM"));
    }

    #[test]
    fn a_hand_built_target_cannot_talk_its_way_past() {
        // Named like a harmless partition but placed over NVRAM.
        let liar = Target {
            name: "UBOOT".into(),
            is_partition: true,
            region: Region::EmmcUser,
            addr: 0x400000,
            len: 0x1000,
        };
        let e = check_erase(facts(&map(), &da()), &liar, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
        // Called a region, lying in boot1.
        let raw = Target {
            name: "user".into(),
            is_partition: false,
            region: Region::EmmcBoot1,
            addr: 0x100,
            len: 0x100,
        };
        refused(check_erase(facts(&map(), &da()), &raw, Override::None.into()).unwrap_err());
        // Past the end of the phone's user area.
        let past = Target {
            name: "user".into(),
            is_partition: false,
            region: Region::EmmcUser,
            addr: 0x0FFF_F000,
            len: 0x2000,
        };
        let e = check_erase(facts(&map(), &da()), &past, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
        // A region this eMMC phone does not have.
        let nand = Target {
            region: Region::Nand,
            addr: 0,
            ..past
        };
        let e = check_erase(facts(&map(), &da()), &nand, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::NoSuchRegion { .. }), "{e}");
    }

    #[test]
    fn an_image_larger_than_its_room_is_refused() {
        let uboot = resolve(&part("UBOOT"), Some(0x10000), None);
        let e = check_write(
            facts(&map(), &da()),
            &uboot,
            Path::new("lk.bin"),
            0x50001,
            Override::None.into(),
        );
        match e.unwrap_err() {
            DeviceError::ImageTooLarge { len, size, .. } => {
                assert_eq!((len, size), (0x50001, 0x50000));
            }
            other => panic!("{other}"),
        }
        let g = check_write(
            facts(&map(), &da()),
            &uboot,
            Path::new("lk.bin"),
            0x50000,
            Override::None.into(),
        );
        let g = g.unwrap();
        assert_eq!((g.target().addr, g.target().len), (0x1D30000, 0x50000));
        assert_eq!(g.image(), Path::new("lk.bin"));
    }

    #[test]
    fn precheck_refuses_by_name_before_any_port_is_opened() {
        for sel in [
            part("protect_f"),
            part("PRELOADER"),
            Selector::Region(Region::EmmcBoot1),
        ] {
            assert!(precheck(&sel, "erase", Override::None).is_err(), "{sel:?}");
            precheck(&sel, "erase", Override::ForceIdentityPartition).unwrap();
        }
        precheck(&part("BOOTIMG"), "write", Override::None).unwrap();
        // A partition table is judged against the phone's own, once it is read.
        precheck(&part("MBR"), "write", Override::None).unwrap();
        precheck(&part("ebr1"), "erase", Override::None).unwrap();
        precheck(&Selector::Region(Region::EmmcUser), "write", Override::None).unwrap();
    }

    fn table_refused(e: DeviceError) -> String {
        assert!(matches!(e, DeviceError::TableRefused { .. }), "{e}");
        let text = format!("{e} {}", crate::Advice::help(&e));
        for said in ["IMEI", "firmware-upgrade", "--force-identity-partition"] {
            assert!(text.contains(said), "{said}: {text}");
        }
        text
    }

    #[test]
    fn the_partition_table_passes_only_when_it_keeps_the_nvram_set() {
        let (mbr, ebr_at, ebr) = table::a516_tables(0);
        let registry = crate::profile::Registry::builtin();
        let namings = table::namings(None, &registry);
        let reading =
            TableReading::new(mbr.clone(), namings, 0x40_0000, 0x1000_0000).with_ebr(ebr_at, ebr);
        let (map, da) = (reading.map(), da());
        let facts = Facts {
            reading: Reading::next(),
            map: &map,
            table: Some(&reading),
            da: &da,
        };
        let at = |sel: Selector, offset, len| {
            super::super::target::resolve(&sel, offset, len, &map.partitions, |r| da.region(r))
                .unwrap()
        };
        let img = Path::new("MBR");
        let none = Override::None.into();

        // By name: let through to be judged by its bytes, which the session reads first.
        let whole = at(part("mbr"), None, None);
        let g = check_write(facts, &whole, img, 0x200, none).unwrap();
        assert!(g.judged_by_bytes());
        assert_eq!(g.forced(), None);
        // The phone's own table, or one with other boot code: the NVRAM set stays put.
        let held = judge_bytes(facts, &g, &mut &mbr[..0x200]).unwrap();
        assert_eq!(held.get_ref()[..], mbr[..0x200]);
        let mut code = mbr[..0x200].to_vec();
        code[..0x40].fill(0xEB);
        judge_bytes(facts, &g, &mut &code[..]).unwrap();
        // A table that moves PROTECT_F by 1 MiB: nothing names it, the NVRAM set is hidden.
        let (moved, _, _) = table::a516_tables(0x800);
        let text = table_refused(judge_bytes(facts, &g, &mut &moved[..0x200]).unwrap_err());
        assert!(
            text.contains("no longer shows PRO_INFO, NVRAM, PROTECT_F"),
            "{text}"
        );

        // By range: a raw write over the EBR sector, whatever it is called.
        let raw = at(Selector::Region(Region::EmmcUser), Some(ebr_at), None);
        let g = check_write(facts, &raw, img, 0x200, none).unwrap();
        assert!(g.judged_by_bytes());
        // No EBR left there: the MBR alone is still named by the board's layout.
        judge_bytes(facts, &g, &mut &[0xFFu8; 0x200][..]).unwrap();
        // An EBR whose CACHE starts elsewhere fits no layout: the NVRAM set would not show.
        let bad = table::sector(&[(0x83, 0x10, 0x10)]);
        let text = table_refused(judge_bytes(facts, &g, &mut &bad[..0x200]).unwrap_err());
        assert!(text.contains("user (it covers EBR1)"), "{text}");
        // An erase of the MBR leaves no table at all.
        let first = at(Selector::Region(Region::EmmcUser), Some(0), Some(0x200));
        let text = table_refused(check_erase(facts, &first, none).unwrap_err());
        assert!(text.contains("user (it covers MBR)"), "{text}");
        // Too large to be a table image: refused, not read into memory.
        let room = at(Selector::Region(Region::EmmcUser), Some(0), None);
        let e = check_write(facts, &room, img, TABLE_IMAGE_MAX + 1, none).unwrap_err();
        assert!(table_refused(e).contains("larger than any partition table image"));
        // Elsewhere, nothing to judge.
        let clear = at(part("UBOOT"), None, None);
        assert!(
            !check_write(facts, &clear, img, 0x200, none)
                .unwrap()
                .judged_by_bytes()
        );

        // The override lets it through unjudged, recorded as reaching the table.
        let forced = Override::ForceIdentityPartition.into();
        let g = check_erase(facts, &first, forced).unwrap();
        let f = g.forced().unwrap();
        assert_eq!(
            (f.flag, f.holds),
            ("--force-identity-partition", "partition table")
        );
        assert!(
            !check_write(facts, &first, img, 0x200, forced)
                .unwrap()
                .judged_by_bytes()
        );
        // A layout rewrite's backup lifts the table's refusal, and nothing else.
        let layout = Grant::Layout("backup");
        let g = check_write(facts, &whole, img, 0x200, layout).unwrap();
        assert!(!g.judged_by_bytes());
        assert_eq!(g.forced().unwrap().holds, "partition table");
        let nvram = at(part("NVRAM"), None, None);
        refused(check_write(facts, &nvram, img, 0x200, layout).unwrap_err());
    }

    #[test]
    fn a_phone_with_no_table_has_no_identity_to_hide() {
        let blank = TableReading::new(vec![0; 0x400], Vec::new(), 0x40_0000, 0x1000_0000);
        let (map, da) = (blank.map(), da());
        let facts = Facts {
            reading: Reading::next(),
            map: &map,
            table: Some(&blank),
            da: &da,
        };
        let first = Target {
            name: "user".into(),
            is_partition: false,
            region: Region::EmmcUser,
            addr: 0,
            len: 0x100_0000,
        };
        let g = check_write(
            facts,
            &first,
            Path::new("dump"),
            0x100_0000,
            Override::None.into(),
        );
        let g = g.unwrap();
        assert_eq!((g.forced(), g.judged_by_bytes()), (None, false));
        check_erase(facts, &first, Override::None.into()).unwrap();
    }
}
