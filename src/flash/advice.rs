//! What a refused plan advises: [`PlanError`]'s [`Advice`], and the [`Remedy`] a refusal
//! names as a value rather than in words, so that each face says it its own way (the command
//! line as `--mode NAME`, the workstation as its keys) instead of passing on another face's
//! words.
//!
//! Pure words: this module renders no face's flags or keys for a remedy; [`Advice::help`]
//! names its mode by SP Flash Tool's title.

use super::plan::{Mode, PlanError};
use crate::error::Advice;

/// A remedy named as values: flash in `mode`, which does what the refused choice cannot
/// (`because`), or choose another ROM (`rom`: which one would fit, when one would).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remedy {
    /// The mode to choose instead.
    pub mode: Mode,
    /// What that mode does for this phone that the refused choice cannot.
    pub because: &'static str,
    /// The ROM that would fit the choice as it was, if one would.
    pub rom: Option<&'static str>,
}

impl Remedy {
    /// The remedy in words, its mode named by the face as `use_mode` (`use --mode
    /// firmware-upgrade`, `choose Firmware Upgrade (5, then ←/→)`), the other ROM as `or
    /// pick ...`.
    pub fn say(&self, use_mode: &str) -> String {
        match self.rom {
            Some(rom) => format!("{use_mode}: {}; or pick {rom}", self.because),
            None => format!("{use_mode}: {}", self.because),
        }
    }
}

/// Download Only refused on another layout: Firmware Upgrade applies it.
const NEW_LAYOUT: Remedy = Remedy {
    mode: Mode::FirmwareUpgrade,
    because: "it backs up the NVRAM set, applies the ROM's layout and restores the identity",
    rom: Some("a ROM with this phone's layout"),
};

impl PlanError {
    /// The remedy this refusal names as a value, when it names one.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            PlanError::LayoutDiffers { .. } => Some(NEW_LAYOUT),
            _ => None,
        }
    }
}

impl Advice for PlanError {
    fn help(&self) -> String {
        match self {
            PlanError::WrongChip { .. } | PlanError::WrongStorage { .. } => {
                "choose a ROM built for this phone: `mtkbench library match --port auto` lists \
                 the packages that fit it"
                    .into()
            }
            PlanError::LayoutDiffers { .. } => {
                NEW_LAYOUT.say(&format!("use mode {}", NEW_LAYOUT.mode.title()))
            }
            PlanError::NvramDoesNotFit { .. } => {
                "this ROM would lose the phone's IMEI and calibration: pick a ROM whose NVRAM, \
                 PRO_INFO and PROTECT partitions have the phone's sizes"
                    .into()
            }
            PlanError::NeedsVerifiedBackup { .. } => {
                "back up the identity first (`mtkbench backup --port auto`), or use --mode \
                 firmware-upgrade, which takes the backup itself"
                    .into()
            }
            PlanError::NotConfirmed => {
                "check that a verified backup of this phone exists, then add \
                 --i-understand-this-erases-identity"
                    .into()
            }
            PlanError::NotInRom { known, .. } => {
                format!("choose among: {}", known.join(", "))
            }
            PlanError::SelectionNotAllowed { .. } => {
                "leave out --partitions, or use --mode download-only".into()
            }
            PlanError::MissingImage { .. } => {
                "the package is incomplete: get the full ROM again, or leave that partition \
                 out with --partitions in Download Only"
                    .into()
            }
            PlanError::ImageTooLarge { .. } => {
                "this image does not belong to this layout: get the ROM that matches the \
                 scatter file"
                    .into()
            }
            PlanError::OutsideDevice { .. } => {
                "the scatter does not fit this phone's storage: choose a ROM made for this \
                 board"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_refusal_names_firmware_upgrade_as_a_value_and_no_flag() {
        let err = PlanError::LayoutDiffers {
            differences: Vec::new(),
        };
        let r = err.remedy().unwrap();
        assert_eq!(r.mode, Mode::FirmwareUpgrade);
        let help = err.help();
        assert!(
            help.starts_with("use mode Firmware Upgrade: it backs up the NVRAM set"),
            "{help}"
        );
        assert!(
            help.ends_with("; or pick a ROM with this phone's layout"),
            "{help}"
        );
        assert!(!help.contains("--"), "{help}");
        assert_eq!(
            r.say("X"),
            help.replacen("use mode Firmware Upgrade", "X", 1)
        );
        assert!(PlanError::NotConfirmed.remedy().is_none());
    }
}
