//! The flash planner: (phone, ROM, mode, selection, backup, overrides) in, an ordered [`Plan`]
//! out, or a [`PlanError`] that says why this flash must not happen and what to do instead.
//!
//! The three modes are SP Flash Tool's:
//! * **Download Only** writes the selected images into the phone's existing layout; refused
//!   when the phone's partition table differs from the scatter.
//! * **Firmware Upgrade** backs up the NVRAM set (or uses a verified backup of this phone taken
//!   in this connection), formats, downloads, restores the NVRAM set and verifies it. Refused
//!   when the NVRAM set would change size across the layouts.
//! * **Format All + Download** formats everything and downloads; it needs a verified backup of
//!   this phone and the explicit "I understand this erases the identity". The identity is
//!   restored from that backup at the end, so the phone leaves with its own IMEI.
//!
//! Safety holds by construction: a [`Plan`] can only be made here (its fields are private),
//! and [`build`] never emits a write of the NVRAM set other than a restore from a verified
//! backup of the same phone, never a range outside a partition or the phone's region, never an
//! image larger than its partition, and the preloader only when the ROM's preloader project and
//! EMI version match the phone's or the separate override is given.
//!
//! Pure: no I/O. The executor carries a plan out; the CLI and the TUI show it.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::facts::{BackupFacts, DeviceFacts, Difference, RomPartition, RomView, differences};
pub use super::plan_error::PlanError;
use crate::{
    device::target::Region,
    firmware::{NVRAM_SET, is_layout, is_nvram_set, rom::PLATFORM},
};

/// The chip every plan is for.
pub const HW_CODE: u16 = 0x6572;

/// SP Flash Tool's three modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Write the selected images into the existing layout.
    DownloadOnly,
    /// Back up the NVRAM set, format, download, restore the NVRAM set.
    FirmwareUpgrade,
    /// Format everything, then download (needs a verified backup and a typed confirmation).
    FormatAll,
}

impl Mode {
    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DownloadOnly => "download-only",
            Mode::FirmwareUpgrade => "firmware-upgrade",
            Mode::FormatAll => "format-all",
        }
    }

    /// The name SP Flash Tool shows.
    pub fn title(self) -> &'static str {
        match self {
            Mode::DownloadOnly => "Download Only",
            Mode::FirmwareUpgrade => "Firmware Upgrade",
            Mode::FormatAll => "Format All + Download",
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        [Mode::DownloadOnly, Mode::FirmwareUpgrade, Mode::FormatAll]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown mode {s:?}: use download-only, firmware-upgrade or format-all")
            })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Decisions only the technician can take, each given on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Write the ROM's preloader although its project or EMI version differs from the
    /// phone's (or cannot be confirmed). A wrong preloader is a hard brick.
    pub preloader_of_another_board: bool,
    /// `--i-understand-this-erases-identity`: needed by Format All + Download.
    pub erases_identity: bool,
}

/// What the planner is asked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The mode.
    pub mode: Mode,
    /// `--partitions`: the images to write (Download Only); `None` for every downloadable one.
    pub selection: Option<&'a [String]>,
    /// The newest identity backup of this phone, if any.
    pub backup: Option<&'a BackupFacts>,
    /// The technician's explicit decisions.
    pub overrides: Overrides,
    /// What the caller does around the plan.
    pub planning: Planning,
}

/// What the caller of the planner does around the plan, beyond the technician's request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Planning {
    /// The caller takes this phone's identity backup in the same connection before the plan
    /// runs (a repair): Format All + Download without a verified backup at hand is planned
    /// with the backup steps first instead of refused.
    pub backup_first: bool,
    /// The plan is only shown (a dry run): a Format All + Download not yet confirmed is
    /// planned, with a warning naming the confirmation it needs, instead of refused.
    pub preview: bool,
}

/// What a step does to one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read it into a new identity backup (nothing is written to the phone).
    Backup,
    /// Erase its range.
    Erase,
    /// Write the ROM's image to it.
    Write,
    /// Write it back from the identity backup, then read it back and compare.
    Restore,
    /// The ROM has an image for it that will not be written (the reason says why).
    Skip,
    /// Left as it is on the phone.
    Keep,
}

impl Action {
    /// True for the actions that change the phone.
    pub fn changes_phone(self) -> bool {
        matches!(self, Action::Erase | Action::Write | Action::Restore)
    }
}

