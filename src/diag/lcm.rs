//! The display-driver (LCM) check: will this ROM light this phone's panel?
//!
//! It compares the panel driver the phone needs ([`PanelEvidence`]: from the phone's own UBOOT
//! read back, an `lcm=` value in a boot log, a board profile, or typed by hand) with the
//! drivers compiled into the ROM's lk and kernel ([`LcmFacts`]), and predicts the outcome
//! ([`check`] → [`LcmVerdict`]): it works, a white screen from the boot logo on (lk lacks the
//! driver), a black screen after the logo (the kernel lacks it), or unknown, with the evidence
//! that is missing. [`roms_with_driver`] is the hook through which the ROM library names other
//! ROMs that carry the driver.
//!
//! How names compare follows the hand-over between LK and the kernel on MT6572
//! (`realdata/lcm/lk_to_kernel_lcm_handoff.txt`):
//! - LK probes the panel with every driver built into it (`compare_id`, first match wins) and
//!   passes the winner's own `name` to the kernel as `lcm=<found>-<name>` (`lcm=1-st7701_…`;
//!   `0-` means LK found no matching panel). A panel whose driver is not in lk is never set
//!   up: white (or garbled) screen from power-on.
//! - The kernel skips the `<found>-` prefix and looks the rest up with `strcmp` in its own list:
//!   the comparison is exact, case included. No match: its display driver does not start
//!   (`disp_drv_get_lcm_driver() returns NULL`), black screen once the kernel takes over. A
//!   kernel built with exactly ONE driver takes it without comparing names.
//!
//! So this module compares:
//! - evidence names with lk names ignoring ASCII case (evidence is often typed or copied from a
//!   config file), after [`normalise_name`] removed quotes, brackets, `lcm=` and the `0-`/`1-`
//!   prefix (as in MTK Droid Tools' "LCD Driver IC : 1-st7701_wvga_dsi_vdo");
//! - the name LK would pass (its own spelling) with kernel names exactly, except for a
//!   single-driver kernel, which matches when it is the same driver ignoring case and never
//!   compares otherwise;
//! - a name that does not have the shape [`crate::firmware::lcm::is_panel_name`] finds in
//!   binaries is never declared absent: its absence from a list proves nothing.
//!
//! When the phone's own UBOOT is the evidence, its own kernel (BOOTIMG) can be added
//! ([`PanelEvidence::with_phone_kernel`]): only then is "flash without UBOOT and BOOTIMG" proven
//! to keep a kernel that drives the panel.
//!
//! Pure core ([`check`], [`roms_with_driver`], [`LogScan`], [`UbootScan`], the evidence
//! constructors); the only I/O is at the edges ([`uboot_evidence`], [`log_evidence`] read one
//! file each). Reading the phone itself is the caller's: it streams UBOOT into a [`UbootScan`]
//! and BOOTIMG into [`boot_image_drivers`]. Must not import `device`, `transport`, `tui` or
//! anything that draws.

use std::{
    fmt,
    fs::File,
    io::{self, BufRead, BufReader, Read, Write},
    path::Path,
};

use serde::Serialize;

use crate::{
    error::{Advice, HostError},
    firmware::{
        board::{self, BoardFinding},
        facts::{RomFacts, Severity},
        lcm::{self as names, is_panel_name},
        mtk_header,
        rom::{ImageContent, RomReport},
    },
    profile::BoardProfile,
};

/// The partitions a phone keeps when a ROM is flashed without its display drivers.
pub const DISPLAY_PARTITIONS: [&str; 2] = ["UBOOT", "BOOTIMG"];

/// The predicted display outcome of flashing a ROM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// lk and kernel both drive the panel.
    Works,
    /// lk lacks the driver: white (or garbled) screen from power-on.
    WhiteScreen,
    /// lk has the driver, the kernel does not: the logo shows, then black.
    BlackAfterLogo,
    /// Evidence is missing; [`LcmVerdict::missing`] says which.
    Unknown,
}

impl Outcome {
    /// The outcome in a technician's words.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Works => "Works",
            Outcome::WhiteScreen => "White screen from the boot logo on",
            Outcome::BlackAfterLogo => "Black screen after the logo",
            Outcome::Unknown => "Cannot tell",
        }
    }
}

/// Where the panel name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    /// The phone's own UBOOT (lk) partition, read back from the phone.
    UbootReadback,
    /// A boot log (`lcm=` on the kernel command line, LK/kernel detection lines).
    Log,
    /// The board profile.
    Profile,
    /// Typed by the technician.
    ByHand,
}

impl EvidenceSource {
    /// The source in a technician's words.
    pub fn words(self) -> &'static str {
        match self {
            EvidenceSource::UbootReadback => "the phone's own UBOOT, read back",
            EvidenceSource::Log => "boot log",
            EvidenceSource::Profile => "board profile",
            EvidenceSource::ByHand => "given by hand",
        }
    }
}

/// What is known about the panel driver the phone needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanelEvidence {
    /// Where it came from.
    pub source: EvidenceSource,
    /// Which file, line or profile, in words (`boot.log line 12`, `profile a516_row`).
    pub origin: String,
    /// Candidate driver names: one when the panel is known, several when the phone's lk (or
    /// its board) carries several and auto-detects, none when the evidence names no panel.
    pub names: Vec<String>,
    /// True when the evidence shows the phone's own lk carries (or found) the panel driver, so
    /// keeping the phone's own UBOOT is known to help.
    pub phone_firmware_has_panel: bool,
    /// The phone's own kernel (its BOOTIMG read back), when it was read: whether keeping
    /// BOOTIMG keeps a kernel that drives the panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_kernel: Option<PhoneKernel>,
    /// Caveats, and why `names` is empty when it is.
    pub notes: Vec<String>,
}

/// The panel drivers of the phone's own kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneKernel {
    /// Where the kernel was read (`phone's own BOOTIMG read over /dev/ttyACM0`).
    pub origin: String,
    /// Its drivers, or why they are not known.
    pub drivers: Drivers,
    /// True when it drives every panel the evidence names, by the same rules [`check`] uses
    /// for a ROM's kernel (the name the phone's lk passes, compared exactly).
    pub has_panel: bool,
}

/// Panel driver names of one ROM part (lk or kernel), or why they are not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "value")]
pub enum Drivers {
    /// The names found, in the image's order.
    Listed(Vec<String>),
    /// Not known, and why (missing image, not written, unreadable, no name recognised).
    Unknown(String),
}

impl Drivers {
    /// The names, or `None` when unknown (an empty list counts as unknown: the scanner found no
    /// name, which does not prove there is none).
    pub fn names(&self) -> Option<&[String]> {
        match self {
            Drivers::Listed(n) if !n.is_empty() => Some(n),
            _ => None,
        }
    }

    fn why_unknown(&self) -> String {
        match self {
            Drivers::Unknown(why) => why.clone(),
            Drivers::Listed(_) => "no panel driver name was found".into(),
        }
    }
}

/// What a ROM carries for the display: the drivers in its lk and in its kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LcmFacts {
    /// Drivers in lk.bin (the UBOOT partition).
    pub lk: Drivers,
    /// Drivers in the kernel of boot.img (the BOOTIMG partition).
    pub kernel: Drivers,
}

