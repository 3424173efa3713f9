//! DRAM settings for a download agent that cannot use RAM yet (a dead phone in BROM mode):
//! [`DramSettings`] carries a preloader's EMI block and says where it came from; [`check`]
//! decides, before anything is sent, whether the block fits what the DA reported (the EMI
//! version the chip takes, and a RAM part whose flash id is the phone's). What the session
//! did is kept as a [`DramReport`].
//!
//! Choosing among the sources (backup, ROM, file) is the job layer's; this module only checks
//! the one it is given. Pure.

use serde::{Deserialize, Serialize};

use crate::{
    firmware::emi::{EmiBlock, MT6572_EMI_VERSION},
    protocol::da::{EmiRequest, dram::EmiOutcome},
};

/// Where a set of EMI settings came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EmiSource {
    /// The phone's own preloader, from its identity backup.
    Backup {
        /// The backup's id.
        id: String,
    },
    /// The preloader of the ROM chosen for this board.
    Rom {
        /// The preloader file.
        file: String,
    },
    /// A preloader file the technician gave (`--preloader FILE`).
    File {
        /// The file.
        file: String,
    },
}

impl std::fmt::Display for EmiSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmiSource::Backup { id } => write!(f, "the phone's own preloader (backup {id})"),
            EmiSource::Rom { file } => write!(f, "the ROM's preloader {file}"),
            EmiSource::File { file } => write!(f, "the preloader file {file}"),
        }
    }
}

/// What a [`DramProvider`] is told when the DA asks for settings.
#[derive(Debug)]
pub struct DramAsk<'a> {
    /// The phone's device key ([`super::fingerprint::early_device_key`]), to find its backup.
    pub device_key: String,
    /// The chip.
    pub hw_code: u16,
    /// The DA's prompt (flash id, NAND ids).
    pub request: &'a EmiRequest,
}

/// Picks the EMI settings for a DA that asks (the job layer's sources, or fixed settings).
pub type DramProvider =
    Box<dyn FnMut(&DramAsk<'_>) -> Result<DramSettings, super::DeviceError> + Send>;

/// EMI settings to hand a DA that asks for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DramSettings {
    /// Where they came from.
    pub source: EmiSource,
    /// The project of the preloader they come from, when it names one.
    pub project: Option<String>,
    /// The validated EMI block.
    pub block: EmiBlock,
}

/// What the DRAM setup did, for the journal and the fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramReport {
    /// Where the EMI settings came from.
    pub source: EmiSource,
    /// The preloader project they belong to.
    pub project: Option<String>,
    /// The EMI version sent.
    pub version: u32,
    /// The flash id the DA reported, hex.
    pub flash_id: String,
    /// The RAM the DA reported after the setup, in bytes.
    pub ram_size: u64,
    /// Chip select.
    pub chip_select: u8,
    /// Whether the DA's checksum of the EMI bytes equalled ours (decision E3).
    pub checksum_matches: bool,
}

impl DramReport {
    /// One line for a technician: why the DA needed settings and where they came from.
    pub fn describe(&self) -> String {
        format!(
            "dead boot: preloader missing or foreign (the download agent asked for DRAM \
             settings); RAM set up from {}{}, {} MiB",
            self.source,
            self.project
                .as_deref()
                .map(|p| format!(" (project {p})"))
                .unwrap_or_default(),
            self.ram_size >> 20
        )
    }

    /// The report of a setup from `settings` that ended with `outcome`.
    pub fn new(settings: &DramSettings, req: &EmiRequest, outcome: &EmiOutcome) -> Self {
        DramReport {
            source: settings.source.clone(),
            project: settings.project.clone(),
            version: settings.block.version,
            flash_id: req.flash_id.iter().map(|b| format!("{b:02X}")).collect(),
            ram_size: outcome.ram.size,
            chip_select: outcome.ram.chip_select,
            checksum_matches: outcome.checksum_matches,
        }
    }
}

/// The EMI version the DA of `hw_code` takes (decision E5): v11 for the MT6572.
pub fn expected_version(hw_code: u16) -> Option<u32> {
    (hw_code == 0x6572).then_some(MT6572_EMI_VERSION)
}

/// Why settings do not fit a phone, before anything is sent.
pub fn check(settings: &DramSettings, hw_code: u16, req: &EmiRequest) -> Result<(), String> {
    if let Some(want) = expected_version(hw_code)
        && settings.block.version != want
    {
        return Err(format!(
            "they are EMI version {}, but this chip's download agent takes version {want}",
            settings.block.version
        ));
    }
    if settings.block.fitting(&req.flash_id).next().is_none() {
        let listed: Vec<String> = settings.block.parts.iter().map(|p| p.describe()).collect();
        return Err(format!(
            "this phone's memory reports flash id {}, and none of the RAM parts they list \
             matches it ({})",
            req.flash_id
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>(),
            listed.join("; ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::{emi, synth};

    fn settings(project: &str, parts: &[emi::RamPart]) -> DramSettings {
        let img = synth::preloader_for_ram(project, 11, parts);
        DramSettings {
            source: EmiSource::File {
                file: "pl.bin".into(),
            },
            project: Some(project.into()),
            block: emi::extract(&img).unwrap(),
        }
    }

    fn request() -> EmiRequest {
        let mut flash_id = [0u8; 16];
        flash_id[..9].copy_from_slice(&synth::SIM_FLASH_ID);
        EmiRequest {
            unknown: [0; 4],
            flash_id,
            nand_ids: vec![],
        }
    }

    #[test]
    fn fitting_settings_pass_and_others_say_why() {
        let good = settings("a516_row", &[synth::sim_ram_part(512 << 20)]);
        assert_eq!(check(&good, 0x6572, &request()), Ok(()));
        let other = emi::RamPart {
            flash_id: b"\x90\x01\x4aH8G".to_vec(),
            ..synth::sim_ram_part(256 << 20)
        };
        let foreign = settings("other", &[other]);
        let why = check(&foreign, 0x6572, &request()).unwrap_err();
        assert!(why.contains("15010053494D373245"), "{why}");
        assert!(why.contains("256 MiB"), "{why}");
        let mut old = good.clone();
        old.block.version = 10;
        let why = check(&old, 0x6572, &request()).unwrap_err();
        assert!(why.contains("takes version 11"), "{why}");
        assert_eq!(expected_version(0x6580), None);
    }
}
