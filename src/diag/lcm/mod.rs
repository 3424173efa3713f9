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
//!
//! Layout: `evidence.rs` gathers the panel the phone needs, `drivers.rs` the drivers a ROM
//! carries; this file compares them and explains the verdict.

use std::fmt;

use serde::Serialize;

use crate::{
    error::Advice,
    firmware::{
        board::{self, BoardFinding},
        facts::{RomFacts, Severity},
        lcm::is_panel_name,
    },
};

mod drivers;
mod evidence;

pub use drivers::{Drivers, LcmFacts, boot_image_drivers};
pub use evidence::{
    EvidenceSource, LogClue, LogPanel, LogScan, PanelEvidence, PhoneKernel, UbootScan,
    log_evidence, normalise_name, panels_in_log, uboot_evidence,
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

    fn listed(names: &[&str]) -> Drivers {
        Drivers::Listed(names.iter().map(|s| s.to_string()).collect())
    }

    fn rom(lk: &[&str], kernel: &[&str]) -> LcmFacts {
        LcmFacts {
            lk: listed(lk),
            kernel: listed(kernel),
        }
    }

    pub(super) fn hand(names: &[&str]) -> PanelEvidence {
        PanelEvidence::by_hand(names).unwrap()
    }

    pub(super) const ST: &str = "st7701_wvga_dsi_vdo";
    pub(super) const HX: &str = "hx8369b_fwvga_dsi_vdo";
    pub(super) const OTM: &str = "otm8018b_dsi_vdo";
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