/// Where a step's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// An image of the ROM package.
    Image {
        /// File name as the scatter writes it.
        file: String,
        /// Its SHA-256, when known.
        sha256: Option<String>,
    },
    /// A partition of an identity backup.
    Backup {
        /// The backup id; `None` for the backup this plan's own backup steps take.
        id: Option<String>,
        /// The SHA-256 of the backed-up bytes, when already known.
        sha256: Option<String>,
    },
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    partition: String,
    action: Action,
    #[serde(serialize_with = "Region::serialize_short")]
    region: Region,
    addr: u64,
    length: u64,
    source: Option<Source>,
    why: String,
}

impl Step {
    /// The partition.
    pub fn partition(&self) -> &str {
        &self.partition
    }
    /// What happens to it.
    pub fn action(&self) -> Action {
        self.action
    }
    /// The region the address is relative to.
    pub fn region(&self) -> Region {
        self.region
    }
    /// First byte, relative to the region.
    pub fn addr(&self) -> u64 {
        self.addr
    }
    /// Bytes acted on (for a write, the image's size; for an erase, the partition's).
    pub fn length(&self) -> u64 {
        self.length
    }
    /// Where the bytes come from.
    pub fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }
    /// Why, in a technician's words.
    pub fn why(&self) -> &str {
        &self.why
    }
}

/// An ordered flash plan, shown in full before anything is written. Only [`build`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    mode: Mode,
    device_key: String,
    backup: Option<String>,
    steps: Vec<Step>,
    warnings: Vec<String>,
}

impl Plan {
    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }
    /// The phone this plan is for.
    pub fn device_key(&self) -> &str {
        &self.device_key
    }
    /// The identity backup the plan restores from, when it uses an existing one.
    pub fn backup(&self) -> Option<&str> {
        self.backup.as_deref()
    }
    /// The steps in the order they run.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
    /// What the technician must know before confirming.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Bytes the plan writes to the phone (writes and restores).
    pub fn bytes_to_write(&self) -> u64 {
        self.steps
            .iter()
            .filter(|s| matches!(s.action, Action::Write | Action::Restore))
            .map(|s| s.length)
            .sum()
    }
    /// What the plan does to the phone's identity (the NVRAM set): what the confirmation
    /// must say before anything is written.
    pub fn identity(&self) -> Identity {
        let names = |pick: &dyn Fn(Action) -> bool| -> Vec<String> {
            self.steps
                .iter()
                .filter(|s| pick(s.action) && is_nvram_set(&s.partition))
                .map(|s| s.partition.clone())
                .collect()
        };
        let restored = names(&|a| a == Action::Restore);
        let at_risk: Vec<String> = names(&|a| matches!(a, Action::Erase | Action::Write))
            .into_iter()
            .filter(|n| !restored.contains(n))
            .collect();
        if !at_risk.is_empty() {
            Identity::AtRisk(at_risk)
        } else if restored.is_empty() {
            Identity::Untouched
        } else {
            Identity::Restored(restored)
        }
    }
}

impl Plan {
    /// [`Plan::identity`] in one sentence for the technician, as both faces show it before
    /// the plan is confirmed.
    pub fn identity_line(&self) -> String {
        match self.identity() {
            Identity::Untouched => {
                "Identity (IMEI, MACs, calibration): protected, the NVRAM set is not touched."
                    .into()
            }
            Identity::Restored(set) => format!(
                "Identity (IMEI, MACs, calibration): protected. {} {} erased, then written \
                 back from {} and read back.",
                set.join(" "),
                if set.len() == 1 { "is" } else { "are" },
                self.backup().map_or_else(
                    || "the identity backup taken first in this connection".to_string(),
                    |id| format!("the verified backup {id}")
                )
            ),
            Identity::AtRisk(set) => {
                format!("IDENTITY AT RISK: {} is erased or written.", set.join(" "))
            }
        }
    }
}

/// What a plan does to the phone's identity (IMEI, MACs, calibration: the NVRAM set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Neither erased nor written.
    Untouched,
    /// Erased or rewritten, then written back from the verified identity backup and read
    /// back: these partitions.
    Restored(Vec<String>),
    /// Erased or written with no restore after it: these partitions lose the phone's
    /// identity.
    AtRisk(Vec<String>),
}

