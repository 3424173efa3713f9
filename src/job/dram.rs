//! Where a job takes DRAM (EMI) settings when the download agent asks for them (a dead phone in
//! BROM mode, MT6572.md §5.5), best first: the phone's own preloader from its identity backup
//! (matched by device key), the preloader of the ROM chosen for the board when its project is
//! the board's, or a preloader file the technician gave (`--preloader FILE`). Settings of
//! another project are refused unless explicitly allowed; every source's settings are checked
//! against the DA's EMI version and flash id ([`crate::device::dram::check`]). Each source
//! tried and why it was passed over is said in the error when none fits.
//!
//! Reads files only when the DA asks; never talks to the phone itself.

use std::path::{Path, PathBuf};

use crate::{
    backup::Store,
    device::{
        DeviceError,
        dram::{DramAsk, DramProvider, DramSettings, EmiSource, check},
    },
    firmware::{emi, preloader},
};

/// The sources a job may take EMI settings from.
#[derive(Debug, Clone, Default)]
pub struct DramSources {
    /// The backup store holding identity backups (the phone's own preloader).
    pub backups: Option<Store>,
    /// The preloader image of the ROM chosen for this board: its file name and its bytes.
    pub rom_preloader: Option<(String, Vec<u8>)>,
    /// A preloader file the technician named (`--preloader FILE`).
    pub file: Option<PathBuf>,
    /// The board's preloader project (from its profile), which ROM and file settings must
    /// carry.
    pub board_project: Option<String>,
    /// Use settings of another project than the board's (`--allow-foreign-emi`).
    pub allow_foreign: bool,
}

/// A preloader's EMI block and project, or why it has no usable one.
type Read = Result<(emi::EmiBlock, Option<String>), String>;

/// A preloader file's EMI block and project.
fn read_preloader(bytes: &[u8]) -> Read {
    let block = emi::extract(bytes).map_err(|e| e.to_string())?;
    let project = preloader::scan(bytes).ok().and_then(|i| i.project);
    Ok((block, project))
}

impl DramSources {
    /// True when any source is set.
    pub fn any(&self) -> bool {
        self.backups.is_some() || self.rom_preloader.is_some() || self.file.is_some()
    }

    /// The provider a session calls when its DA asks.
    pub fn provider(self) -> DramProvider {
        Box::new(move |ask| self.choose(ask))
    }

    /// The first source whose settings fit, in order; or every source's reason.
    pub fn choose(&self, ask: &DramAsk<'_>) -> Result<DramSettings, DeviceError> {
        let mut tried = Vec::new();
        let mut candidates = Vec::new();
        if let Some(store) = &self.backups {
            match own_preloader(store, &ask.device_key) {
                None => tried.push(format!(
                    "no identity backup of this phone ({}) holds its preloader",
                    ask.device_key
                )),
                Some((id, read)) => candidates.push((EmiSource::Backup { id }, read, true)),
            }
        }
        if let Some((file, bytes)) = &self.rom_preloader {
            let source = EmiSource::Rom { file: file.clone() };
            candidates.push((source, read_preloader(bytes), false));
        }
        if let Some(path) = &self.file {
            let file = path.display().to_string();
            candidates.push((EmiSource::File { file }, read_file(path), false));
        }
        for (source, read, own) in candidates {
            match self.candidate(&source, read, own, ask) {
                Ok((block, project)) => {
                    return Ok(DramSettings {
                        source,
                        project,
                        block,
                    });
                }
                Err(why) => tried.push(format!("{source}: {why}")),
            }
        }
        if tried.is_empty() {
            tried.push("no source was given".into());
        }
        Err(DeviceError::NoDramSettings {
            flash_id: ask
                .request
                .flash_id
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect(),
            tried,
        })
    }

    /// Why a source's settings cannot be used, if they cannot: unreadable, another project
    /// (unless allowed; the phone's `own` preloader needs no project match), or not fitting
    /// the DA's version and flash id.
    fn candidate(
        &self,
        source: &EmiSource,
        read: Read,
        own: bool,
        ask: &DramAsk<'_>,
    ) -> Result<(emi::EmiBlock, Option<String>), String> {
        let (block, project) = read?;
        if !own && !self.allow_foreign {
            match (&project, &self.board_project) {
                (Some(p), Some(b)) if p.eq_ignore_ascii_case(b) => {}
                (Some(p), Some(b)) => {
                    return Err(format!(
                        "built for project {p}, not the board's {b} (use it anyway with \
                         --allow-foreign-emi)"
                    ));
                }
                // Before the DA runs the board is not identified yet: a file the technician
                // named, or the ROM they chose, is taken on its RAM table (checked below), and
                // the repair compares its project with the identified board before it writes
                // anything ([`crate::engine::identify::settle_dead_boot`]).
                (_, None) => {}
                (None, Some(b)) => {
                    return Err(format!(
                        "it names no project, so it cannot be matched to the board's {b} \
                         (use it anyway with --allow-foreign-emi)"
                    ));
                }
            }
        }
        let settings = DramSettings {
            source: source.clone(),
            project,
            block,
        };
        check(&settings, ask.hw_code, ask.request)?;
        Ok((settings.block, settings.project))
    }
}

fn read_file(path: &Path) -> Read {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    read_preloader(&bytes)
}

/// The newest backup of `device_key` whose PRELOADER file reads back intact, with its EMI
/// block (or why it has none).
fn own_preloader(store: &Store, device_key: &str) -> Option<(String, Read)> {
    store
        .list(Some(device_key))
        .into_iter()
        .rev()
        .find_map(|b| {
            let entry = b
                .manifest
                .files
                .iter()
                .find(|f| crate::firmware::is_boot_code(&f.partition))?;
            let bytes = store.read_file(&b, entry).ok()?;
            Some((b.id.to_string(), read_preloader(&bytes)))
        })
}