impl LcmFacts {
    /// The facts of an inspected ROM package: its LCM names, and for a part without names the
    /// reason (image not in the scatter, not written, missing, not of the expected kind,
    /// kernel unreadable or without a readable compressed stream).
    pub fn from_report(report: &RomReport) -> LcmFacts {
        let find = |names: [&str; 2]| {
            report
                .images
                .iter()
                .find(|i| names.iter().any(|n| i.partition.eq_ignore_ascii_case(n)))
        };
        let lk = match find(["UBOOT", "LK"]) {
            None => Drivers::Unknown("the ROM's scatter names no UBOOT (lk.bin) image".into()),
            Some(i) if !i.download => Drivers::Unknown(format!(
                "this ROM does not write UBOOT ({} is not marked for download), so the phone \
                 would keep its own lk",
                i.file
            )),
            Some(i) if !i.present => {
                Drivers::Unknown(format!("{} (UBOOT) is missing from the package", i.file))
            }
            Some(i) if !matches!(i.kind.as_deref(), Some("mtk:LK" | "lk-no-header")) => {
                Drivers::Unknown(format!(
                    "{} (UBOOT) is not an lk image (it reads as {})",
                    i.file,
                    i.kind.as_deref().unwrap_or("unknown")
                ))
            }
            Some(i) if report.lcm.lk.is_empty() => {
                Drivers::Unknown(format!("no panel driver name was recognised in {}", i.file))
            }
            Some(_) => Drivers::Listed(report.lcm.lk.clone()),
        };
        let kernel = match find(["BOOTIMG", "BOOT"]) {
            None => Drivers::Unknown("the ROM's scatter names no BOOTIMG (boot.img) image".into()),
            Some(i) if !i.download => Drivers::Unknown(format!(
                "this ROM does not write BOOTIMG ({} is not marked for download), so the \
                 phone would keep its own kernel",
                i.file
            )),
            Some(i) if !i.present => {
                Drivers::Unknown(format!("{} (BOOTIMG) is missing from the package", i.file))
            }
            Some(i) => match &i.detail {
                Some(ImageContent::AndroidBoot { kernel: None, .. }) => Drivers::Unknown(format!(
                    "the kernel in {} cannot be read (the image is damaged: see `mtkbench rom \
                     inspect`)",
                    i.file
                )),
                Some(ImageContent::AndroidBoot {
                    kernel: Some(k), ..
                }) if report.lcm.kernel.is_empty() => {
                    Drivers::Unknown(kernel_without_names(k.payload, &i.file))
                }
                Some(ImageContent::AndroidBoot { .. }) => {
                    Drivers::Listed(report.lcm.kernel.clone())
                }
                _ => Drivers::Unknown(format!(
                    "{} (BOOTIMG) is not an Android boot image (it reads as {})",
                    i.file,
                    i.kind.as_deref().unwrap_or("unknown")
                )),
            },
        };
        LcmFacts { lk, kernel }
    }
}

/// Why a kernel's driver names are not known when none was found in it.
fn kernel_without_names(payload: names::KernelPayload, file: &str) -> String {
    match payload {
        names::KernelPayload::Plain => format!(
            "the kernel in {file} holds no gzip, XZ, LZMA, bzip2 or LZO stream and no panel \
             driver name was recognised in it as it is"
        ),
        names::KernelPayload::Packed { compression, .. } => format!(
            "no panel driver name was recognised in the {} kernel of {file}",
            compression.name()
        ),
    }
}

/// The panel drivers of the kernel in an Android boot image read from its start (a ROM's
/// boot.img, or the phone's own BOOTIMG read back), or why they are not known; `file` names
/// the image in the reason.
pub fn boot_image_drivers<R: Read>(reader: R, file: &str) -> Drivers {
    match names::names_in_boot_image(reader) {
        Ok(k) if !k.names.is_empty() => Drivers::Listed(k.names),
        Ok(k) => Drivers::Unknown(kernel_without_names(k.payload, file)),
        Err(e) => Drivers::Unknown(format!("the kernel in {file} cannot be read: {e}")),
    }
}

/// Why one candidate name gets its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The ROM's lk drivers are not known.
    LkUnknown,
    /// lk lacks the driver, but the name has a shape the scanner cannot find in binaries.
    LkUnsearchable,
    /// lk lacks the driver.
    LkLacks,
    /// lk has it; the ROM's kernel drivers are not known.
    KernelUnknown,
    /// lk has it and the kernel has the same name, exactly.
    KernelMatches,
    /// lk has it and the kernel's only driver is it (taken without comparing names).
    KernelSingle,
    /// lk has it; the kernel's only driver is another one, which it takes anyway.
    KernelSingleOther,
    /// lk has it; the kernel has it spelled in another case, and `strcmp` fails.
    KernelSpelledOtherwise,
    /// lk has it, the kernel lacks it, but the name's shape is not searchable.
    KernelUnsearchable,
    /// lk has it, the kernel lacks it.
    KernelLacks,
}

/// The outcome for one candidate panel driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateVerdict {
    /// The driver name from the evidence.
    pub name: String,
    /// What happens if this is the phone's panel.
    pub outcome: Outcome,
    /// Why.
    pub reason: Reason,
    /// The name as lk spells it (what LK would pass to the kernel), when lk has it.
    pub lk_name: Option<String>,
    /// The kernel driver that would run, when there is one.
    pub kernel_name: Option<String>,
}

/// A kind of evidence the check lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gap {
    /// No panel driver name for the phone.
    Panel,
    /// Several candidates with different outcomes: which one the phone has.
    WhichPanel,
    /// The ROM's lk drivers.
    Lk,
    /// The ROM's kernel drivers.
    Kernel,
}

/// Evidence the check lacked, why, and how to get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// What is missing.
    pub what: Gap,
    /// Why it is missing.
    pub why: String,
    /// How to get it.
    pub how: String,
}

/// A way out when the ROM does not drive the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Fix {
    /// Flash the ROM without these partitions, so the phone keeps its own lk and kernel.
    KeepPhoneFirmware {
        /// Partitions to leave unticked ([`DISPLAY_PARTITIONS`]).
        skip: Vec<String>,
        /// True when the evidence shows the phone's own lk carries the driver and, when its
        /// own kernel was read, that the kernel takes it too; otherwise the technician must
        /// make sure its UBOOT and BOOTIMG are intact.
        proven: bool,
        /// The advice in words.
        advice: String,
    },
    /// Use another ROM that carries the driver in lk and kernel.
    OtherRom {
        /// A ROM from the library, when one is known.
        rom: Option<String>,
        /// The advice in words.
        advice: String,
    },
}

impl Fix {
    /// The advice in words.
    pub fn advice(&self) -> &str {
        match self {
            Fix::KeepPhoneFirmware { advice, .. } | Fix::OtherRom { advice, .. } => advice,
        }
    }
}

/// The result of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LcmVerdict {
    /// The predicted outcome.
    pub outcome: Outcome,
    /// The panel driver, when the evidence names exactly one.
    pub panel: Option<String>,
    /// Drivers in the ROM's lk (empty when not known; see `missing`).
    pub lk: Vec<String>,
    /// Drivers in the ROM's kernel (empty when not known; see `missing`).
    pub kernel: Vec<String>,
    /// Why `lk` is empty, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lk_unknown: Option<String>,
    /// Why `kernel` is empty, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_unknown: Option<String>,
    /// The outcome for each candidate name of the evidence.
    pub candidates: Vec<CandidateVerdict>,
    /// The evidence used.
    pub evidence: PanelEvidence,
    /// The outcome in words, then why.
    pub explanation: String,
    /// Evidence that was missing (empty unless the outcome is unknown or it would have told
    /// more).
    pub missing: Vec<Missing>,
    /// Ways out, when the ROM does not drive the panel.
    pub fix: Vec<Fix>,
    /// Why the ROM is not for the board, when a board is known ([`LcmVerdict::for_board`]):
    /// said before anything else.
    pub not_for_board: Vec<BoardFinding>,
    /// The errors `rom inspect` reports for the ROM's display images (UBOOT, BOOTIMG), in
    /// the same words ([`LcmVerdict::with_rom_errors`]).
    pub rom_errors: Vec<String>,
}

impl LcmVerdict {
    /// Adds "use this ROM instead" for each of `roms` (e.g. the paths [`roms_with_driver`]
    /// returned), unless the ROM checked already works.
    pub fn offer_roms<D: fmt::Display>(&mut self, roms: impl IntoIterator<Item = D>) {
        if self.outcome == Outcome::Works {
            return;
        }
        for rom in roms {
            let rom = rom.to_string();
            self.fix.push(Fix::OtherRom {
                advice: format!(
                    "use {rom} instead: its lk and kernel both carry {}",
                    self.needed_text()
                ),
                rom: Some(rom),
            });
        }
    }

