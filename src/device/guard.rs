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
//! The checks: the NVRAM set (PRO_INFO, NVRAM, PROTECT_F, PROTECT_S: the phone's identity),
//! PRELOADER and anything in boot1 (its boot code), the bounds of the partition and of the
//! region the phone reported, and the size of the image. An override
//! ([`Override::ForceIdentityPartition`], `--force-identity-partition`) lets the first two
//! through and is recorded in the guarded target ([`GuardedWrite::forced`]), so the session
//! writes it into the transcript. A restore passes by proof instead ([`restore()`]): a
//! [`ProvenFile`] of a verified backup of the connected phone (or of another phone with
//! `--other-device`, recorded as identity cloning), written back only where it was read. Pure
//! apart from reading the session's facts: no port, no file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    error::DeviceError,
    session::{DaInfo, Reading, Session},
    table::PartitionMap,
    target::{Partition, Region, Selector, Target},
};
use crate::{backup::ProvenFile, firmware::is_nvram_set, transport::Transport};

/// Whether the technician overrode the identity and boot-code refusals. A restore does not use
/// an override: it passes by a proof only a verified backup of this phone gives
/// ([`restore()`], [`crate::backup::RestoreProof`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// No override: the NVRAM set, PRELOADER and boot1 are refused.
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
    /// What it holds: "identity" (NVRAM set) or "boot code" (preloader, boot1).
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

/// Why a partition may not be written or erased without an override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protected {
    /// The NVRAM set ([`crate::firmware::NVRAM_SET`]): the phone's identity.
    Identity,
    /// PRELOADER or anything in boot1: the phone's boot code.
    BootCode,
}

impl Protected {
    fn holds(self) -> &'static str {
        match self {
            Protected::Identity => "identity",
            Protected::BootCode => "boot code",
        }
    }
}

fn protected(name: &str) -> Option<Protected> {
    if is_nvram_set(name) {
        Some(Protected::Identity)
    } else if crate::firmware::is_boot_code(name) {
        Some(Protected::BootCode)
    } else {
        None
    }
}