/// True when the ROM's preloader was built for the phone's board: same project and same EMI
/// version, both known on both sides.
pub fn preloader_matches(device: &DeviceFacts, rom: &RomView) -> bool {
    match (&device.preloader, &rom.preloader) {
        (Some(d), Some(r)) => {
            let project = match (&d.project, &r.project) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            };
            project && d.emi_version.is_some() && d.emi_version == r.emi_version
        }
        _ => false,
    }
}

const CLONING_WARNING: &str = "the ROM carries an image of an identity partition (IMEI, MACs, \
     calibration of the phone it was read from); writing it would clone another phone's \
     identity, so it is skipped";

const BACKUP_FIRST_WARNING: &str = "this phone has no verified identity backup yet: the repair \
     reads its identity set (IMEI, MACs, calibration) twice, compares and stores it, verified, \
     before anything is erased; if the two reads differ, nothing is erased";

const CONFIRM_WARNING: &str = "Format All + Download erases the phone's identity partitions \
     (restored from the backup at the end): it runs only once confirmed, with \
     --i-understand-this-erases-identity on the command line or by typing the confirmation in \
     the workstation";

/// Makes the plan for `request`, or says why there is none.
pub fn build(
    device: &DeviceFacts,
    rom: &RomView,
    request: &Request<'_>,
) -> Result<Plan, PlanError> {
    check_phone(device, rom)?;
    let mode = request.mode;
    let mut warnings = Vec::new();
    let selected = selection(rom, request)?;
    let mut steps = Vec::new();

    // The identity backup, for the modes that format.
    let mut backup_id = None;
    if mode != Mode::DownloadOnly {
        check_nvram_fits(device, rom, mode)?;
        let usable = request
            .backup
            .filter(|b| backup_covers(b, device))
            .filter(|b| mode == Mode::FormatAll || b.this_session);
        match (mode, usable) {
            (Mode::FormatAll, None) if !request.planning.backup_first => {
                return Err(PlanError::NeedsVerifiedBackup {
                    reason: missing_backup_reason(request.backup, device),
                });
            }
            (_, Some(b)) => backup_id = Some(b.id.clone()),
            (_, None) => {
                if mode == Mode::FormatAll {
                    warnings.push(BACKUP_FIRST_WARNING.into());
                }
                for p in nvram_set_of(device) {
                    steps.push(Step {
                        partition: p.name.clone(),
                        action: Action::Backup,
                        region: p.region,
                        addr: p.offset,
                        length: p.size,
                        source: None,
                        why: "read into a new identity backup (read twice, compared, hashed) \
                              before anything is erased"
                            .into(),
                    });
                }
            }
        }
        if mode == Mode::FormatAll && !request.overrides.erases_identity {
            if !request.planning.preview {
                return Err(PlanError::NotConfirmed);
            }
            warnings.push(CONFIRM_WARNING.into());
        }
        for p in rom.partitions.iter().filter(|p| !p.bootloader) {
            let (addr, length) = checked_range(device, p, None)?;
            steps.push(Step {
                partition: p.name.clone(),
                action: Action::Erase,
                region: p.region,
                addr,
                length,
                source: None,
                why: if is_nvram_set(&p.name) {
                    "formatted; the identity is written back from the backup at the end".into()
                } else {
                    format!("formatted ({})", mode.title())
                },
            });
        }
    } else {
        let diffs = differences(device, rom);
        if !diffs.is_empty() {
            return Err(PlanError::LayoutDiffers { differences: diffs });
        }
    }

    // The images. The modes that format write the ROM's partition table (MBR, EBRs) first,
    // so that every other image, and the identity restored at the end, is placed by the table
    // the phone is read to hold from then on.
    let mut images: Vec<&RomPartition> = rom.partitions.iter().collect();
    if mode != Mode::DownloadOnly {
        images.sort_by_key(|p| !is_layout(&p.name));
    }
    for p in images {
        let Some(image) = &p.image else { continue };
        let step = |action, length, why: String| Step {
            partition: p.name.clone(),
            action,
            region: p.region,
            addr: p.offset,
            length,
            source: Some(Source::Image {
                file: image.file.clone(),
                sha256: image.sha256.clone(),
            }),
            why,
        };
        if !selected.iter().any(|s| s.eq_ignore_ascii_case(&p.name)) {
            let why = if image.download {
                "not selected".to_string()
            } else {
                "the scatter marks it not to be downloaded".to_string()
            };
            steps.push(step(Action::Keep, 0, why));
            continue;
        }
        if is_nvram_set(&p.name) {
            warnings.push(format!("{}: {CLONING_WARNING}", p.name));
            steps.push(step(Action::Skip, 0, CLONING_WARNING.into()));
            continue;
        }
        if p.bootloader && !preloader_matches(device, rom) {
            if request.overrides.preloader_of_another_board {
                warnings.push(format!(
                    "{}: written by your explicit override although it is not confirmed to be \
                     built for this board: a wrong preloader is a hard brick",
                    p.name
                ));
            } else {
                let why = preloader_refusal(device, rom);
                warnings.push(format!("{}: {why}", p.name));
                steps.push(step(Action::Skip, 0, why));
                continue;
            }
        }
        let Some(size) = image.size else {
            return Err(PlanError::MissingImage {
                partition: p.name.clone(),
                file: image.file.clone(),
            });
        };
        checked_range(device, p, Some((size, &image.file)))?;
        let why = if p.bootloader {
            "preloader built for this board (project and EMI version match)".into()
        } else if mode != Mode::DownloadOnly && is_layout(&p.name) {
            "the ROM's partition table, written first; the phone's table is then read again".into()
        } else {
            "image from the ROM".into()
        };
        steps.push(step(Action::Write, size, why));
    }

    // The identity back, in the modes that formatted it.
    if mode != Mode::DownloadOnly {
        for d in nvram_set_of(device) {
            let Some(r) = rom.partition(&d.name) else {
                continue;
            };
            let sha256 = request
                .backup
                .filter(|_| backup_id.is_some())
                .and_then(|b| b.partition(&d.name))
                .map(|b| b.sha256.clone());
            steps.push(Step {
                partition: r.name.clone(),
                action: Action::Restore,
                region: r.region,
                addr: r.offset,
                length: d.size,
                source: Some(Source::Backup {
                    id: backup_id.clone(),
                    sha256,
                }),
                why: "the phone's own identity written back from its verified backup, then \
                      read back and compared"
                    .into(),
            });
        }
    }

    Ok(Plan {
        mode,
        device_key: device.key.clone(),
        backup: backup_id,
        steps,
        warnings,
    })
}