    /// Adds the errors `rom inspect` found in the images of the display partitions (UBOOT,
    /// BOOTIMG): an lk without its header, a damaged or missing image. Both commands then
    /// say the same about them.
    pub fn with_rom_errors(mut self, rom: &RomFacts) -> LcmVerdict {
        self.rom_errors = rom
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .filter(|p| {
                p.partition.as_deref().is_some_and(|n| {
                    ["UBOOT", "LK", "BOOTIMG", "BOOT"]
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(n))
                })
            })
            .map(|p| match &p.partition {
                Some(part) => format!("{part}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        self
    }

    /// Records that the ROM is not for the board the evidence is about (`findings` from
    /// [`crate::firmware::board::check`]; nothing changes when it is empty). The findings come
    /// first in the explanation, and no fix keeps any part of this ROM: flashing it "without
    /// UBOOT and BOOTIMG" would still write another board's preloader and partition table.
    /// The only way out left is a ROM built for this board.
    pub fn for_board(mut self, findings: Vec<BoardFinding>) -> LcmVerdict {
        if findings.is_empty() {
            return self;
        }
        self.fix
            .retain(|f| !matches!(f, Fix::KeepPhoneFirmware { .. }));
        self.fix.insert(
            0,
            Fix::OtherRom {
                rom: None,
                advice: board::advice(&findings),
            },
        );
        self.explanation = format!(
            "This ROM is not for this board: {}. {}",
            findings[0].message,
            match self.outcome {
                Outcome::Unknown => self.explanation.clone(),
                _ => {
                    let mut rest = self.explanation.chars();
                    let first: String = rest
                        .next()
                        .into_iter()
                        .flat_map(char::to_lowercase)
                        .collect();
                    format!("As for the display alone: {first}{}", rest.as_str())
                }
            }
        );
        self.not_for_board = findings;
        self
    }

    /// "st7701_wvga_dsi_vdo", or "the driver of this phone's panel (one of a, b)".
    fn needed_text(&self) -> String {
        match self.evidence.names.as_slice() {
            [] => "the phone's panel driver".into(),
            [one] => one.clone(),
            many => format!("the phone's panel driver (one of {})", many.join(", ")),
        }
    }
}

/// Why a panel name or an evidence source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LcmCheckError {
    /// A `--lcm` value that is not a driver name.
    #[error("{given:?} is not a panel driver name")]
    NotAName {
        /// What was given.
        given: String,
    },
}

impl Advice for LcmCheckError {
    fn help(&self) -> String {
        match self {
            LcmCheckError::NotAName { .. } => {
                "give the driver name as LK reports it, e.g. st7701_wvga_dsi_vdo or \
                 1-st7701_wvga_dsi_vdo (letters, digits and _ only)"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, LcmCheckError::NotAName { .. })
    }
}

// ---- names -----------------------------------------------------------------------------------

/// The longest driver name accepted.
const MAX_NAME: usize = 64;

/// Splits `lcm=1-name` / `1-name` / `name` into (LK found the panel?, name), after trimming
/// quotes and brackets. `None` when what is left is not `[A-Za-z0-9_]{1,64}`.
fn split_value(raw: &str) -> Option<(Option<bool>, &str)> {
    let v = raw
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '[' | ']' | '(' | ')' | ',' | ';'))
        .trim();
    let v = v.strip_prefix("lcm=").unwrap_or(v);
    let (found, name) = match v.as_bytes() {
        [d @ (b'0' | b'1'), b'-', ..] => (Some(*d == b'1'), &v[2..]),
        _ => (None, v),
    };
    let ok = (1..=MAX_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some((found, name))
}

/// A panel driver name as the evidence gives it, cleaned up for comparison: surrounding quotes
/// and brackets, `lcm=` and the `0-`/`1-` found flag LK puts in front are removed; the case is
/// kept (lk is compared ignoring it, the kernel exactly). `None` when what is left is not 1–64
/// characters of `[A-Za-z0-9_]`.
pub fn normalise_name(raw: &str) -> Option<String> {
    split_value(raw).map(|(_, name)| name.to_owned())
}

/// Adds `name` to `names` unless it is there already in any case.
fn push_name(names: &mut Vec<String>, name: &str) {
    if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        names.push(name.to_owned());
    }
}

/// Notes for names the scanner could not find in a binary.
fn shape_notes(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| !is_panel_name(n))
        .map(|n| {
            format!(
                "{n} does not look like the driver names found inside lk and kernel images, \
                 so a ROM that lacks it cannot be told from one that hides it"
            )
        })
        .collect()
}

// ---- evidence --------------------------------------------------------------------------------

impl PanelEvidence {
    /// Names typed by the technician (`st7701_wvga_dsi_vdo`, `1-st7701_wvga_dsi_vdo`,
    /// `lcm=1-…`); several mean "one of these".
    pub fn by_hand<S: AsRef<str>>(given: &[S]) -> Result<PanelEvidence, LcmCheckError> {
        let mut names = Vec::new();
        for g in given {
            let name = normalise_name(g.as_ref()).ok_or_else(|| LcmCheckError::NotAName {
                given: g.as_ref().to_owned(),
            })?;
            push_name(&mut names, &name);
        }
        Ok(PanelEvidence {
            source: EvidenceSource::ByHand,
            origin: "given by hand".into(),
            notes: shape_notes(&names),
            names,
            phone_firmware_has_panel: false,
            phone_kernel: None,
        })
    }

    /// The drivers a board profile says its firmware needs (one of them drives a given unit).
    pub fn from_profile(profile: &BoardProfile) -> PanelEvidence {
        let mut names = Vec::new();
        for d in &profile.lcm.drivers {
            if let Some(n) = normalise_name(d) {
                push_name(&mut names, &n);
            }
        }
        let mut notes = Vec::new();
        if names.is_empty() {
            notes.push(format!(
                "profile {} does not record the panel driver of this board",
                profile.id
            ));
        }
        if let (Some(seen), true) = (&profile.lcm.seen_running, names.len() > 1) {
            notes.push(format!(
                "the board's firmware carries {} panel drivers (second-source panels); one \
                 unit was seen running {seen}",
                names.len()
            ));
        }
        notes.extend(shape_notes(&names));
        PanelEvidence {
            source: EvidenceSource::Profile,
            origin: format!("profile {}", profile.id),
            names,
            phone_firmware_has_panel: false,
            phone_kernel: None,
            notes,
        }
    }

    /// The drivers found in the phone's own UBOOT read back (`names` from
    /// [`crate::firmware::lcm::names_in`]); `looks_like_lk` says whether the file starts with
    /// an LK header. The phone's panel is one of them: LK auto-detects among several.
    pub fn from_uboot(origin: &str, names: &[String], looks_like_lk: bool) -> PanelEvidence {
        let mut list = Vec::new();
        for n in names {
            push_name(&mut list, n);
        }
        let mut notes = Vec::new();
        if !looks_like_lk {
            notes.push(format!(
                "{origin} does not start with an LK header: make sure it is the UBOOT partition"
            ));
        }
        if list.is_empty() {
            notes.push(format!("no panel driver name was found in {origin}"));
        } else if list.len() > 1 {
            notes.push(format!(
                "the phone's lk carries {} drivers and picks the panel at boot",
                list.len()
            ));
        }
        PanelEvidence {
            source: EvidenceSource::UbootReadback,
            origin: origin.to_owned(),
            phone_firmware_has_panel: !list.is_empty(),
            phone_kernel: None,
            names: list,
            notes,
        }
    }

    /// The panel seen in a boot log ([`LogScan`]): names the phone's firmware confirmed first;
    /// failing those, names it was handed without saying; never an `lcm=0-` name, which is
    /// only what LK fell back to after finding no panel.
    pub fn from_log(origin: &str, seen: &[LogPanel]) -> PanelEvidence {
        let pick = |want: Option<bool>| -> (Vec<String>, Vec<usize>) {
            let mut names = Vec::new();
            let mut lines = Vec::new();
            for p in seen.iter().filter(|p| p.detected == want) {
                push_name(&mut names, &p.name);
                lines.push(p.line);
            }
            (names, lines)
        };
        let (confirmed, lines) = pick(Some(true));
        let (names, lines, proven) = if confirmed.is_empty() {
            let (unsure, lines) = pick(None);
            (unsure, lines, false)
        } else {
            (confirmed, lines, true)
        };
        let mut notes = Vec::new();
        if !names.is_empty() && !proven {
            notes.push(
                "the log names the driver but does not say whether the phone's lk found its \
                 panel with it"
                    .into(),
            );
        }
        if names.is_empty() {
            match seen.iter().find(|p| p.detected == Some(false)) {
                Some(p) => notes.push(format!(
                    "line {}: lcm=0-{}: the phone's lk found no matching panel, so {} is only \
                     the driver it fell back to",
                    p.line, p.name, p.name
                )),
                None => notes.push(format!(
                    "no lcm= value or LCM detection line was found in {origin}"
                )),
            }
        }
        notes.extend(shape_notes(&names));
        let origin = match lines.as_slice() {
            [] => origin.to_owned(),
            [one] => format!("{origin} line {one}"),
            [first, ..] => format!("{origin} lines {first}..{}", lines[lines.len() - 1]),
        };
        PanelEvidence {
            source: EvidenceSource::Log,
            origin,
            names,
            phone_firmware_has_panel: proven,
            phone_kernel: None,
            notes,
        }
    }