fn refusal(kind: Protected, action: &'static str, target: String) -> DeviceError {
    match kind {
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

/// What lifts the identity and boot-code refusals for one check: the technician's flag, or
/// a restore's proof (the name it is recorded under). Private: a proof reaches the guard only
/// through [`restore()`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// Nothing: protected ranges are refused.
    None,
    /// An override the technician gave, recorded under its flag.
    Flag(&'static str),
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
        (Some((kind, name)), Grant::None) => Err(refusal(kind, action, name)),
        (Some((kind, name)), Grant::Flag(flag)) => Ok(Some(Forced {
            flag,
            target: name,
            holds: kind.holds(),
        })),
    }
}

/// The check that needs no phone: refuses a protected partition by name, or the boot1
/// region, before any port is opened (so the technician does not catch the phone for
/// nothing). [`write()`] and [`erase()`] repeat it against the phone's real map.
pub fn precheck(
    selector: &Selector,
    action: &'static str,
    force: Override,
) -> Result<(), DeviceError> {
    let found = match selector {
        Selector::Partition(name) => protected(name).map(|k| (k, name.clone())),
        Selector::Region(Region::EmmcBoot1) => Some((Protected::BootCode, "boot1".to_string())),
        Selector::Region(_) => None,
    };
    decide(found, action, force.into()).map(drop)
}

/// What `target` touches that the guard protects: any part of the NVRAM set or of PRELOADER
/// (names any case; every partition the range overlaps counts, whatever the target is
/// called), and anything in boot1. The identity outranks the boot code: it cannot be
/// re-flashed.
fn touches(target: &Target, partitions: &[Partition]) -> Option<(Protected, String)> {
    let end = target.addr.saturating_add(target.len);
    let mut found: Option<(Protected, Option<String>)> =
        (target.region == Region::EmmcBoot1).then_some((Protected::BootCode, None));
    if let Some(kind) = protected(&target.name).filter(|_| target.is_partition) {
        found = Some((kind, None));
    }
    for p in partitions {
        let overlaps = p.region == target.region
            && p.offset < end
            && target.addr < p.offset.saturating_add(p.size);
        match protected(&p.name) {
            Some(kind) if overlaps && !matches!(found, Some((Protected::Identity, _))) => {
                found = Some((kind, Some(p.name.clone())));
            }
            _ => {}
        }
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
    let (reading, map, da) = session.guard_facts()?;
    check_write(reading, map, da, whole, image, image_len, force.into())
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
    let (reading, map, da) = session.guard_facts()?;
    let brom = session
        .brom_info()
        .ok_or_else(|| super::session::sequence("a restore is checked against the phone's identity, so the phone must be identified first"))?;
    let live = super::Fingerprint::new(brom, da, map).device_key();
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
    check_write(
        reading,
        map,
        da,
        whole,
        file.path(),
        file.entry().length,
        grant,
    )
}

/// Guards an erase of `target` on the phone `session` talks to: clear of the identity and
/// boot code (unless `force`), inside its partition and the phone's region, as the partition
/// map the session read says (it must have been read).
pub fn erase<T: Transport>(
    session: &Session<T>,
    target: &Target,
    force: Override,
) -> Result<GuardedErase, DeviceError> {
    let (reading, map, da) = session.guard_facts()?;
    check_erase(reading, map, da, target, force.into())
}

/// [`write()`] against the facts `map` and `da` of `reading`.
fn check_write(
    reading: Reading,
    map: &PartitionMap,
    da: &DaInfo,
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
    check_bounds(&target, map, da)?;
    let forced = decide(touches(&target, &map.partitions), "write", force)?;
    Ok(GuardedWrite {
        target,
        image: image.to_path_buf(),
        forced,
        reading,
    })
}

/// [`erase()`] against the facts `map` and `da` of `reading`.
fn check_erase(
    reading: Reading,
    map: &PartitionMap,
    da: &DaInfo,
    target: &Target,
    force: Grant,
) -> Result<GuardedErase, DeviceError> {
    check_bounds(target, map, da)?;
    let forced = decide(touches(target, &map.partitions), "erase", force)?;
    Ok(GuardedErase {
        target: target.clone(),
        forced,
        reading,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        device::table::TableSource,
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
            let e =
                check_erase(Reading::next(), &map(), &da(), &t, Override::None.into()).unwrap_err();
            let text = refused(e);
            assert!(text.contains("--force-identity-partition"), "{text}");
            assert!(
                text.contains("IMEI") || text.contains("hard brick"),
                "{text}"
            );
            let g = check_erase(
                Reading::next(),
                &map(),
                &da(),
                &t,
                Override::ForceIdentityPartition.into(),
            )
            .unwrap();
            let forced = g.forced().unwrap();
            assert_eq!(forced.flag, "--force-identity-partition");
            assert!(forced.describe("erase").contains(&t.name), "{forced:?}");
            let w = check_write(
                Reading::next(),
                &map(),
                &da(),
                &t,
                Path::new("x.img"),
                0x200,
                Override::None.into(),
            );
            refused(w.unwrap_err());
        }
        let uboot = resolve(&part("UBOOT"), None, None);
        let g = check_erase(
            Reading::next(),
            &map(),
            &da(),
            &uboot,
            Override::None.into(),
        )
        .unwrap();
        assert_eq!(g.forced(), None);
        assert_eq!(g.target(), &uboot);
    }

    #[test]
    fn a_raw_range_is_judged_by_what_it_overlaps() {
        let user = Selector::Region(Region::EmmcUser);
        let clear = resolve(&user, Some(0x1D20000), Some(0x1000));
        check_erase(
            Reading::next(),
            &map(),
            &da(),
            &clear,
            Override::None.into(),
        )
        .unwrap();
        let over = resolve(&user, Some(0x3FF000), Some(0x2000));
        let text = refused(
            check_erase(Reading::next(), &map(), &da(), &over, Override::None.into()).unwrap_err(),
        );
        assert!(text.contains("it covers NVRAM"), "{text}");
        // A write is judged on the image's length, not on the room behind the offset.
        let room = resolve(&user, Some(0x300000), None);
        check_write(
            Reading::next(),
            &map(),
            &da(),
            &room,
            Path::new("a.img"),
            0x1000,
            Override::None.into(),
        )
        .unwrap();
        let e = check_write(
            Reading::next(),
            &map(),
            &da(),
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
        let e =
            check_erase(Reading::next(), &map(), &da(), &liar, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
        // Called a region, lying in boot1.
        let raw = Target {
            name: "user".into(),
            is_partition: false,
            region: Region::EmmcBoot1,
            addr: 0x100,
            len: 0x100,
        };
        refused(
            check_erase(Reading::next(), &map(), &da(), &raw, Override::None.into()).unwrap_err(),
        );
        // Past the end of the phone's user area.
        let past = Target {
            name: "user".into(),
            is_partition: false,
            region: Region::EmmcUser,
            addr: 0x0FFF_F000,
            len: 0x2000,
        };
        let e =
            check_erase(Reading::next(), &map(), &da(), &past, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::OutOfRange { .. }), "{e}");
        // A region this eMMC phone does not have.
        let nand = Target {
            region: Region::Nand,
            addr: 0,
            ..past
        };
        let e =
            check_erase(Reading::next(), &map(), &da(), &nand, Override::None.into()).unwrap_err();
        assert!(matches!(e, DeviceError::NoSuchRegion { .. }), "{e}");
    }

    #[test]
    fn an_image_larger_than_its_room_is_refused() {
        let uboot = resolve(&part("UBOOT"), Some(0x10000), None);
        let e = check_write(
            Reading::next(),
            &map(),
            &da(),
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
            Reading::next(),
            &map(),
            &da(),
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
        precheck(&Selector::Region(Region::EmmcUser), "write", Override::None).unwrap();
    }
}