/// Same chip, same storage.
fn check_phone(device: &DeviceFacts, rom: &RomView) -> Result<(), PlanError> {
    let platform_ok = rom
        .platform
        .as_deref()
        .is_none_or(|p| p.eq_ignore_ascii_case(PLATFORM));
    if !platform_ok || device.hw_code != HW_CODE {
        return Err(PlanError::WrongChip {
            rom: rom.platform.clone().unwrap_or_else(|| PLATFORM.into()),
            device: device.hw_code,
        });
    }
    if device.storage != Some(rom.storage) {
        return Err(PlanError::WrongStorage {
            rom: rom.storage.as_str().into(),
            device: device
                .storage
                .map_or_else(|| "no eMMC or NAND".into(), |s| s.as_str().into()),
        });
    }
    Ok(())
}

/// The images to write: `--partitions` (Download Only) or every downloadable image.
fn selection(rom: &RomView, request: &Request<'_>) -> Result<Vec<String>, PlanError> {
    let with_image = || rom.partitions.iter().filter(|p| p.image.is_some());
    match request.selection {
        None => Ok(with_image()
            .filter(|p| p.image.as_ref().is_some_and(|i| i.download))
            .map(|p| p.name.clone())
            .collect()),
        Some(_) if request.mode != Mode::DownloadOnly => {
            Err(PlanError::SelectionNotAllowed { mode: request.mode })
        }
        Some(names) => names
            .iter()
            .map(|n| {
                with_image()
                    .find(|p| p.name.eq_ignore_ascii_case(n))
                    .map(|p| p.name.clone())
                    .ok_or_else(|| PlanError::NotInRom {
                        name: n.clone(),
                        known: with_image().map(|p| p.name.clone()).collect(),
                    })
            })
            .collect(),
    }
}

/// The phone's NVRAM-set partitions, in table order.
fn nvram_set_of(device: &DeviceFacts) -> impl Iterator<Item = &crate::device::target::Partition> {
    device.partitions.iter().filter(|p| is_nvram_set(&p.name))
}