    /// Adds the panel drivers of the phone's own kernel (its BOOTIMG read back, see
    /// [`boot_image_drivers`]), read from `origin`. With the drivers of the phone's own lk in
    /// `names`, it decides whether keeping the phone's UBOOT and BOOTIMG is proven to light
    /// the panel: the kernel must take every name lk may pass, by the rules of [`check`].
    pub fn with_phone_kernel(mut self, origin: &str, drivers: Drivers) -> PanelEvidence {
        let kernel = drivers.names();
        let has_panel = self.phone_firmware_has_panel
            && kernel.is_some()
            && self
                .names
                .iter()
                .all(|n| judge(n, Some(&self.names), kernel).outcome == Outcome::Works);
        self.notes.push(match (&drivers, has_panel) {
            (Drivers::Listed(k), true) => format!(
                "{origin}: its kernel carries the panel driver ({})",
                k.join(", ")
            ),
            (Drivers::Listed(k), false) if !k.is_empty() => format!(
                "{origin}: its kernel does not take every driver the phone's lk may pass (it \
                 has {})",
                k.join(", ")
            ),
            _ => format!(
                "{origin}: its kernel could not be checked: {}",
                drivers.why_unknown()
            ),
        });
        self.phone_kernel = Some(PhoneKernel {
            origin: origin.to_owned(),
            drivers,
            has_panel,
        });
        self
    }
}

// ---- boot logs -------------------------------------------------------------------------------

/// The kind of log line a panel name was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogClue {
    /// `lcm=<found>-<name>` on a kernel command line (`/proc/cmdline`, "Kernel command
    /// line:").
    Cmdline,
    /// MTK Droid Tools' `LCD Driver IC : <found>-<name>`.
    DriverIc,
    /// The kernel's `[LCM Auto Detect], try to find driver for [<name>]`.
    KernelLookup,
    /// `[LCM Auto Detect] [<i>] - [<name>]` followed by `[success]` (LK or kernel).
    AutoDetect,
    /// `[LCM Specified]\t[<name>]` (a single-driver build), with `compare id success/fail`
    /// when the log has it.
    Specified,
}

/// A panel driver name found in a boot log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogPanel {
    /// The driver name, [`normalise_name`]d.
    pub name: String,
    /// 1-based line number.
    pub line: usize,
    /// Whether the firmware matched the panel with it: `Some(true)` for `lcm=1-`, `[success]`,
    /// `compare id success`; `Some(false)` for `lcm=0-`, `compare id fail`; `None` when the
    /// line does not say.
    pub detected: Option<bool>,
    /// The kind of line.
    pub clue: LogClue,
}

/// Picks panel driver names out of a boot log fed line by line (UART log, `dmesg`, `last_kmsg`,
/// `/proc/cmdline`, MTK Droid Tools' phone.info). Pure; the log analyzer can feed it too.
#[derive(Debug, Default)]
pub struct LogScan {
    line: usize,
    /// An `[LCM Auto Detect] [i] - [name]` line still waiting for its `[success]`/`[fail]`.
    pending: Option<(String, usize)>,
    found: Vec<LogPanel>,
}

/// The text between the first `[` after `from` and the next `]`.
fn bracketed(from: &str) -> Option<&str> {
    let start = from.find('[')? + 1;
    let len = from[start..].find(']')?;
    Some(&from[start..start + len])
}

/// Finds `needle` ignoring ASCII case; returns the text after it.
fn after_ci<'a>(line: &'a str, needle: &str) -> Option<&'a str> {
    let lower = line.to_ascii_lowercase();
    let i = lower.find(&needle.to_ascii_lowercase())?;
    Some(&line[i + needle.len()..])
}

impl LogScan {
    /// Feeds the next line (without its line break).
    pub fn feed(&mut self, line: &str) {
        self.line += 1;
        let n = self.line;
        // A detection line's verdict may come on the next line (two printk calls).
        if let Some((name, at)) = self.pending.take()
            && line.contains("[success]")
            && !line.contains("[LCM Auto Detect]")
        {
            self.push(&name, at, Some(true), LogClue::AutoDetect);
        }
        let mut rest = line;
        while let Some(i) = rest.find("lcm=") {
            let starts_word = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
            let value = &rest[i + 4..];
            let end = value
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .unwrap_or(value.len());
            if starts_word && let Some((found, name)) = split_value(&value[..end]) {
                self.push(name, n, found, LogClue::Cmdline);
            }
            rest = &value[end..];
        }
        if let Some(after) = after_ci(line, "LCD Driver IC")
            && let Some((_, value)) = after.split_once(':')
            && let Some((found, name)) = split_value(value)
        {
            self.push(name, n, found, LogClue::DriverIc);
        }
        if let Some(after) = line.split_once("try to find driver for").map(|(_, a)| a)
            && let Some((_, name)) = bracketed(after).and_then(split_value)
        {
            self.push(name, n, None, LogClue::KernelLookup);
        }
        if let Some(after) = line.split_once("[LCM Auto Detect] [").map(|(_, a)| a)
            && let Some((_, tail)) = after.split_once(" - ")
            && let Some(name) = bracketed(tail).and_then(split_value).map(|(_, n)| n)
        {
            if tail.contains("[success]") {
                self.push(name, n, Some(true), LogClue::AutoDetect);
            } else if !tail.contains("[fail]") {
                self.pending = Some((name.to_owned(), n));
            }
        }
        if let Some(after) = line.split_once("[LCM Specified]").map(|(_, a)| a) {
            if let Some(name) = bracketed(after).and_then(split_value).map(|(_, n)| n) {
                self.push(name, n, None, LogClue::Specified);
            } else if after.contains("compare id") {
                let ok = after.contains("success");
                if let Some(last) = self
                    .found
                    .iter_mut()
                    .rev()
                    .find(|p| p.clue == LogClue::Specified)
                {
                    last.detected = Some(ok);
                }
            }
        }
    }

    fn push(&mut self, name: &str, line: usize, detected: Option<bool>, clue: LogClue) {
        self.found.push(LogPanel {
            name: name.to_owned(),
            line,
            detected,
            clue,
        });
    }

    /// The names found, in log order.
    pub fn finish(self) -> Vec<LogPanel> {
        self.found
    }
}

/// [`LogScan`] over a whole text.
pub fn panels_in_log(text: &str) -> Vec<LogPanel> {
    let mut scan = LogScan::default();
    for line in text.lines() {
        scan.feed(line);
    }
    scan.finish()
}

// ---- file edges ------------------------------------------------------------------------------

/// Lines longer than this are cut (a log is text; a binary given by mistake has no line
/// breaks and must not fill memory).
const MAX_LOG_LINE: usize = 4096;

/// Reads a boot log (any encoding, any size, streamed) and takes the panel from it.
pub fn log_evidence(path: &Path) -> crate::Result<PanelEvidence> {
    let io = |e| HostError::io("read log", path, e);
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut scan = LogScan::default();
    let mut line = Vec::with_capacity(256);
    loop {
        let buf = reader.fill_buf().map_err(io)?;
        if buf.is_empty() {
            break;
        }
        let used = buf.len();
        for &b in buf {
            if b == b'\n' {
                scan.feed(String::from_utf8_lossy(&line).trim_end_matches('\r'));
                line.clear();
            } else if line.len() < MAX_LOG_LINE {
                line.push(b);
            }
        }
        reader.consume(used);
    }
    if !line.is_empty() {
        scan.feed(String::from_utf8_lossy(&line).trim_end_matches('\r'));
    }
    Ok(PanelEvidence::from_log(&file_label(path), &scan.finish()))
}

/// The phone's own UBOOT (lk) as it streams in, from a file or straight from the phone, in
/// bounded memory: its first bytes (for the LK header) and the panel driver names in it.
#[derive(Debug, Default)]
pub struct UbootScan {
    head: Vec<u8>,
    names: names::NameScanner,
}

impl Write for UbootScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = mtk_header::HEADER_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..room.min(buf.len())]);
        self.names.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl UbootScan {
    /// The evidence of what streamed in, read from `origin` ("uboot.bin", "phone's own UBOOT
    /// read over /dev/ttyACM0").
    pub fn evidence(self, origin: &str) -> PanelEvidence {
        let looks_like_lk = mtk_header::parse(&self.head).is_ok_and(|h| h.name == "LK");
        PanelEvidence::from_uboot(origin, &self.names.into_names(), looks_like_lk)
    }
}

/// Reads the phone's own UBOOT (lk) read back earlier, streamed, and takes its drivers.
pub fn uboot_evidence(path: &Path) -> crate::Result<PanelEvidence> {
    let io = |e| HostError::io("read UBOOT readback", path, e);
    let mut file = File::open(path).map_err(io)?;
    let mut scan = UbootScan::default();
    io::copy(&mut file, &mut scan).map_err(io)?;
    Ok(scan.evidence(&file_label(path)))
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

// ---- the check -------------------------------------------------------------------------------

/// The outcome for one candidate name.
fn judge(name: &str, lk: Option<&[String]>, kernel: Option<&[String]>) -> CandidateVerdict {
    let verdict = |outcome, reason, lk_name: Option<&String>, kernel_name: Option<&String>| {
        CandidateVerdict {
            name: name.to_owned(),
            outcome,
            reason,
            lk_name: lk_name.cloned(),
            kernel_name: kernel_name.cloned(),
        }
    };
    let searchable = is_panel_name(name);
    let Some(lk) = lk else {
        return verdict(Outcome::Unknown, Reason::LkUnknown, None, None);
    };
    let Some(lk_name) = lk.iter().find(|n| n.eq_ignore_ascii_case(name)) else {
        return if searchable {
            verdict(Outcome::WhiteScreen, Reason::LkLacks, None, None)
        } else {
            verdict(Outcome::Unknown, Reason::LkUnsearchable, None, None)
        };
    };
    let Some(kernel) = kernel else {
        return verdict(Outcome::Unknown, Reason::KernelUnknown, Some(lk_name), None);
    };
    if let [only] = kernel {
        return if only.eq_ignore_ascii_case(lk_name) {
            verdict(
                Outcome::Works,
                Reason::KernelSingle,
                Some(lk_name),
                Some(only),
            )
        } else {
            let reason = Reason::KernelSingleOther;
            verdict(Outcome::BlackAfterLogo, reason, Some(lk_name), Some(only))
        };
    }
    if let Some(k) = kernel.iter().find(|k| *k == lk_name) {
        return verdict(
            Outcome::Works,
            Reason::KernelMatches,
            Some(lk_name),
            Some(k),
        );
    }
    if let Some(k) = kernel.iter().find(|k| k.eq_ignore_ascii_case(lk_name)) {
        let reason = Reason::KernelSpelledOtherwise;
        return verdict(Outcome::BlackAfterLogo, reason, Some(lk_name), Some(k));
    }
    if searchable {
        verdict(
            Outcome::BlackAfterLogo,
            Reason::KernelLacks,
            Some(lk_name),
            None,
        )
    } else {
        verdict(
            Outcome::Unknown,
            Reason::KernelUnsearchable,
            Some(lk_name),
            None,
        )
    }
}

/// What one candidate's reason means, in a clause.
fn clause(c: &CandidateVerdict) -> String {
    let lk = c.lk_name.as_deref().unwrap_or(&c.name);
    let k = c.kernel_name.as_deref().unwrap_or("?");
    match c.reason {
        Reason::LkUnknown => "this ROM's lk drivers are not known".into(),
        Reason::LkUnsearchable => format!(
            "{} is not among this ROM's lk drivers, but its name has a shape that cannot be \
             searched for, so that proves nothing",
            c.name
        ),
        Reason::LkLacks => format!("this ROM's lk has no driver for {}", c.name),
        Reason::KernelUnknown => {
            format!("this ROM's lk has {lk}, so the logo shows; its kernel drivers are not known")
        }
        Reason::KernelMatches => format!("this ROM's lk and kernel both carry {lk}"),
        Reason::KernelSingle => format!(
            "this ROM's lk has {lk} and its kernel has only that driver, which it uses without \
             comparing names"
        ),
        Reason::KernelSingleOther => format!(
            "this ROM's lk has {lk}, so the logo shows, but its kernel has only {k} and uses \
             it without comparing names: that driver is for another panel"
        ),
        Reason::KernelSpelledOtherwise => format!(
            "this ROM's lk has {lk}, so the logo shows, but its kernel spells it {k} and \
             compares names exactly, case included"
        ),
        Reason::KernelUnsearchable => format!(
            "this ROM's lk has {lk}; it is not among the kernel's drivers, but its name has a \
             shape that cannot be searched for, so that proves nothing"
        ),
        Reason::KernelLacks => format!(
            "this ROM's lk has {lk}, so the logo shows, but its kernel has no driver of that \
             name"
        ),
    }
}

/// Why the outcome follows, for a technician (after the clause).
fn consequence(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::WhiteScreen => {
            " LK sets up the panel with the drivers built into it; with none for this panel \
             the screen stays white (or garbled) from power-on, although flashing succeeds."
        }
        Outcome::BlackAfterLogo => {
            " The kernel looks up the name LK hands it (lcm=1-<name>); without a match its \
             display driver does not start and the screen goes black once the kernel takes \
             over."
        }
        Outcome::Works | Outcome::Unknown => "",
    }
}

/// Predicts the display outcome of flashing a ROM with `rom`'s drivers onto a phone whose
/// panel `needed` describes. Pure; see the module documentation for the comparison rules.
pub fn check(needed: &PanelEvidence, rom: &LcmFacts) -> LcmVerdict {
    let lk = rom.lk.names();
    let kernel = rom.kernel.names();
    let candidates: Vec<CandidateVerdict> =
        needed.names.iter().map(|n| judge(n, lk, kernel)).collect();
    let outcome = match candidates.split_first() {
        None => Outcome::Unknown,
        Some((first, rest)) if rest.iter().all(|c| c.outcome == first.outcome) => first.outcome,
        Some(_) => Outcome::Unknown,
    };

    let mut missing = Vec::new();
    if needed.names.is_empty() {
        missing.push(Missing {
            what: Gap::Panel,
            why: match needed.notes.first() {
                Some(note) => note.clone(),
                None => format!("{} names no panel driver", needed.origin),
            },
            how: panel_how(needed.source),
        });
    }
    let needs = |r: &[Reason]| candidates.iter().any(|c| r.contains(&c.reason));
    if needs(&[Reason::LkUnknown]) {
        missing.push(Missing {
            what: Gap::Lk,
            why: rom.lk.why_unknown(),
            how: "get the complete ROM package (with its lk.bin), or check a ROM whose lk \
                  drivers are listed by `mtkbench rom inspect`"
                .into(),
        });
    }
    if needs(&[Reason::LkUnknown, Reason::KernelUnknown]) && kernel.is_none() {
        missing.push(Missing {
            what: Gap::Kernel,
            why: rom.kernel.why_unknown(),
            how: "get the complete ROM package (with a boot.img whose kernel is readable)".into(),
        });
    }
    if needs(&[Reason::LkUnsearchable, Reason::KernelUnsearchable]) {
        missing.push(Missing {
            what: if needs(&[Reason::LkUnsearchable]) {
                Gap::Lk
            } else {
                Gap::Kernel
            },
            why: "the panel driver's name cannot be searched for in images".into(),
            how: "look for the name with `strings lk.bin` and in the kernel yourself".into(),
        });
    }
    let distinct: Vec<Outcome> = candidates.iter().fold(Vec::new(), |mut v, c| {
        if !v.contains(&c.outcome) {
            v.push(c.outcome);
        }
        v
    });
    if distinct.len() > 1 {
        missing.push(Missing {
            what: Gap::WhichPanel,
            why: format!(
                "the phone's panel is one of {} drivers and the outcome differs between them",
                candidates.len()
            ),
            how: "find which driver runs: a boot log with lcm=1-<name> (--log), or the LCD \
                  Driver IC line of MTK Droid Tools, then give it with --lcm"
                .into(),
        });
    }

    let panel = match needed.names.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let explanation = explain(outcome, &candidates, &missing);
    let mut verdict = LcmVerdict {
        outcome,
        panel,
        lk: lk.map(<[String]>::to_vec).unwrap_or_default(),
        kernel: kernel.map(<[String]>::to_vec).unwrap_or_default(),
        lk_unknown: lk.is_none().then(|| rom.lk.why_unknown()),
        kernel_unknown: kernel.is_none().then(|| rom.kernel.why_unknown()),
        candidates,
        evidence: needed.clone(),
        explanation,
        missing,
        fix: Vec::new(),
        not_for_board: Vec::new(),
        rom_errors: Vec::new(),
    };
    if matches!(outcome, Outcome::WhiteScreen | Outcome::BlackAfterLogo) {
        verdict.fix = fixes(&verdict);
    }
    verdict
}