/// Every NVRAM-set partition of the phone exists in the ROM's layout with the same size, and
/// the ROM's layout has none the phone lacks (it would be formatted with nothing of this
/// phone's to restore into it).
fn check_nvram_fits(device: &DeviceFacts, rom: &RomView, mode: Mode) -> Result<(), PlanError> {
    let added = rom
        .partitions
        .iter()
        .filter(|r| is_nvram_set(&r.name) && device.partition(&r.name).is_none())
        .map(|r| Difference {
            partition: r.name.clone(),
            device: None,
            rom: Some(super::facts::Span {
                region: r.region,
                offset: r.offset,
                size: r.size,
            }),
        });
    let differences: Vec<Difference> = nvram_set_of(device)
        .filter_map(|d| {
            let r = rom.partition(&d.name);
            let same = r.is_some_and(|r| r.size == Some(d.size) && r.region == d.region);
            (!same).then(|| Difference {
                partition: d.name.clone(),
                device: Some(super::facts::Span {
                    region: d.region,
                    offset: d.offset,
                    size: Some(d.size),
                }),
                rom: r.map(|r| super::facts::Span {
                    region: r.region,
                    offset: r.offset,
                    size: r.size,
                }),
            })
        })
        .chain(added)
        .collect();
    if differences.is_empty() && nvram_set_of(device).next().is_some() {
        return Ok(());
    }
    let differences = if differences.is_empty() {
        NVRAM_SET
            .iter()
            .map(|n| Difference {
                partition: (*n).into(),
                device: None,
                rom: None,
            })
            .collect()
    } else {
        differences
    };
    Err(PlanError::NvramDoesNotFit { mode, differences })
}

/// A verified backup of this phone holding its whole NVRAM set at the phone's sizes.
fn backup_covers(backup: &BackupFacts, device: &DeviceFacts) -> bool {
    backup.verified
        && backup.device_key == device.key
        && nvram_set_of(device).all(|d| backup.partition(&d.name).is_some_and(|b| b.size == d.size))
}

fn missing_backup_reason(backup: Option<&BackupFacts>, device: &DeviceFacts) -> String {
    match backup {
        None => "there is no backup of this phone's identity".into(),
        Some(b) if b.device_key != device.key => {
            format!("backup {} is of another phone", b.id)
        }
        Some(b) if !b.verified => format!("backup {} did not pass verification", b.id),
        Some(b) => format!(
            "backup {} does not hold the whole NVRAM set at this phone's sizes",
            b.id
        ),
    }
}

fn preloader_refusal(device: &DeviceFacts, rom: &RomView) -> String {
    let show = |p: &Option<crate::firmware::preloader::PreloaderIdentity>| match p {
        Some(p) => format!(
            "project {}, EMI v{}",
            p.project.as_deref().unwrap_or("unknown"),
            p.emi_version.map_or("?".into(), |v| v.to_string())
        ),
        None => "not read".into(),
    };
    format!(
        "kept: the ROM's preloader ({}) is not confirmed to be built for this board ({}); a \
         wrong preloader is a hard brick",
        show(&rom.preloader),
        show(&device.preloader)
    )
}

/// The range a step touches, checked: inside the partition, inside the phone's region. With
/// `image`, its size is checked against the partition instead of taking the whole partition.
fn checked_range(
    device: &DeviceFacts,
    p: &RomPartition,
    image: Option<(u64, &str)>,
) -> Result<(u64, u64), PlanError> {
    let outside = |reason: String| PlanError::OutsideDevice {
        partition: p.name.clone(),
        reason,
    };
    let Some(region_size) = device.region_size(p.region) else {
        return Err(outside(format!(
            "the ROM puts it in region {}, which this phone does not have",
            p.region.as_short()
        )));
    };
    let room = region_size.saturating_sub(p.offset);
    if p.offset >= region_size {
        return Err(outside(format!(
            "it starts at {:#x}, beyond the end of the phone's {} region ({region_size:#x})",
            p.offset,
            p.region.as_short()
        )));
    }
    // Where the scatter gives no size (the last partition), it runs to the region's end.
    let size = p.size.unwrap_or(room);
    if size > room {
        return Err(outside(format!(
            "it ends at {:#x}, beyond the end of the phone's {} region ({region_size:#x})",
            p.offset.saturating_add(size),
            p.region.as_short()
        )));
    }
    match image {
        None => Ok((p.offset, size)),
        Some((len, file)) if len > size => Err(PlanError::ImageTooLarge {
            partition: p.name.clone(),
            file: file.into(),
            image: len,
            partition_size: size,
        }),
        Some((len, _)) => Ok((p.offset, len)),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