fn panel_how(source: EvidenceSource) -> String {
    match source {
        EvidenceSource::Profile => "give the panel another way: --lcm NAME, --log FILE (a boot \
                                    log with lcm=), or --uboot FILE (the phone's own UBOOT \
                                    read back)"
            .into(),
        EvidenceSource::Log => "use a log of a boot that reached the kernel (it prints \
                                lcm=1-<name>), or give --uboot FILE or --lcm NAME"
            .into(),
        EvidenceSource::UbootReadback => "read UBOOT again (the readback may be blank or of \
                                          another partition), or give --log FILE or --lcm NAME"
            .into(),
        EvidenceSource::ByHand => "give the driver name with --lcm NAME".into(),
    }
}

fn explain(outcome: Outcome, candidates: &[CandidateVerdict], missing: &[Missing]) -> String {
    let head = outcome.words();
    let whys = || {
        let why: Vec<&str> = missing.iter().map(|m| m.why.as_str()).collect();
        why.join("; ")
    };
    match (outcome, candidates) {
        (_, []) => format!("{head}: {}.", whys()),
        (Outcome::Unknown, [one]) => format!("{head}: {}: {}.", clause(one), whys()),
        (_, [one]) => format!("{head}: {}.{}", clause(one), consequence(outcome)),
        (Outcome::Unknown, many) => {
            let each: Vec<String> = many
                .iter()
                .map(|c| format!("with {}: {}", c.name, c.outcome.words().to_lowercase()))
                .collect();
            let mut text = format!(
                "{head}: the phone's panel is one of {} drivers ({}).",
                many.len(),
                each.join("; ")
            );
            for c in many.iter().filter(|c| c.outcome == Outcome::Unknown) {
                text += &format!(" For {}: {}.", c.name, clause(c));
            }
            text
        }
        (_, many) => {
            let names: Vec<&str> = many.iter().map(|c| c.name.as_str()).collect();
            let what = match outcome {
                Outcome::Works => format!(
                    "this ROM's lk and kernel carry every driver this phone may need ({})",
                    names.join(", ")
                ),
                Outcome::WhiteScreen => format!(
                    "this ROM's lk has none of the drivers this phone may need ({})",
                    names.join(", ")
                ),
                _ => {
                    let each: Vec<String> = many.iter().map(clause).collect();
                    each.join("; ")
                }
            };
            format!("{head}: {what}.{}", consequence(outcome))
        }
    }
}

/// The ways out for a ROM that lacks the driver.
fn fixes(verdict: &LcmVerdict) -> Vec<Fix> {
    let needed = verdict.needed_text();
    let ev = &verdict.evidence;
    let kernel = ev.phone_kernel.as_ref();
    let proven = ev.phone_firmware_has_panel && kernel.is_none_or(|k| k.has_panel);
    let condition = if let (true, Some(k)) = (ev.phone_firmware_has_panel, kernel) {
        if k.has_panel {
            format!(
                "the phone's own lk and kernel carry the driver ({}; {})",
                ev.origin, k.origin
            )
        } else {
            format!(
                "the phone's own lk carries the driver ({}), but its own kernel is not known to \
                 ({}), so the screen may still go black after the logo",
                ev.origin, k.origin
            )
        }
    } else if ev.phone_firmware_has_panel {
        match ev.source {
            EvidenceSource::UbootReadback => {
                format!("the phone's own UBOOT ({}) carries the driver", ev.origin)
            }
            _ => format!("the phone's own lk found the panel ({})", ev.origin),
        }
    } else {
        "this helps only if the phone's own UBOOT and BOOTIMG are intact (it showed its logo \
         and Android before)"
            .into()
    };
    let skip: Vec<String> = DISPLAY_PARTITIONS.iter().map(|p| p.to_string()).collect();
    vec![
        Fix::KeepPhoneFirmware {
            advice: format!(
                "flash this ROM without {} (untick them) so the phone keeps its own lk and \
                 kernel: {condition}. The ROM must be the same Android version as the phone's \
                 own, because the kernel must suit the system",
                skip.join(" and ")
            ),
            skip,
            proven,
        },
        Fix::OtherRom {
            rom: None,
            advice: format!(
                "use another ROM whose lk and kernel both carry {needed}; check it first with \
                 `mtkbench diagnose lcm`"
            ),
        },
    ]
}

/// The ROMs among `roms` on which the panel of `verdict` works by the rules of [`check`]: the
/// driver in lk and, under the name lk passes, in the kernel. In the order given. This is the
/// hook for the ROM library (which holds `RomReport`s: see [`LcmFacts::from_report`]) and the
/// flash planner.
pub fn roms_with_driver<P, I>(verdict: &LcmVerdict, roms: I) -> Vec<P>
where
    I: IntoIterator<Item = (P, LcmFacts)>,
{
    roms.into_iter()
        .filter(|(_, facts)| check(&verdict.evidence, facts).outcome == Outcome::Works)
        .map(|(p, _)| p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::synth;

    fn listed(names: &[&str]) -> Drivers {
        Drivers::Listed(names.iter().map(|s| s.to_string()).collect())
    }

    fn rom(lk: &[&str], kernel: &[&str]) -> LcmFacts {
        LcmFacts {
            lk: listed(lk),
            kernel: listed(kernel),
        }
    }

    fn hand(names: &[&str]) -> PanelEvidence {
        PanelEvidence::by_hand(names).unwrap()
    }

    const ST: &str = "st7701_wvga_dsi_vdo";
    const HX: &str = "hx8369b_fwvga_dsi_vdo";
    const OTM: &str = "otm8018b_dsi_vdo";
    const ILI: &str = "ili9806e_fwvga_dsi_vdo";

    #[test]
    fn works_when_lk_and_kernel_carry_the_driver() {
        let v = check(&hand(&[ST]), &rom(&[HX, ST], &[OTM, ST]));
        assert_eq!(v.outcome, Outcome::Works);
        assert_eq!(v.panel.as_deref(), Some(ST));
        assert_eq!(v.candidates[0].reason, Reason::KernelMatches);
        assert_eq!(v.lk, [HX, ST]);
        assert_eq!(v.kernel, [OTM, ST]);
        assert!(v.fix.is_empty() && v.missing.is_empty());
        assert!(v.explanation.starts_with("Works: "), "{}", v.explanation);
    }

    #[test]
    fn white_screen_when_lk_lacks_it_whatever_the_kernel() {
        for kernel in [Drivers::Unknown("gone".into()), listed(&[ILI, HX])] {
            let facts = LcmFacts {
                lk: listed(&[HX, OTM]),
                kernel,
            };
            let v = check(&hand(&[ILI]), &facts);
            assert_eq!(v.outcome, Outcome::WhiteScreen);
            assert_eq!(v.candidates[0].reason, Reason::LkLacks);
            assert!(v.missing.is_empty(), "{:?}", v.missing);
            assert!(
                v.explanation.starts_with(
                    "White screen from the boot logo on: this ROM's lk has no driver for \
                     ili9806e_fwvga_dsi_vdo."
                ),
                "{}",
                v.explanation
            );
            assert_eq!(v.fix.len(), 2);
        }
    }

    #[test]
    fn black_after_logo_when_only_the_kernel_lacks_it() {
        let v = check(&hand(&[ILI]), &rom(&[ILI, HX], &[HX, OTM]));
        assert_eq!(v.outcome, Outcome::BlackAfterLogo);
        assert_eq!(v.candidates[0].reason, Reason::KernelLacks);
        assert_eq!(v.candidates[0].lk_name.as_deref(), Some(ILI));
        assert!(v.explanation.starts_with("Black screen after the logo: "));
        assert!(v.explanation.contains("no driver of that name"));
    }

    #[test]
    fn kernel_compares_lk_spelling_exactly() {
        // lk matches the evidence in any case, then hands its own spelling to the kernel.
        let v = check(&hand(&["ST7701_WVGA_DSI_VDO"]), &rom(&[ST], &[OTM, ST]));
        assert_eq!(v.outcome, Outcome::Works);
        assert_eq!(v.candidates[0].lk_name.as_deref(), Some(ST));
        // The kernel's strcmp fails on another case.
        let v = check(&hand(&[ST]), &rom(&[ST], &[OTM, "ST7701_wvga_dsi_vdo"]));
        assert_eq!(v.outcome, Outcome::BlackAfterLogo);
        assert_eq!(v.candidates[0].reason, Reason::KernelSpelledOtherwise);
    }

    #[test]
    fn single_driver_kernel_takes_its_driver_without_comparing() {
        let v = check(&hand(&[ST]), &rom(&[ST, HX], &["ST7701_WVGA_DSI_VDO"]));
        assert_eq!(v.outcome, Outcome::Works);
        assert_eq!(v.candidates[0].reason, Reason::KernelSingle);
        let v = check(&hand(&[ST]), &rom(&[ST, HX], &[HX]));
        assert_eq!(v.outcome, Outcome::BlackAfterLogo);
        assert_eq!(v.candidates[0].reason, Reason::KernelSingleOther);
        assert_eq!(v.candidates[0].kernel_name.as_deref(), Some(HX));
        assert!(v.explanation.contains("without comparing names"));
    }

    #[test]
    fn unknown_without_panel_evidence_says_how_to_get_it() {
        let profile_less = PanelEvidence {
            source: EvidenceSource::Profile,
            origin: "profile s4050ap".into(),
            names: vec![],
            phone_firmware_has_panel: false,
            phone_kernel: None,
            notes: vec!["profile s4050ap does not record the panel driver of this board".into()],
        };
        let v = check(&profile_less, &rom(&[ST], &[ST]));
        assert_eq!(v.outcome, Outcome::Unknown);
        assert_eq!(v.missing.len(), 1);
        assert_eq!(v.missing[0].what, Gap::Panel);
        assert!(v.missing[0].how.contains("--lcm"));
        assert!(
            v.explanation.contains("does not record"),
            "{}",
            v.explanation
        );
        assert!(v.fix.is_empty());
        assert_eq!(v.panel, None);
    }

    #[test]
    fn unknown_without_lk_lists_lk_and_kernel_when_both_lack() {
        let facts = LcmFacts {
            lk: Drivers::Unknown("lk.bin (UBOOT) is missing from the package".into()),
            kernel: Drivers::Unknown("boot.img (BOOTIMG) is missing from the package".into()),
        };
        let v = check(&hand(&[ST]), &facts);
        assert_eq!(v.outcome, Outcome::Unknown);
        let gaps: Vec<Gap> = v.missing.iter().map(|m| m.what).collect();
        assert_eq!(gaps, [Gap::Lk, Gap::Kernel]);
        assert!(v.missing[0].why.contains("lk.bin"));
        // Only lk unknown: the kernel is listed, so it is not missing.
        let facts = LcmFacts {
            lk: Drivers::Listed(vec![]),
            kernel: listed(&[ST]),
        };
        let v = check(&hand(&[ST]), &facts);
        let gaps: Vec<Gap> = v.missing.iter().map(|m| m.what).collect();
        assert_eq!(gaps, [Gap::Lk]);
    }

    #[test]
    fn unknown_kernel_matters_only_once_lk_has_the_driver() {
        let facts = LcmFacts {
            lk: listed(&[ST]),
            kernel: Drivers::Unknown("the kernel in boot.img is not gzip-compressed".into()),
        };
        let v = check(&hand(&[ST]), &facts);
        assert_eq!(v.outcome, Outcome::Unknown);
        assert_eq!(v.candidates[0].reason, Reason::KernelUnknown);
        assert_eq!(v.missing.len(), 1);
        assert_eq!(v.missing[0].what, Gap::Kernel);
        assert!(v.missing[0].why.contains("gzip"));
        assert!(
            v.explanation.contains("the logo shows"),
            "{}",
            v.explanation
        );
        assert!(v.kernel.is_empty());
        assert!(v.kernel_unknown.unwrap().contains("gzip"));
        assert_eq!(v.lk_unknown, None);
    }

    #[test]
    fn several_candidates_agree_or_leave_which_panel_open() {
        let board = hand(&[HX, OTM]);
        let v = check(&board, &rom(&[HX, OTM], &[OTM, HX]));
        assert_eq!(v.outcome, Outcome::Works);
        assert_eq!(v.panel, None);
        assert!(v.explanation.contains("every driver"), "{}", v.explanation);
        let v = check(&board, &rom(&[ST], &[ST]));
        assert_eq!(v.outcome, Outcome::WhiteScreen);
        assert!(v.explanation.contains("none of the drivers"));
        assert!(
            v.fix[1]
                .advice()
                .contains("one of hx8369b_fwvga_dsi_vdo, otm8018b_dsi_vdo")
        );
        let v = check(&board, &rom(&[HX], &[HX, ST]));
        assert_eq!(v.outcome, Outcome::Unknown);
        assert_eq!(v.missing.len(), 1);
        assert_eq!(v.missing[0].what, Gap::WhichPanel);
        let outcomes: Vec<Outcome> = v.candidates.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, [Outcome::Works, Outcome::WhiteScreen]);
        assert!(
            v.explanation
                .contains("with otm8018b_dsi_vdo: white screen")
        );
    }

    #[test]
    fn names_the_scanner_cannot_see_are_never_declared_absent() {
        let v = check(&hand(&["weird"]), &rom(&[ST], &[ST]));
        assert_eq!(v.outcome, Outcome::Unknown);
        assert_eq!(v.candidates[0].reason, Reason::LkUnsearchable);
        assert_eq!(v.missing[0].what, Gap::Lk);
        assert!(v.evidence.notes[0].contains("does not look like"));
        // But found by name when the list has it (irregular real names are listed).
        let v = check(
            &hand(&["hx8347_pd800"]),
            &rom(&["hx8347_pd800"], &["hx8347_pd800"]),
        );
        assert_eq!(v.outcome, Outcome::Works);
    }

    #[test]
    fn names_are_normalised_like_lk_writes_them() {
        for raw in [
            "st7701_wvga_dsi_vdo",
            "1-st7701_wvga_dsi_vdo",
            "0-st7701_wvga_dsi_vdo",
            " lcm=1-st7701_wvga_dsi_vdo ",
            "[st7701_wvga_dsi_vdo]",
            "\"st7701_wvga_dsi_vdo\"",
        ] {
            assert_eq!(normalise_name(raw).as_deref(), Some(ST), "{raw}");
        }
        assert_eq!(
            normalise_name("ST7701_wvga_dsi_vdo").as_deref(),
            Some("ST7701_wvga_dsi_vdo"),
            "case is kept for the kernel's exact compare"
        );
        // A "2-" is not LK's flag; "-" is not a name character.
        for bad in [
            "",
            "1-",
            "2-st7701",
            "st 7701",
            "st7701-wvga",
            &"a".repeat(65),
        ] {
            assert_eq!(normalise_name(bad), None, "{bad}");
        }
        let e = PanelEvidence::by_hand(&["ok_name_dsi", "no good"]).unwrap_err();
        assert!(e.to_string().contains("no good"));
        assert!(e.is_bad_input());
        // Same name twice in another case counts once.
        assert_eq!(hand(&[ST, "1-ST7701_WVGA_DSI_VDO"]).names, [ST]);
    }

    #[test]
    fn fixes_keep_the_phone_firmware_proven_or_conditional() {
        let v = check(&hand(&[ILI]), &rom(&[HX], &[HX]));
        let Fix::KeepPhoneFirmware {
            skip,
            proven,
            advice,
        } = &v.fix[0]
        else {
            panic!("{:?}", v.fix)
        };
        assert_eq!(skip, &["UBOOT", "BOOTIMG"]);
        assert!(!proven);
        assert!(advice.contains("only if the phone's own UBOOT and BOOTIMG are intact"));
        let phone = PanelEvidence::from_uboot("uboot.bin", &[ILI.to_string()], true);
        let v = check(&phone, &rom(&[HX], &[HX]));
        assert!(matches!(
            &v.fix[0],
            Fix::KeepPhoneFirmware { proven: true, advice, .. } if advice.contains("uboot.bin")
        ));
        assert!(matches!(&v.fix[1], Fix::OtherRom { rom: None, .. }));
    }

    #[test]
    fn library_hook_returns_roms_that_work_and_offers_them() {
        let mut v = check(&hand(&[ILI]), &rom(&[HX], &[HX]));
        let library = vec![
            ("roms/a.zip", rom(&[ILI], &[HX, OTM])),
            ("roms/b.zip", rom(&[HX, ILI], &[OTM, ILI])),
            ("roms/c", rom(&[HX], &[ILI])),
            ("roms/d", rom(&["ILI9806E_fwvga_dsi_vdo"], &[ILI])),
            ("roms/e", rom(&[ILI], &[ILI])),
        ];
        let found = roms_with_driver(&v, library);
        assert_eq!(found, ["roms/b.zip", "roms/d", "roms/e"]);
        v.offer_roms(&found);
        assert_eq!(v.fix.len(), 2 + 3);
        assert!(matches!(&v.fix[2], Fix::OtherRom { rom: Some(r), .. } if r == "roms/b.zip"));
        // A ROM that works needs no other.
        let mut ok = check(&hand(&[ILI]), &rom(&[ILI], &[ILI]));
        ok.offer_roms(["roms/e"]);
        assert!(ok.fix.is_empty());
    }

    #[test]
    fn log_lines_give_the_panel_and_whether_lk_found_it() {
        let log = "\
[    0.000000] Kernel command line: console=ttyMT0 lcm=1-st7701_wvga_dsi_vdo fps=6000 vram=4194304
xlcm=1-not_this_one_dsi
[    1.2] [LCM Auto Detect], try to find driver for [st7701_wvga_dsi_vdo]
[    1.3] [LCM Auto Detect] [0] - [otm8019a_wvga_dsi_vdo]\t\t[fail]
[    1.3] [LCM Auto Detect] [1] - [st7701_wvga_dsi_vdo]\t
\t\t[success]
LCD Driver IC : 1-st7701_wvga_dsi_vdo
[LCM Specified]\t[hx8369b_fwvga_dsi_vdo]
[LCM Specified] compare id fail
";
        let found = panels_in_log(log);
        let got: Vec<(&str, usize, Option<bool>, LogClue)> = found
            .iter()
            .map(|p| (p.name.as_str(), p.line, p.detected, p.clue))
            .collect();
        assert_eq!(
            got,
            [
                (ST, 1, Some(true), LogClue::Cmdline),
                (ST, 3, None, LogClue::KernelLookup),
                (ST, 5, Some(true), LogClue::AutoDetect),
                (ST, 7, Some(true), LogClue::DriverIc),
                (HX, 8, Some(false), LogClue::Specified),
            ]
        );
        let ev = PanelEvidence::from_log("boot.log", &found);
        assert_eq!(ev.names, [ST]);
        assert!(ev.phone_firmware_has_panel);
        assert_eq!(ev.origin, "boot.log lines 1..7");
    }

    #[test]
    fn log_evidence_falls_back_and_explains_lcm_0() {
        let unsure = panels_in_log("[LCM Specified]\t[hx8369b_fwvga_dsi_vdo]\n");
        let ev = PanelEvidence::from_log("uart.txt", &unsure);
        assert_eq!(ev.names, [HX]);
        assert!(!ev.phone_firmware_has_panel);
        assert_eq!(ev.origin, "uart.txt line 1");
        let failed = panels_in_log("cmdline: lcm=0-hx8369b_fwvga_dsi_vdo fps=6000\n");
        let ev = PanelEvidence::from_log("boot.log", &failed);
        assert!(ev.names.is_empty());
        assert!(
            ev.notes[0].contains("found no matching panel"),
            "{:?}",
            ev.notes
        );
        let v = check(&ev, &rom(&[HX], &[HX]));
        assert_eq!(v.outcome, Outcome::Unknown);
        assert!(v.missing[0].why.contains("lcm=0-"));
        let none = PanelEvidence::from_log("empty.log", &panels_in_log("hello\n"));
        assert!(none.names.is_empty() && none.notes[0].contains("no lcm= value"));
    }

    #[test]
    fn profile_evidence_lists_the_board_drivers() {
        let registry = crate::profile::Registry::builtin();
        let a516 = &registry.get("a516_row").unwrap().profile;
        let ev = PanelEvidence::from_profile(a516);
        assert_eq!(ev.source, EvidenceSource::Profile);
        assert_eq!(ev.names, [HX, OTM]);
        let up40 = &registry.get("up40_h405f_meo").unwrap().profile;
        let ev = PanelEvidence::from_profile(up40);
        assert!(ev.notes[0].contains("seen running st7701_wvga_dsi_vdo"));
        let unknown = &registry.get("s4050ap").unwrap().profile;
        let ev = PanelEvidence::from_profile(unknown);
        assert!(ev.names.is_empty());
        assert!(ev.notes[0].contains("does not record"));
    }

    #[test]
    fn the_phone_kernel_proves_or_disproves_keeping_bootimg() {
        let phone = || PanelEvidence::from_uboot("UBOOT over pty", &[HX.into(), OTM.into()], true);
        let white = rom(&[ST], &[ST]);
        let proven = |ev: &PanelEvidence| match &check(ev, &white).fix[0] {
            Fix::KeepPhoneFirmware { proven, advice, .. } => (*proven, advice.clone()),
            other => panic!("{other:?}"),
        };
        // lk alone: proven as before.
        assert!(proven(&phone()).0);
        let carries = phone().with_phone_kernel("BOOTIMG over pty", listed(&[OTM, HX]));
        assert!(carries.phone_kernel.as_ref().unwrap().has_panel);
        let (yes, advice) = proven(&carries);
        assert!(yes);
        assert!(
            advice.contains("lk and kernel carry the driver (UBOOT over pty; BOOTIMG over pty)"),
            "{advice}"
        );
        let note = carries.notes.last().unwrap();
        assert!(
            note.starts_with("BOOTIMG over pty: its kernel carries"),
            "{note}"
        );
        // A kernel that lacks one of the drivers lk may pass, or cannot be read: not proven.
        for kernel in [
            listed(&[HX]),
            listed(&[HX, ST]),
            Drivers::Unknown("erased".into()),
        ] {
            let ev = phone().with_phone_kernel("BOOTIMG over pty", kernel.clone());
            let (yes, advice) = proven(&ev);
            assert!(!yes, "{kernel:?}");
            assert!(advice.contains("may still go black"), "{advice}");
        }
        // A single-driver kernel takes the name lk passes without comparing.
        let one = PanelEvidence::from_uboot("u", &[HX.into()], true)
            .with_phone_kernel("k", listed(&["HX8369B_FWVGA_DSI_VDO"]));
        assert!(one.phone_kernel.unwrap().has_panel);
    }

    #[test]
    fn uboot_scan_streams_in_any_chunks() {
        let lk = synth::mtk_image(
            "LK",
            b"\x10\xb5st7701_wvga_dsi_vdo\0hx8369b_fwvga_dsi_vdo\0",
        );
        for chunk in [1, 7, 512, 4096] {
            let mut scan = UbootScan::default();
            for piece in lk.chunks(chunk) {
                scan.write_all(piece).unwrap();
            }
            let ev = scan.evidence("uboot.bin");
            assert_eq!(ev.names, [ST, HX], "chunk {chunk}");
            assert!(
                ev.notes.iter().all(|n| !n.contains("LK header")),
                "{:?}",
                ev.notes
            );
        }
        let ev = UbootScan::default().evidence("blank");
        assert!(ev.names.is_empty() && ev.notes[0].contains("LK header"));
    }

    #[test]
    fn boot_image_drivers_say_why_when_unknown() {
        match boot_image_drivers(&[0u8; 4096][..], "BOOTIMG (erased)") {
            Drivers::Unknown(why) => {
                assert!(why.contains("BOOTIMG (erased) cannot be read"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn uboot_evidence_of_several_drivers() {
        let names: Vec<String> = [ST, "otm8019a_wvga_dsi_vdo"].map(String::from).into();
        let ev = PanelEvidence::from_uboot("uboot.bin", &names, false);
        assert_eq!(ev.names.len(), 2);
        assert!(ev.phone_firmware_has_panel);
        assert!(ev.notes[0].contains("LK header"));
        assert!(ev.notes[1].contains("carries 2 drivers"));
        let blank = PanelEvidence::from_uboot("blank.bin", &[], true);
        assert!(!blank.phone_firmware_has_panel);
        let v = check(&blank, &rom(&[ST], &[ST]));
        assert_eq!(v.missing[0].what, Gap::Panel);
        assert!(v.missing[0].how.contains("read UBOOT again"));
    }
}
